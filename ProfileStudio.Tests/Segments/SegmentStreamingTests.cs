using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Segments;
using EventCondition = ProfileStudio.Core.Segments.EventCondition;
using static ProfileStudio.Tests.Segments.SegmentHarness;

namespace ProfileStudio.Tests.Segments;

/// <summary>Streaming evaluation, clock re-checks and full evaluations on real SQLite with the app's pipeline.</summary>
public sealed class SegmentStreamingTests
{
    [Fact]
    public async Task AnOrder_PutsTheBuyerInRecentBuyers_WithHistoryAndAFeedRow_AndTheClockTakesThemOut()
    {
        await using var h = await SegmentHarness.StartAsync();
        var segment = await h.ActivateAsync("Recent buyers (30 days)", All(Performed("c1", "Order Completed", lastDays: 30)));

        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 20 });
        h.Send("u2", null, "Page Viewed");
        h.Unify();
        var feed = await h.ConsumeAsync();

        var buyer = await h.ProfileOfAsync("user_id", "u1");
        Assert.Equal([buyer], await h.MembersAsync(segment.Id));
        // Streaming evaluated the segments built on this one with it: the row says so, and the consumer has nothing left to do for it.
        Assert.Contains(feed, c => c.ProfileId == buyer && c.Kinds == (ProfileChangeKinds.Segments | ProfileChangeKinds.ReferrersEvaluated));
        Assert.Equal(1, (await h.Store.GetAsync(segment.Id))!.Segment.MemberCount);
        Assert.Equal(new SegmentRecentChanges(1, 0, h.Now.AddHours(-24)), await h.Store.RecentChangesAsync(segment.Id));
        Assert.Equal([new ProfileSegmentMembership(segment.Id, "Recent buyers (30 days)", h.Now)], await h.Store.MembershipsOfProfileAsync(buyer));
        await using (var before = await h.DbAsync())
        {
            Assert.Equal([SegmentMembershipChangeKind.Realized], await before.SegmentMembershipChanges.Select(c => c.Kind).ToListAsync());
            Assert.Equal(h.Now.AddDays(30).AddTicks(1), (await before.SegmentClockChecks.SingleAsync()).DueAt);
        }

        // 30 days later the order is still in the window (both ends inclusive); one tick after, it is not.
        h.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal(0, await h.ClockJob.RunNowAsync());
        Assert.Equal([buyer], await h.MembersAsync(segment.Id));
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await h.ClockJob.RunNowAsync());

        Assert.Empty(await h.MembersAsync(segment.Id));
        await using var db = await h.DbAsync();
        // The entry is older than the history's 30 days and was pruned; the exit is recorded.
        var history = await db.SegmentMembershipChanges.Where(c => c.ProfileId == buyer).OrderBy(c => c.Id).Select(c => new { c.Kind, c.At }).ToListAsync();
        Assert.Equal([new { Kind = SegmentMembershipChangeKind.Exited, At = h.Now }], history);
        Assert.Empty(await db.SegmentClockChecks.ToListAsync());
        var sizes = await h.Store.SizeHistoryAsync(segment.Id);
        Assert.Equal([(SegmentHarness.Start.Date, 1L, 1L, 0L), (h.Now.Date, 0L, 0L, 1L)], sizes.Select(s => (s.Day, s.Size, s.Entered, s.Exited)));
    }

    [Fact]
    public async Task PageAndScreenViewsNamedAsAnEvent_AreNotPerformingIt_ForStreamingTheClockFullEvaluationsAndTheWhy()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Recent buyers (30 days)", All(Performed("c1", "Order Completed", lastDays: 30)));
        var spenders = await h.ActivateAsync("Spent 100", All(new EventCondition("c1", "Order Completed", true)
        {
            Aggregate = new EventAggregate(AggregateFunction.Sum, "amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 100 }),
        }));

        // page('Order Completed') on a thank-you page, three times, and a screen of that name: u1 completed no order. u2 did.
        for (var i = 1; i <= 3; i++)
        {
            h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 100 }, at: TimeSpan.FromHours(-i), type: "page");
        }
        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 100 }, at: TimeSpan.FromHours(-4), type: "screen");
        h.Send("u2", null, "Order Completed", new JsonObject { ["amount"] = 5 }, at: TimeSpan.FromHours(-1));
        await h.SyncAsync();
        var viewer = await h.ProfileOfAsync("user_id", "u1");
        var buyer = await h.ProfileOfAsync("user_id", "u2");

        Assert.Equal([buyer], await h.MembersAsync(buyers.Id));
        Assert.Empty(await h.MembersAsync(spenders.Id));
        await using (var db = await h.DbAsync())
        {
            // Only the buyer's order leaves a window; the viewer has nothing that could.
            Assert.Equal([buyer], await db.SegmentClockChecks.Select(c => c.ProfileId).ToListAsync());
            var facts = await SegmentFactsLoader.LoadAsync(db, [viewer], h.Catalog.Current, h.Now);
            Assert.Empty(facts[viewer].Events);
        }
        var why = await ActivatorUtilities.CreateInstance<SegmentExplainer>(h.Services).ExplainAsync(viewer, buyers.Id);
        Assert.False(why!.Evaluation.Matches);
        Assert.StartsWith("performed Order Completed in the last 30 days ✗", Assert.Single(why.Evaluation.Explanation.Children).Display);

        // A full evaluation agrees.
        await h.Store.EvaluateNowAsync(Marketer, buyers.Id);
        await h.Batch.RunPendingAsync();
        await h.RelayedAsync();
        Assert.Equal([buyer], await h.MembersAsync(buyers.Id));
    }

    [Fact]
    public async Task ANewerOrder_KeepsTheEarlierClockCheck_WhichThenEvaluatesAgainAndMovesOn_AndTheBuyerLeavesOnTime()
    {
        await using var h = await SegmentHarness.StartAsync();
        var segment = await h.ActivateAsync("Recent buyers (30 days)", All(Performed("c1", "Order Completed", lastDays: 30)));
        h.Send("u1", null, "Order Completed");
        await h.SyncAsync();
        var buyer = await h.ProfileOfAsync("user_id", "u1");
        var firstDue = h.Now.AddDays(30).AddTicks(1);

        // Ten days later a second order: the person now stays until 30 days after it. The stored check is not rewritten
        // (a later time needs no write); it falls due early and is evaluated again.
        h.Clock.Advance(TimeSpan.FromDays(10));
        h.Send("u1", null, "Order Completed");
        await h.SyncAsync();
        var secondDue = h.Now.AddDays(30).AddTicks(1);
        await using (var db = await h.DbAsync())
        {
            Assert.Equal(firstDue, (await db.SegmentClockChecks.SingleAsync()).DueAt);
        }

        h.Clock.Advance(TimeSpan.FromDays(21)); // past the first order's window, not the second's
        Assert.Equal(0, await h.ClockJob.RunNowAsync());
        Assert.Equal([buyer], await h.MembersAsync(segment.Id));
        await using (var db = await h.DbAsync())
        {
            Assert.Equal(secondDue, (await db.SegmentClockChecks.SingleAsync()).DueAt);
        }

        h.Clock.Advance(secondDue - h.Now);
        Assert.Equal(1, await h.ClockJob.RunNowAsync());
        Assert.Empty(await h.MembersAsync(segment.Id));
    }

    [Fact]
    public async Task DidNotOrderRecently_IsEnteredByTheClockAlone()
    {
        await using var h = await SegmentHarness.StartAsync();
        var segment = await h.ActivateAsync("Cart abandoners", All(
            Performed("c1", "Product Added"),
            Performed("c2", "Order Completed", lastDays: 7, performed: false)));

        h.Send("u1", null, "Product Added");
        h.Send("u1", null, "Order Completed");
        h.Send("u2", null, "Product Added");
        await h.SyncAsync();
        var (u1, u2) = (await h.ProfileOfAsync("user_id", "u1"), await h.ProfileOfAsync("user_id", "u2"));
        Assert.Equal([u2], await h.MembersAsync(segment.Id));

        h.Clock.Advance(TimeSpan.FromDays(8));
        await h.ClockJob.RunNowAsync();
        Assert.Equal([u1, u2], await h.MembersAsync(segment.Id));
    }

    [Fact]
    public async Task OnlySegmentsReadingWhatChanged_AreEvaluated()
    {
        await using var h = await SegmentHarness.StartAsync();
        var country = await h.ActivateAsync("French", All(new AttributeCondition("c1", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" })));
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        h.Send("u1", null, null, traits: new JsonObject { ["country"] = "France" });
        await h.SyncAsync();
        var u1 = await h.ProfileOfAsync("user_id", "u1");
        Assert.Equal([u1], await h.MembersAsync(country.Id));

        // Behind the consumer's back: were "French" evaluated for an event-only change, u1 would leave it.
        await using (var db = await h.DbAsync())
        {
            await db.Database.ExecuteSqlAsync($"UPDATE ProfileAttributes SET ValueJson = '\"Spain\"'");
        }
        h.Send("u1", null, "Order Completed");
        await h.SyncAsync();
        Assert.Equal([u1], await h.MembersAsync(buyers.Id));
        Assert.Equal([u1], await h.MembersAsync(country.Id));

        var snapshot = h.Catalog.Current;
        Assert.Equal([buyers.Id], SegmentChangeConsumer.Select(snapshot, ProfileChangeKinds.Events).Select(s => s.Id));
        Assert.Equal([country.Id], SegmentChangeConsumer.Select(snapshot, ProfileChangeKinds.Attributes).Select(s => s.Id));
        Assert.Equal([country.Id], SegmentChangeConsumer.Select(snapshot, ProfileChangeKinds.Computed).Select(s => s.Id));
        Assert.Equal(2, SegmentChangeConsumer.Select(snapshot, ProfileChangeKinds.Merged).Count);
    }

    [Fact]
    public async Task ASegmentOfASegment_IsEvaluatedAfterIt_InTheSamePass()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        var known = await h.ActivateAsync("Known buyers", All(new SegmentCondition("c1", buyers.Id, true), new IdentityCondition("c2", "user_id", true)));
        h.Send("u1", null, "Order Completed");
        h.Send(null, "a1", "Order Completed");
        h.Unify();
        var feed = await h.ConsumeAsync();
        var u1 = await h.ProfileOfAsync("user_id", "u1");
        Assert.Equal([u1], await h.MembersAsync(known.Id));
        Assert.Equal(2, (await h.MembersAsync(buyers.Id)).Count);
    }

    [Fact]
    public async Task AMerge_MovesMembershipToTheSurvivor_AndTheMergedIdExits()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        var known = await h.ActivateAsync("Known", All(new IdentityCondition("c1", "user_id", true)));
        h.Send(null, "a1", "Order Completed");
        h.Send("u1", null, null);
        await h.SyncAsync();
        var (anonymous, user) = (await h.ProfileOfAsync("anonymous_id", "a1"), await h.ProfileOfAsync("user_id", "u1"));
        Assert.Equal([anonymous], await h.MembersAsync(buyers.Id));
        Assert.Equal([user], await h.MembersAsync(known.Id));

        h.Send("u1", "a1", null); // joins both
        await h.SyncAsync();
        var survivor = await h.ProfileOfAsync("user_id", "u1");
        Assert.Equal(survivor, await h.ProfileOfAsync("anonymous_id", "a1"));
        Assert.Equal([survivor], await h.MembersAsync(buyers.Id));
        Assert.Equal([survivor], await h.MembersAsync(known.Id));
        var gone = survivor == anonymous ? user : anonymous;
        await using var db = await h.DbAsync();
        Assert.False(await db.SegmentMemberships.AnyAsync(m => m.ProfileId == gone));
        Assert.Contains(await db.SegmentMembershipChanges.Where(c => c.ProfileId == gone).Select(c => c.Kind).ToListAsync(), k => k == SegmentMembershipChangeKind.Exited);
        Assert.Equal(1, (await h.Store.GetAsync(buyers.Id))!.Segment.MemberCount);
    }

    [Fact]
    public async Task AComputedAttribute_IsReadUnderItsName()
    {
        await using var h = await SegmentHarness.StartAsync();
        await h.ComputedAsync(new ComputedAttributeDraft("lifetime_value", null, ComputedFunction.Sum, ["Order Completed"], "amount", [], LookbackWindow.AllTime));
        var high = await h.ActivateAsync("High value", All(new AttributeCondition("c1", "lifetime_value",
            new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 500 })));

        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 300 });
        await h.SyncAsync();
        Assert.Empty(await h.MembersAsync(high.Id));
        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 250 });
        await h.SyncAsync();
        Assert.Equal([await h.ProfileOfAsync("user_id", "u1")], await h.MembersAsync(high.Id));
    }

    [Fact]
    public async Task AComputedAttributesBackfill_FinishingAfterASegmentOnItWasEvaluated_BringsTheSegmentItsMembers()
    {
        await using var h = await SegmentHarness.StartAsync();
        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 600 });
        h.Send("u2", null, "Order Completed", new JsonObject { ["amount"] = 20 });
        await h.SyncAsync();
        // The segment is evaluated while the computed attribute it reads has no value yet (as in the demo, where both start at once).
        var high = await h.ActivateAsync("High value", All(new AttributeCondition("c1", "lifetime_value",
            new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 500 })));
        var computed = h.Services.GetRequiredService<ComputedAttributeStore>();
        var saved = await computed.SaveAsync(Marketer, null, new ComputedAttributeDraft("lifetime_value", null, ComputedFunction.Sum, ["Order Completed"], "amount", [], LookbackWindow.AllTime));
        Assert.True((await computed.ActivateAsync(Marketer, saved.Definition!.Id)).Succeeded);
        Assert.Empty(await h.MembersAsync(high.Id));

        Assert.Equal(2, h.Backfill());
        // The backfill's end is one feed row for every profile; the consumer asks for the segment to be evaluated again.
        await h.ConsumeAsync();
        Assert.Equal(1, await h.Batch.RunPendingAsync());
        Assert.Equal([await h.ProfileOfAsync("user_id", "u1")], await h.MembersAsync(high.Id));
    }

    [Fact]
    public async Task Activation_EvaluatesExistingProfiles_WithProgress_AndDisableRemovesMembersWithExits()
    {
        await using var h = await SegmentHarness.StartAsync();
        for (var i = 0; i < 1200; i++)
        {
            h.Send($"u{i}", null, i % 3 == 0 ? "Order Completed" : "Page Viewed");
        }
        await h.SyncAsync();
        var created = await h.Store.CreateAsync(Marketer, new SegmentDraft("Buyers", null, SegmentRuleJson.Serialize(new SegmentRule(All(Performed("c1", "Order Completed"))))));
        Assert.Empty(await h.MembersAsync(created.Segment!.Id));
        await h.Store.ActivateAsync(Marketer, created.Segment.Id);
        Assert.Equal(SegmentEvaluationState.Waiting, (await h.Store.GetAsync(created.Segment.Id))!.Progress.State);

        Assert.Equal(1, await h.Batch.RunPendingAsync());
        await h.RelayedAsync(); // member counts reach the store's Segments table through the relay, in the background

        var details = (await h.Store.GetAsync(created.Segment.Id))!;
        Assert.Equal(SegmentEvaluationState.Done, details.Progress.State);
        Assert.Equal((1200L, 1200L), (details.Segment.EvaluationProcessed, details.Segment.EvaluationTotal));
        Assert.Equal(400, details.Segment.MemberCount);
        Assert.Equal(400, (await h.MembersAsync(created.Segment.Id)).Count);
        Assert.Equal(0, await h.Batch.RunPendingAsync());

        var page = await h.Store.MembersAsync(created.Segment.Id, "u99", 0, 10);
        Assert.Equal(["u99", "u990", "u993", "u996", "u999"], page.Members.Select(m => m.Identities.Single().Value).Order(StringComparer.Ordinal));
        Assert.Equal(5, page.Total);

        var disabled = await h.Store.DisableAsync(Marketer, created.Segment.Id);
        Assert.True(disabled.Succeeded);
        Assert.Empty(await h.MembersAsync(created.Segment.Id));
        Assert.Equal(new SegmentRecentChanges(400, 400, h.Now.AddHours(-24)), await h.Store.RecentChangesAsync(created.Segment.Id));
        await h.RelayedAsync(); // the count of 0 reaches the store's Segments table through the relay too (it read 400 once under load)
        Assert.Equal(0, (await h.Store.GetAsync(created.Segment.Id))!.Segment.MemberCount);

        // Activated again: everyone comes back. Entries count as the size chart's bar does, so 400 + 400 − 400 reads as the 400 there are.
        Assert.True((await h.Store.ActivateAsync(Marketer, created.Segment.Id)).Succeeded);
        await h.Batch.RunPendingAsync();
        Assert.Equal(new SegmentRecentChanges(800, 400, h.Now.AddHours(-24)), await h.Store.RecentChangesAsync(created.Segment.Id));
        var today = (await h.Store.SizeHistoryAsync(created.Segment.Id)).Single();
        Assert.Equal((400L, 800L, 400L), (today.Size, today.Entered, today.Exited));
    }

    [Fact]
    public async Task ABatchSegment_IsNotChangedByStreaming_ButByItsIntervalOrEvaluateNow()
    {
        await using var h = await SegmentHarness.StartAsync();
        var segment = await h.ActivateAsync("Buyers nightly", All(Performed("c1", "Order Completed")), SegmentEvaluationMode.Batch);
        h.Send("u1", null, "Order Completed");
        await h.SyncAsync();
        Assert.Empty(await h.MembersAsync(segment.Id));
        Assert.Equal(0, await h.Batch.RunPendingAsync());

        Assert.True((await h.Store.EvaluateNowAsync(Marketer, segment.Id)).Succeeded);
        Assert.Equal(1, await h.Batch.RunPendingAsync());
        Assert.Single(await h.MembersAsync(segment.Id));

        h.Send("u2", null, "Order Completed");
        await h.SyncAsync();
        h.Clock.Advance(TimeSpan.FromHours(24));
        Assert.Equal(1, await h.Batch.RunPendingAsync());
        Assert.Equal(2, (await h.MembersAsync(segment.Id)).Count);
    }

    [Fact]
    public async Task ABatchSegmentsNewMembers_ReachTheStreamingSegmentBuiltOnIt_ThroughTheFeed()
    {
        await using var h = await SegmentHarness.StartAsync();
        var nightly = await h.ActivateAsync("Buyers nightly", All(Performed("c1", "Order Completed")), SegmentEvaluationMode.Batch);
        var known = await h.ActivateAsync("Known nightly buyers", All(new SegmentCondition("c1", nightly.Id, true), new IdentityCondition("c2", "user_id", true)));
        h.Send("u1", null, "Order Completed");
        await h.SyncAsync();
        Assert.Empty(await h.MembersAsync(known.Id));

        Assert.True((await h.Store.EvaluateNowAsync(Marketer, nightly.Id)).Succeeded);
        Assert.Equal(1, await h.Batch.RunPendingAsync());
        // The full evaluation did not evaluate the segments built on it: its feed rows say so, and the consumer does.
        var feed = await h.ConsumeAsync();
        var u1 = await h.ProfileOfAsync("user_id", "u1");
        Assert.Contains(feed, c => c.ProfileId == u1 && c.Kinds == ProfileChangeKinds.Segments);
        Assert.Equal([u1], await h.MembersAsync(known.Id));
    }

    /// <summary>"lifetime_value" (the sum of order amounts), the streaming segment "High value" (≥ 500) on it, and u1 in it with an order of 600.</summary>
    private static async Task<(ComputedAttributeDraft Draft, ComputedAttributeDefinition Definition, Segment High, long U1)> HighValueAsync(SegmentHarness h)
    {
        var draft = new ComputedAttributeDraft("lifetime_value", null, ComputedFunction.Sum, ["Order Completed"], "amount", [], LookbackWindow.AllTime);
        var definition = await h.ComputedAsync(draft);
        var high = await h.ActivateAsync("High value", All(new AttributeCondition("c1", "lifetime_value",
            new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 500 })));
        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 600 });
        await h.SyncAsync();
        return (draft, definition, high, await h.ProfileOfAsync("user_id", "u1"));
    }

    [Fact]
    public async Task EditingAComputedAttributesDescription_KeepsItsValuesAndTheSegmentsOnIt()
    {
        await using var h = await SegmentHarness.StartAsync();
        var (draft, definition, high, u1) = await HighValueAsync(h);
        var store = h.Services.GetRequiredService<ComputedAttributeStore>();
        var reader = h.Services.GetRequiredService<ComputedAttributeReader>();

        var described = await store.SaveAsync(Marketer, definition.Id, draft with { Description = "What a person spent, all time" });
        h.Send("u1", null, null, traits: new JsonObject { ["country"] = "FR" }); // re-evaluates u1
        await h.SyncAsync();

        Assert.True(described.Succeeded);
        Assert.Equal(definition.Version, described.Definition!.Version);
        Assert.Equal("600", Assert.Single(await reader.ValuesOfProfileAsync(u1)).ValueJson);
        Assert.Equal([u1], await h.MembersAsync(high.Id));
        await using (var db = await h.DbAsync())
        {
            Assert.DoesNotContain(await db.SegmentMembershipChanges.Select(c => c.Kind).ToListAsync(), k => k == SegmentMembershipChangeKind.Exited);
        }

        // What it computes changes: a new version, computed again.
        var windowed = await store.SaveAsync(Marketer, definition.Id, draft with { Window = new LookbackWindow(WindowUnit.Days, 30) });
        Assert.Equal(definition.Version + 1, windowed.Definition!.Version);
    }

    [Fact]
    public async Task ChangingWhatAComputedAttributeComputes_ServesThePreviousValue_UntilTheBackfillReachesTheProfile()
    {
        await using var h = await SegmentHarness.StartAsync();
        var (draft, definition, high, u1) = await HighValueAsync(h);
        var store = h.Services.GetRequiredService<ComputedAttributeStore>();
        var reader = h.Services.GetRequiredService<ComputedAttributeReader>();

        // Only orders above 1,000 count now: a new version, which u1's order does not reach.
        var changed = await store.SaveAsync(Marketer, definition.Id,
            draft with { Conditions = [ProfileStudio.Core.ComputedAttributes.EventCondition.Of("amount", ConditionOperator.GreaterThan, "1000")] });
        h.Send("u1", null, null, traits: new JsonObject { ["country"] = "FR" }); // u1 is evaluated again before the backfill reaches it
        await h.SyncAsync();

        Assert.Equal(definition.Version + 1, changed.Definition!.Version);
        var during = Assert.Single(await reader.ValuesOfProfileAsync(u1));
        Assert.Equal(("600", true), (during.ValueJson, during.PreviousVersion));
        Assert.Equal([u1], await h.MembersAsync(high.Id));
        await using (var db = await h.DbAsync())
        {
            Assert.DoesNotContain(await db.SegmentMembershipChanges.Select(c => c.Kind).ToListAsync(), k => k == SegmentMembershipChangeKind.Exited);
        }

        // The backfill reaches u1: the new version's answer (no order above 1,000, so no value), and u1 leaves once.
        h.Backfill();
        await h.SyncAsync();
        Assert.Equal(1, await h.Batch.RunPendingAsync()); // the backfill's end asks for a full evaluation of the segment

        Assert.Empty(await reader.ValuesOfProfileAsync(u1));
        Assert.Empty(await h.MembersAsync(high.Id));
        await using (var db = await h.DbAsync())
        {
            Assert.Equal(1, await db.SegmentMembershipChanges.CountAsync(c => c.Kind == SegmentMembershipChangeKind.Exited));
        }
    }

    [Fact]
    public async Task APreviousVersionsWindowedValue_GoesWhenItFallsDue_RatherThanCountingEventsOutOfItsWindow()
    {
        await using var h = await SegmentHarness.StartAsync();
        var draft = new ComputedAttributeDraft("orders_1d", null, ComputedFunction.Count, ["Order Completed"], null, [], LookbackWindow.Days(1));
        var definition = await h.ComputedAsync(draft);
        h.Send("u1", null, "Order Completed");
        await h.SyncAsync();
        var u1 = await h.ProfileOfAsync("user_id", "u1");
        var store = h.Services.GetRequiredService<ComputedAttributeStore>();
        var reader = h.Services.GetRequiredService<ComputedAttributeReader>();
        Assert.True((await store.SaveAsync(Marketer, definition.Id, draft with { Window = LookbackWindow.Days(3) })).Succeeded);
        var before = Assert.Single(await reader.ValuesOfProfileAsync(u1));
        Assert.Equal(("1", true), (before.ValueJson, before.PreviousVersion));

        // Two days on, the order has left the previous version's one-day window; the backfill has not come by yet.
        h.Clock.Advance(TimeSpan.FromDays(2));

        Assert.Empty(await reader.ValuesOfProfileAsync(u1)); // not served once due, even before the expiry job
        Assert.Equal(1, h.ExpireComputed());
        await using (var db = await h.DbAsync())
        {
            Assert.Empty(await db.ComputedProfileStates.ToListAsync());
        }
        h.Backfill(); // the new version's three-day window still holds the order
        var after = Assert.Single(await reader.ValuesOfProfileAsync(u1));
        Assert.Equal(("1", false), (after.ValueJson, after.PreviousVersion));
    }

    [Fact]
    public async Task AnAggregateMadeAnExpression_LosesItsStoredValuesAtOnce()
    {
        await using var h = await SegmentHarness.StartAsync();
        var definition = await h.ComputedAsync(new ComputedAttributeDraft("score", null, ComputedFunction.Sum, ["Order Completed"], "amount", [], LookbackWindow.AllTime));
        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 600 });
        await h.SyncAsync();
        var u1 = await h.ProfileOfAsync("user_id", "u1");
        var store = h.Services.GetRequiredService<ComputedAttributeStore>();

        var changed = await store.SaveAsync(Marketer, definition.Id,
            new ComputedAttributeDraft("score", null, ComputedFunction.Expression, [], null, [], LookbackWindow.AllTime, "1 + 1"));

        Assert.True(changed.Succeeded, string.Join("; ", changed.Problems));
        Assert.Empty(await h.Services.GetRequiredService<ComputedAttributeReader>().ValuesOfProfileAsync(u1));
        await using var db = await h.DbAsync();
        Assert.Empty(await db.ComputedProfileStates.ToListAsync());
        Assert.Contains(await db.ProfileChanges.ToListAsync(), c => c.ComputedForEveryProfile); // segments on it are evaluated again
    }

    [Fact]
    public async Task AComputedAttributeInUse_CannotBeRenamedDisabledOrDeleted_UntilNothingReadsIt()
    {
        await using var h = await SegmentHarness.StartAsync();
        var draft = new ComputedAttributeDraft("orders", null, ComputedFunction.Count, ["Order Completed"], null, [], LookbackWindow.AllTime);
        var orders = await h.ComputedAsync(draft);
        var buyers = await h.ActivateAsync("Buyers", All(new AttributeCondition("c1", "orders",
            new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 1 })));
        var doubled = await h.ComputedAsync(new ComputedAttributeDraft("orders_x2", null, ComputedFunction.Expression, [], null, [], LookbackWindow.AllTime, "orders * 2"));
        var store = h.Services.GetRequiredService<ComputedAttributeStore>();

        var renamed = await store.SaveAsync(Marketer, orders.Id, draft with { Name = "order_count" });
        var disabled = await store.DisableAsync(Marketer, orders.Id);

        Assert.False(renamed.Succeeded);
        Assert.Equal("\"orders\" is used by segment \"Buyers\", expression attribute \"orders_x2\": change those to the new name first, or keep this name.", Assert.Single(renamed.Problems));
        Assert.False(disabled.Succeeded);
        Assert.StartsWith("\"orders\" is used by segment \"Buyers\", expression attribute \"orders_x2\": change or disable those first", Assert.Single(disabled.Problems));
        Assert.Equal(ComputedStatus.Active, (await store.GetAsync(orders.Id))!.Status);

        // Once nothing reads it, it goes.
        Assert.True((await h.Store.DisableAsync(Marketer, buyers.Id)).Succeeded);
        Assert.True((await store.DisableAsync(Marketer, doubled.Id)).Succeeded);
        Assert.True((await store.SaveAsync(Marketer, orders.Id, draft with { Name = "order_count" })).Succeeded);
        Assert.True((await store.DisableAsync(Marketer, orders.Id)).Succeeded);
        Assert.True((await store.DeleteAsync(Marketer, orders.Id)).Succeeded);
    }

    [Fact]
    public async Task ADateAtTheEdgeOfTheCalendar_NeverStopsStreamingForTheOthers()
    {
        await using var h = await SegmentHarness.StartAsync();
        var lapsed = await h.ActivateAsync("Lapsed", All(new AttributeCondition("a", "contract_end",
            new ValueTest(ValueTestType.Date, ValueOperator.MoreThanDaysAgo) { Days = 30 })));
        h.Send("u1", null, null, traits: new JsonObject { ["contract_end"] = "9999-12-31" });
        h.Send("u2", null, null, traits: new JsonObject { ["contract_end"] = "2020-01-01" });
        h.Send("u3", null, null, traits: new JsonObject { ["contract_end"] = "0001-01-01T00:00:00+01:00" });

        await h.SyncAsync();

        Assert.Equal([await h.ProfileOfAsync("user_id", "u2"), await h.ProfileOfAsync("user_id", "u3")], (await h.MembersAsync(lapsed.Id)).Order());
        await h.Store.EvaluateNowAsync(Marketer, lapsed.Id);
        Assert.Equal(1, await h.Batch.RunPendingAsync());
        Assert.Equal(SegmentEvaluationState.Done, (await h.Store.GetAsync(lapsed.Id))!.Progress.State);
    }

    [Fact]
    public async Task ARebuild_EvaluatesEveryoneAgain_WithoutCountingTheMembersTwice()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        for (var i = 0; i < 30; i++)
        {
            h.Send($"u{i}", null, i % 3 == 0 ? "Order Completed" : "Page Viewed");
        }
        await h.SyncAsync();
        Assert.Equal(10, (await h.Store.GetAsync(buyers.Id))!.Segment.MemberCount);

        // A rebuild swaps in a store built from the lake, its memberships table empty, and tells the feed (profile 0, Rebuilt).
        await using (var reading = new SqliteConnection(h.Connection.ConnectionString))
        {
            reading.Open();
            await using var session = new SqliteUnificationSession(reading, h.Connection, h.Clock, pipeline: h.Unification.Pipeline);
            await session.Maintenance.RebuildAsync(IdentityRules.Default, 1000, (_, _) => { }, CancellationToken.None);
            session.Maintenance.Swap();
            SqliteUnificationRebuild.NormalizeIndexNames(h.Connection);
        }
        await h.ConsumeAsync();
        Assert.Equal(1, await h.Batch.RunPendingAsync());
        await h.RelayedAsync(); // member counts reach the store's Segments table through the relay, in the background

        var details = (await h.Store.GetAsync(buyers.Id))!;
        Assert.Equal(10, (await h.MembersAsync(buyers.Id)).Count);
        Assert.Equal(10, details.Segment.MemberCount);
        Assert.Equal(10L, (await h.Store.SizeHistoryAsync(buyers.Id)).Single(d => d.Day == h.Now.Date).Size);
    }

    [Fact]
    public async Task AComputedAttributeEditedWhileARebuildRuns_IsBackfilledAgainAfterTheSwap()
    {
        await using var h = await SegmentHarness.StartAsync();
        var draft = new ComputedAttributeDraft("spent", null, ComputedFunction.Sum, ["Order Completed"], "amount", [], LookbackWindow.AllTime);
        var definition = await h.ComputedAsync(draft);
        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 600 });
        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 100 });
        await h.SyncAsync();
        var u1 = await h.ProfileOfAsync("user_id", "u1");
        var store = h.Services.GetRequiredService<ComputedAttributeStore>();
        var reader = h.Services.GetRequiredService<ComputedAttributeReader>();

        await using (var reading = new SqliteConnection(h.Connection.ConnectionString))
        {
            reading.Open();
            await using var session = new SqliteUnificationSession(reading, h.Connection, h.Clock, pipeline: h.Unification.Pipeline);
            await session.Maintenance.RebuildAsync(IdentityRules.Default, 1000, (_, _) => { }, CancellationToken.None); // the shadow holds version 1's sums
            Assert.True((await store.SaveAsync(Marketer, definition.Id, draft with { Function = ComputedFunction.Max })).Succeeded);
            h.Backfill(); // version 2 is backfilled over the live table, which the swap then replaces
            session.Maintenance.Swap();
            SqliteUnificationRebuild.NormalizeIndexNames(h.Connection);
        }
        var during = Assert.Single(await reader.ValuesOfProfileAsync(u1));
        Assert.Equal(("700", true), (during.ValueJson, during.PreviousVersion));

        h.Backfill();

        var after = Assert.Single(await reader.ValuesOfProfileAsync(u1));
        Assert.Equal(("600", false), (after.ValueJson, after.PreviousVersion));
    }

    [Fact]
    public async Task DeletingAMember_LowersTheCountAndTodaysSize()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        h.Send("u1", null, "Order Completed");
        h.Send("u2", null, "Order Completed");
        await h.SyncAsync();
        Assert.Equal(2L, (await h.Store.SizeHistoryAsync(buyers.Id)).Single().Size);

        var u1 = await h.ProfileOfAsync("user_id", "u1");
        await using (var reading = new SqliteConnection(h.Connection.ConnectionString))
        {
            reading.Open();
            await using var session = new SqliteUnificationSession(reading, h.Connection, h.Clock, pipeline: h.Unification.Pipeline);
            Assert.NotNull(session.Maintenance.Delete(u1, eraseFromLake: false, IdentityRules.Default, h.Now));
        }
        await h.ConsumeAsync();

        Assert.Equal([await h.ProfileOfAsync("user_id", "u2")], await h.MembersAsync(buyers.Id));
        Assert.Equal(1, (await h.Store.GetAsync(buyers.Id))!.Segment.MemberCount);
        Assert.Equal(1L, (await h.Store.SizeHistoryAsync(buyers.Id)).Single().Size);
    }

    [Fact]
    public async Task DeletingAMember_RecordsTheExit_InTheHistoryAndTodaysSize()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        var viewers = await h.ActivateAsync("Viewers", All(Performed("c1", "Page Viewed")));
        h.Send("u1", null, "Order Completed");
        h.Send("u2", null, "Order Completed");
        await h.SyncAsync();
        Assert.Equal((2L, 0L), await RecentAsync(buyers.Id));

        var u1 = await h.ProfileOfAsync("user_id", "u1");
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        await using (var reading = new SqliteConnection(h.Connection.ConnectionString))
        {
            reading.Open();
            await using var session = new SqliteUnificationSession(reading, h.Connection, h.Clock, pipeline: h.Unification.Pipeline);
            Assert.NotNull(session.Maintenance.Delete(u1, eraseFromLake: false, IdentityRules.Default, h.Now));
        }
        await h.ConsumeAsync();

        // The page's "exited in the last 24 h" and the size chart's day see the deleted member leave, at the delete's time.
        Assert.Equal((2L, 1L), await RecentAsync(buyers.Id));
        var today = (await h.Store.SizeHistoryAsync(buyers.Id)).Single();
        Assert.Equal((1L, 2L, 1L), (today.Size, today.Entered, today.Exited));
        await using (var db = await h.DbAsync())
        {
            var exit = await db.SegmentMembershipChanges.SingleAsync(c => c.ProfileId == u1 && c.Kind == SegmentMembershipChangeKind.Exited);
            Assert.Equal((buyers.Id, h.Now), (exit.SegmentId, exit.At));
        }
        // A segment the profile was not in records nothing.
        Assert.Equal((0L, 0L), await RecentAsync(viewers.Id));
        Assert.Empty(await h.Store.SizeHistoryAsync(viewers.Id));

        async Task<(long Entered, long Exited)> RecentAsync(long segment)
        {
            var recent = await h.Store.RecentChangesAsync(segment);
            return (recent.Entered, recent.Exited);
        }
    }

    [Fact]
    public async Task Overlap_CountsSharedMembers()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        var viewers = await h.ActivateAsync("Viewers", All(Performed("c1", "Page Viewed")));
        h.Send("u1", null, "Order Completed");
        h.Send("u1", null, "Page Viewed");
        h.Send("u2", null, "Page Viewed");
        h.Send("u3", null, "Order Completed");
        await h.SyncAsync();

        var cells = await h.Store.OverlapAsync([buyers.Id, viewers.Id]);

        Assert.Equal(2, cells.Single(c => c.A == buyers.Id && c.B == buyers.Id).Shared);
        Assert.Equal(1, cells.Single(c => c.A == buyers.Id && c.B == viewers.Id).Shared);
        Assert.Equal(1, cells.Single(c => c.A == viewers.Id && c.B == buyers.Id).Shared);
        await Assert.ThrowsAsync<ArgumentException>(() => h.Store.OverlapAsync(Enumerable.Range(1, 11).Select(i => (long)i).ToList()));
    }
}
