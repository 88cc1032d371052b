using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Segments;
using static ProfileStudio.Tests.Segments.SegmentHarness;
using EventCondition = ProfileStudio.Core.Segments.EventCondition;

namespace ProfileStudio.Tests.Segments;

/// <summary>
/// Streaming ends where a full evaluation from scratch ends: random messages (events in the past and the
/// future, page and screen views named as the track events, identifiers that merge profiles, traits) arrive in
/// runs while the clock moves and the clock job runs; afterwards every live profile's memberships equal a fresh
/// evaluation of every segment (in order, from no memberships) over the stored data, its events being the track
/// events read here, and a full (batch) evaluation of each segment changes nothing.
/// Seven segments cover windows, "did not", identities, attributes, a computed attribute, a segment of
/// segments and a rule that holds for a profile knowing nothing. Real SQLite, the app's pipeline.
/// </summary>
public sealed class SegmentStreamingEqualsBatchPropertyTests
{
    public sealed record Msg(string? User, string? Anonymous, string? Event, string Type, int Amount, string? Country, int HoursOffset);

    private static Gen<Msg> MessageGen =>
        from user in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Gen.Choose(1, 3).Select(i => (string?)$"u{i}")))
        from anonymous in Gen.Frequency((1, Gen.Constant<string?>(null)), (3, Gen.Choose(1, 5).Select(i => (string?)$"a{i}")))
        from name in Gen.Elements<string?>("Order Completed", "Order Completed", "Product Added", "Product Added", "Page Viewed", null)
        from type in Gen.Elements("track", "track", "track", "page", "screen")
        from amount in Gen.Elements(0, 10, 40, 60)
        from country in Gen.Elements<string?>(null, null, "France", "Spain")
        from hours in Gen.Frequency((3, Gen.Choose(-240, 0)), (1, Gen.Choose(1, 120)))
        select new Msg(user ?? (anonymous is null ? "u1" : null), anonymous, name, type, amount, country, hours);

    private static Gen<(int Size, int ClockHours)> RunGen =>
        from size in Gen.Choose(1, 6)
        from hours in Gen.Frequency((2, Gen.Constant(0)), (3, Gen.Choose(1, 48)), (1, Gen.Choose(100, 300)))
        select (size, hours);

    [FsCheck.Xunit.Property(MaxTest = 12)]
    public Property Streaming_InRunsWithMergesAndTheClockMoving_EqualsAFreshEvaluation()
    {
        return Prop.ForAll(MessageGen.ListOf().Where(l => l.Count is > 0 and <= 30).ToArbitrary(), RunGen.ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            (messages, runs) => RunAsync(messages, runs).GetAwaiter().GetResult());
    }

    private static async Task<Property> RunAsync(IReadOnlyList<Msg> messages, (int Size, int ClockHours)[] runs)
    {
        await using var h = await SegmentHarness.StartAsync();
        await h.ComputedAsync(new ComputedAttributeDraft("lifetime_value", null, ComputedFunction.Sum, ["Order Completed"], "amount", [], LookbackWindow.AllTime));
        var buyers = await h.ActivateAsync("Recent buyers", All(Performed("c1", "Order Completed", lastDays: 3)));
        var anonymous = await h.ActivateAsync("Anonymous", All(new IdentityCondition("c1", "anonymous_id", true), new IdentityCondition("c2", "user_id", false)));
        await h.ActivateAsync("Cart abandoners", All(Performed("c1", "Product Added", lastDays: 7), Performed("c2", "Order Completed", lastDays: 7, performed: false)));
        await h.ActivateAsync("French", All(new AttributeCondition("c1", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" })));
        await h.ActivateAsync("High value", All(new AttributeCondition("c1", "lifetime_value", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 50 })));
        await h.ActivateAsync("Known recent buyers", All(new SegmentCondition("c1", buyers.Id, true), new SegmentCondition("c2", anonymous.Id, false)));
        await h.ActivateAsync("Never viewed", new GroupNode("root", GroupKind.NoneOf, [new EventCondition("c1", "Page Viewed", true) { Window = new EventWindow(WindowKind.LastHours) { Amount = 30 } }]));

        h.SendAt = h.Now;
        foreach (var m in messages)
        {
            h.Send(m.User, m.Anonymous, m.Event, new JsonObject { ["amount"] = m.Amount },
                m.Country is null ? null : new JsonObject { ["country"] = m.Country }, TimeSpan.FromHours(m.HoursOffset), type: m.Type);
        }
        for (var i = 0; ; i++)
        {
            var (size, hours) = runs[i % runs.Length];
            if (!h.UnifyOnce(size))
            {
                break;
            }
            await h.ConsumeAsync();
            h.Clock.Advance(TimeSpan.FromHours(hours));
            if (i % 2 == 1)
            {
                await h.ClockJob.RunNowAsync();
                await h.ConsumeAsync();
            }
        }
        await h.ClockJob.RunNowAsync();
        await h.ConsumeAsync();

        var now = h.Now;
        var snapshot = h.Catalog.Current;
        await using var db = await h.DbAsync();
        var live = await db.Profiles.Where(p => p.MergedIntoId == null).Select(p => p.Id).ToListAsync();
        var facts = await SegmentFactsLoader.LoadAsync(db, live, snapshot, now);
        // A page or screen view named as a track event is not performing it: the events are the track events, read here.
        var tracked = (await db.ProfileEvents.Where(e => e.Type == "track").ToListAsync()).ToLookup(e => e.ProfileId,
            e => new SegmentEventFact(e.Name, DateTime.SpecifyKind(e.EventAt, DateTimeKind.Utc), SegmentProfileFacts.Properties(e.PropertiesJson)));
        var expected = new HashSet<(long, long)>();
        foreach (var (profile, f) in facts)
        {
            var fresh = f with { Events = [.. tracked[profile]], Segments = new HashSet<long>() };
            foreach (var o in SegmentMembershipEvaluator.Decide(fresh, snapshot.Ordered, now).Where(o => o.IsMember))
            {
                expected.Add((o.SegmentId, profile));
            }
        }
        var stored = (await db.SegmentMemberships.Select(m => new { m.SegmentId, m.ProfileId }).ToListAsync()).Select(m => (m.SegmentId, m.ProfileId)).ToHashSet();
        var names = snapshot.Ordered.ToDictionary(s => s.Id, s => s.Name);
        var differences = expected.Except(stored).Select(x => $"missing: {names[x.Item1]} / profile {x.Item2}")
            .Concat(stored.Except(expected).Select(x => $"extra: {names.GetValueOrDefault(x.Item1)} / profile {x.Item2}")).ToList();

        // A full evaluation of each segment, in order, finds nothing to change.
        long batchChanges = 0;
        foreach (var s in snapshot.Ordered)
        {
            var result = await h.Services.GetRequiredService<SegmentMembershipEvaluator>().EvaluateAsync(live, snapshot, _ => [s]);
            batchChanges += result.Entered + result.Exited;
        }
        var counts = await db.Segments.Select(s => new { s.Id, s.MemberCount }).ToListAsync();
        var badCounts = counts.Where(c => c.MemberCount != stored.Count(x => x.Item1 == c.Id)).Select(c => $"count of {names[c.Id]}: {c.MemberCount}").ToList();
        return (differences.Count == 0 && batchChanges == 0 && badCounts.Count == 0)
            .Label($"at {now:O}: {string.Join("; ", differences.Concat(badCounts).Take(20))}; batch changed {batchChanges}");
    }
}
