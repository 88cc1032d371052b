using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Segments;
using static ProfileStudio.Tests.Segments.SegmentHarness;

namespace ProfileStudio.Tests.Segments;

/// <summary>SegmentStore on real SQLite: checks before saving, versions, status changes, deletes and the audit log.</summary>
public sealed class SegmentStoreTests
{
    private static string Rule(SegmentNode root) => SegmentRuleJson.Serialize(new SegmentRule(root));

    private static string Buyers => Rule(All(Performed("c1", "Order Completed")));

    [Fact]
    public async Task Create_ThenUpdate_KeepsEveryVersion_AndAuditsEachChange()
    {
        await using var h = await SegmentHarness.StartAsync();
        var created = await h.Store.CreateAsync(Marketer, new SegmentDraft("  Buyers  ", "People who ordered", Buyers));
        Assert.True(created.Succeeded);
        Assert.Equal(("Buyers", SegmentStatus.Draft, 1), (created.Segment!.Name, created.Segment.Status, created.Segment.Version));

        var edited = Rule(All(Performed("c1", "Order Completed", lastDays: 30)));
        Assert.True((await h.Store.UpdateAsync(Marketer, created.Segment.Id, new SegmentDraft("Buyers", "People who ordered", edited))).Succeeded);
        // Saving the same rule again is no new version.
        Assert.True((await h.Store.UpdateAsync(Marketer, created.Segment.Id, new SegmentDraft("Buyers", "Changed text", edited))).Succeeded);

        var details = (await h.Store.GetAsync(created.Segment.Id))!;
        Assert.Equal(2, details.Segment.Version);
        Assert.Equal([2, 1], details.Versions.Select(v => v.Version));
        Assert.Equal([edited, Buyers], details.Versions.Select(v => v.RuleJson));
        Assert.Equal("People who performed Order Completed in the last 30 days", details.Sentence);
        var audit = await h.Audit.QueryAsync(new AuditFilter(), 0, 50);
        Assert.Equal(["segment.created", "segment.updated", "segment.updated"],
            audit.Entries.Where(e => e.Action.StartsWith("segment.", StringComparison.Ordinal)).OrderBy(e => e.Id).Select(e => e.Action));
    }

    [Fact]
    public async Task Save_ConditionOnAnExpressionAttribute_IsRefusedSayingWhatToUseInstead()
    {
        await using var h = await SegmentHarness.StartAsync();
        await h.ComputedAsync(new ComputedAttributeDraft("orders", null, ComputedFunction.Count, ["Order Completed"], null, [], LookbackWindow.AllTime));
        await h.ComputedAsync(new ComputedAttributeDraft("orders_x2", null, ComputedFunction.Expression, [], null, [], LookbackWindow.AllTime, "orders * 2"));

        var refused = await h.Store.CreateAsync(Marketer, new SegmentDraft("Doubled", null, Rule(All(new AttributeCondition("c1", "orders_x2",
            new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 2 })))));
        var onTheAggregate = await h.Store.CreateAsync(Marketer, new SegmentDraft("Buyers", null, Rule(All(new AttributeCondition("c1", "orders",
            new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 1 })))));

        Assert.False(refused.Succeeded);
        var problem = Assert.Single(refused.Problems);
        Assert.Equal("c1", problem.NodeId);
        Assert.StartsWith("\"orders_x2\" is an expression attribute", problem.Message);
        Assert.True(onTheAggregate.Succeeded);
    }

    [Fact]
    public async Task Save_RefusesBadRules_WithTheProblemOfEachNode_AndNothingIsSaved()
    {
        await using var h = await SegmentHarness.StartAsync();
        var badNumber = Rule(All(new AttributeCondition("n1", "age", new ValueTest(ValueTestType.Number, ValueOperator.Contains) { Text = "1" })));

        var result = await h.Store.CreateAsync(Marketer, new SegmentDraft("Ages", null, badNumber));

        Assert.False(result.Succeeded);
        Assert.Contains(result.Problems, p => p.NodeId == "n1");
        Assert.Contains((await h.Store.CreateAsync(Marketer, new SegmentDraft("X", null, "{\"format\":1"))).Problems, p => p.NodeId == "" && p.Message.Contains("not valid", StringComparison.Ordinal));
        Assert.Contains((await h.Store.CreateAsync(Marketer, new SegmentDraft("", null, Buyers))).Problems, p => p.Message == "Give the segment a name.");
        Assert.Contains((await h.Store.CreateAsync(Marketer, new SegmentDraft("Y", null, Rule(All(new SegmentCondition("s1", 999, true)))))).Problems,
            p => p.NodeId == "s1" && p.Message == "There is no segment 999.");
        Assert.Empty(await h.Store.ListAsync());
    }

    [Fact]
    public async Task Save_ARuleWhoseNumberADoubleCannotHold_IsRefusedNamingIt_AndNothingIsSavedAsAnotherNumber()
    {
        await using var h = await SegmentHarness.StartAsync();
        // A rule written by hand, not by the builder (whose number box refuses such a number itself).
        const string Tiny = """{"format":1,"root":{"type":"group","id":"root","kind":"allOf","children":[{"type":"attribute","id":"c1","path":"ltv","test":{"type":"number","operator":"greaterThan","number":1e-400}}]}}""";
        var buyers = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Buyers", null, Buyers))).Segment!;

        var created = await h.Store.CreateAsync(Marketer, new SegmentDraft("Tiny", null, Tiny));
        var updated = await h.Store.UpdateAsync(Marketer, buyers.Id, new SegmentDraft("Buyers", null, Tiny.Replace("1e-400", "1e400", StringComparison.Ordinal)));

        // 1e-400 was saved as 0 ("ltv > 0"); 1e400 was refused as "The number is too large", without saying which.
        Assert.False(created.Succeeded);
        Assert.Equal("Node \"c1\": \"1e-400\" is too close to 0 to hold: numbers here other than 0 are at least 4.9E-324 from it.", Assert.Single(created.Problems).Message);
        Assert.False(updated.Succeeded);
        Assert.Equal("Node \"c1\": \"1e400\" is too large: numbers here go up to 1.7976931348623157E+308.", Assert.Single(updated.Problems).Message);
        Assert.Equal(["Buyers"], (await h.Store.ListAsync()).Select(s => s.Name));
        Assert.Equal(Buyers, (await h.Store.GetAsync(buyers.Id))!.Segment.RuleJson);
    }

    [Fact]
    public async Task Save_RefusesADuplicateNameIgnoringCase_AndACycleThroughStoredSegments()
    {
        await using var h = await SegmentHarness.StartAsync();
        var a = (await h.Store.CreateAsync(Marketer, new SegmentDraft("A", null, Buyers))).Segment!;
        var b = (await h.Store.CreateAsync(Marketer, new SegmentDraft("B", null, Rule(All(new SegmentCondition("r1", a.Id, true)))))).Segment!;

        Assert.Contains((await h.Store.CreateAsync(Marketer, new SegmentDraft("a", null, Buyers))).Problems, p => p.Message.Contains("exists already", StringComparison.Ordinal));
        var cycle = await h.Store.UpdateAsync(Marketer, a.Id, new SegmentDraft("A", null, Rule(All(new SegmentCondition("r2", b.Id, false)))));

        Assert.False(cycle.Succeeded);
        Assert.Equal("r2", Assert.Single(cycle.Problems).NodeId);
        Assert.Equal(Buyers, (await h.Store.GetAsync(a.Id))!.Segment.RuleJson);
    }

    [Fact]
    public async Task Save_RefusesANameWhoseAudienceKeyAnotherSegmentHas_NamingIt_WhateverItsStatus()
    {
        await using var h = await SegmentHarness.StartAsync();
        var active = await h.ActivateAsync("QA frequent buyers FR/ES", All(Performed("c1", "Order Completed")));
        var draft = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Lapsed buyers", null, Buyers))).Segment!;

        var punctuated = await h.Store.CreateAsync(Marketer, new SegmentDraft("QA frequent buyers (FR/ES)", null, Buyers));
        var lowerCase = await h.Store.CreateAsync(Marketer, new SegmentDraft("qa frequent buyers fr es", null, Buyers));
        var renamed = await h.Store.UpdateAsync(Marketer, draft.Id, new SegmentDraft("QA: frequent-buyers, FR ES!", null, Buyers));
        var renamedItself = await h.Store.UpdateAsync(Marketer, active.Id, new SegmentDraft("QA frequent buyers (FR/ES)", null, Buyers));

        foreach (var refused in new[] { punctuated, lowerCase, renamed })
        {
            Assert.False(refused.Succeeded);
            var problem = Assert.Single(refused.Problems);
            Assert.Equal("", problem.NodeId); // shown above the form, as the duplicate-name message is
            Assert.Contains("qa_frequent_buyers_fr_es", problem.Message);
            Assert.Contains("\"QA frequent buyers FR/ES\"", problem.Message);
        }
        Assert.True(renamedItself.Succeeded, string.Join("; ", renamedItself.Problems));
        Assert.Equal(["Lapsed buyers", "QA frequent buyers (FR/ES)"], (await h.Store.ListAsync()).Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("🎉🎉")]
    [InlineData("(!) -- ?")]
    public async Task Save_RefusesANameWithNoLetterOrDigit_ItWouldGiveAnEmptyAudienceKey(string name)
    {
        await using var h = await SegmentHarness.StartAsync();

        var refused = await h.Store.CreateAsync(Marketer, new SegmentDraft(name, null, Buyers));

        Assert.False(refused.Succeeded);
        var problem = Assert.Single(refused.Problems);
        Assert.Equal("", problem.NodeId);
        Assert.StartsWith("The name needs at least one letter or digit: it becomes the audience key", problem.Message);
        Assert.Empty(await h.Store.ListAsync());
    }

    [Fact]
    public async Task Save_TheDemoSegments_AreAllAccepted()
    {
        await using var h = await SegmentHarness.StartAsync();
        foreach (var draft in ProfileStudio.Core.Demo.DemoDataSeeder.SegmentDrafts)
        {
            var created = await h.Store.CreateAsync(Marketer, draft);
            Assert.True(created.Succeeded, $"{draft.Name}: {string.Join("; ", created.Problems)}");
        }
    }

    [Fact]
    public async Task Delete_RefusesAnActiveSegmentAndOneOthersUse_AndRemovesItsRows()
    {
        await using var h = await SegmentHarness.StartAsync();
        var a = await h.ActivateAsync("A", All(Performed("c1", "Order Completed")));
        var b = (await h.Store.CreateAsync(Marketer, new SegmentDraft("B", null, Rule(All(new SegmentCondition("r1", a.Id, true)))))).Segment!;
        h.Send("u1", null, "Order Completed");
        await h.SyncAsync();

        Assert.Contains("disable it", Assert.Single((await h.Store.DeleteAsync(Marketer, a.Id)).Problems).Message);
        await h.Store.DisableAsync(Marketer, a.Id);
        Assert.Contains("\"B\"", Assert.Single((await h.Store.DeleteAsync(Marketer, a.Id)).Problems).Message);
        Assert.True((await h.Store.DeleteAsync(Marketer, b.Id)).Succeeded);
        Assert.True((await h.Store.DeleteAsync(Marketer, a.Id)).Succeeded);

        Assert.Empty(await h.Store.ListAsync());
        await using var db = await h.DbAsync();
        Assert.False(await db.SegmentMembershipChanges.AnyAsync());
        Assert.False(await db.SegmentVersions.AnyAsync());
        Assert.False(await db.SegmentDailySizes.AnyAsync());
        var actions = (await h.Audit.QueryAsync(new AuditFilter(), 0, 50)).Entries.Select(e => e.Action).ToList();
        Assert.Contains("segment.activated", actions);
        Assert.Contains("segment.disabled", actions);
        Assert.Equal(2, actions.Count(x => x == "segment.deleted"));
    }

    private static readonly AuditActor Ana = new("u2", "ana@example.com");

    [Fact]
    public async Task Update_FromARevisionSomeoneSavedOverSince_IsRefusedSayingWhoAndWhen_AndChangesNothing()
    {
        await using var h = await SegmentHarness.StartAsync();
        var opened = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Buyers", "People who ordered", Buyers))).Segment!;
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        // A rename alone: no new version of the rule, and still a change the second save would undo.
        Assert.True((await h.Store.UpdateAsync(Ana, opened.Id, new SegmentDraft("Buyers (all time)", "People who ordered", Buyers), opened.Revision)).Succeeded);
        h.Clock.Advance(TimeSpan.FromMinutes(5));

        var refused = await h.Store.UpdateAsync(Marketer, opened.Id,
            new SegmentDraft("Buyers", "Mine", Rule(All(Performed("c1", "Order Completed", lastDays: 30)))), opened.Revision);

        Assert.False(refused.Succeeded);
        Assert.Equal(new EditConflict("ana@example.com", Start.AddMinutes(2)), refused.Conflict);
        Assert.Equal("ana@example.com saved this segment at 15 Jun 2026, 10:02 UTC, after you opened it. Reload to see their change (your edits are not saved).",
            Assert.Single(refused.Problems).Message);
        var stored = (await h.Store.GetAsync(opened.Id))!;
        Assert.Equal(("Buyers (all time)", "People who ordered", Buyers, 1, "ana@example.com"),
            (stored.Segment.Name, stored.Segment.Description, stored.Segment.RuleJson, stored.Segment.Version, stored.Segment.UpdatedBy));
        Assert.Single(stored.Versions);
        Assert.Single((await h.Audit.QueryAsync(new AuditFilter(), 0, 50)).Entries, e => e.Action == "segment.updated");
    }

    [Fact]
    public async Task Delete_FromARevisionSomeoneSavedOverSince_IsRefused_AndKeepsTheirChange_ThenDeletesFromTheCurrentOne()
    {
        await using var h = await SegmentHarness.StartAsync();
        var opened = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Buyers", null, Buyers))).Segment!;
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        var edited = (await h.Store.UpdateAsync(Ana, opened.Id, new SegmentDraft("Buyers (30 days)", null, Rule(All(Performed("c1", "Order Completed", lastDays: 30)))), opened.Revision)).Segment!;

        var refused = await h.Store.DeleteAsync(Marketer, opened.Id, opened.Revision);

        Assert.False(refused.Succeeded);
        Assert.Equal(new EditConflict("ana@example.com", Start.AddMinutes(2)), refused.Conflict);
        Assert.Equal("Buyers (30 days)", (await h.Store.GetAsync(opened.Id))!.Segment.Name);
        Assert.DoesNotContain((await h.Audit.QueryAsync(new AuditFilter(), 0, 50)).Entries, e => e.Action == "segment.deleted");

        Assert.True((await h.Store.DeleteAsync(Marketer, opened.Id, edited.Revision)).Succeeded);
        Assert.Null(await h.Store.GetAsync(opened.Id));
    }

    [Fact]
    public async Task Update_FromTheRevisionStoredNow_Saves_AndRaisesIt()
    {
        await using var h = await SegmentHarness.StartAsync();
        var created = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Buyers", null, Buyers))).Segment!;
        var renamed = (await h.Store.UpdateAsync(Ana, created.Id, new SegmentDraft("Buyers (all time)", null, Buyers), created.Revision)).Segment!;
        var reloaded = (await h.Store.GetAsync(created.Id))!.Segment;

        var saved = await h.Store.UpdateAsync(Marketer, created.Id, new SegmentDraft("Buyers (all time)", "Mine", Buyers), reloaded.Revision);

        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        Assert.Equal((1, 2, 3), (created.Revision, renamed.Revision, saved.Segment!.Revision));
        var stored = (await h.Store.GetAsync(created.Id))!.Segment;
        Assert.Equal(("Buyers (all time)", "Mine", 3), (stored.Name, stored.Description, stored.Revision));
    }

    [Fact]
    public async Task ActivateAndDisable_FromARevisionSomeoneSavedOverSince_AreRefused_AndEachRaisesTheRevision()
    {
        await using var h = await SegmentHarness.StartAsync();
        var opened = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Buyers", null, Buyers))).Segment!;
        var edited = (await h.Store.UpdateAsync(Ana, opened.Id, new SegmentDraft("Buyers", null, Rule(All(Performed("c1", "Order Completed", lastDays: 30)))), opened.Revision)).Segment!;

        var staleActivation = await h.Store.ActivateAsync(Marketer, opened.Id, opened.Revision);
        Assert.Equal("ana@example.com", staleActivation.Conflict?.SavedBy);
        Assert.Equal(SegmentStatus.Draft, (await h.Store.GetAsync(opened.Id))!.Segment.Status);

        var activated = await h.Store.ActivateAsync(Marketer, opened.Id, edited.Revision);
        Assert.True(activated.Succeeded, string.Join("; ", activated.Problems));
        var staleDisabling = await h.Store.DisableAsync(Ana, opened.Id, edited.Revision);
        Assert.Equal("marketer@example.com", staleDisabling.Conflict?.SavedBy);
        Assert.Equal(SegmentStatus.Active, (await h.Store.GetAsync(opened.Id))!.Segment.Status);
        Assert.True((await h.Store.DisableAsync(Ana, opened.Id, activated.Segment!.Revision)).Succeeded);
        var stored = (await h.Store.GetAsync(opened.Id))!.Segment;
        Assert.Equal((SegmentStatus.Disabled, 4), (stored.Status, stored.Revision));
    }

    [Fact]
    public async Task EvaluateNow_RefusesAnInactiveSegment()
    {
        await using var h = await SegmentHarness.StartAsync();
        var draft = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Draft", null, Buyers))).Segment!;
        Assert.Contains("not active", Assert.Single((await h.Store.EvaluateNowAsync(Marketer, draft.Id)).Problems).Message);
        Assert.False((await h.Store.EvaluateNowAsync(Marketer, 4242)).Succeeded);
    }

    [Fact]
    public async Task Activate_ASegmentReferringToADraftOrDisabledOne_IsRefusedNamingIt_UntilThatOneIsActive()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Big spenders", null, Buyers))).Segment!;
        var notBuyers = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Not big spenders", null, Rule(All(new SegmentCondition("r1", buyers.Id, false)))))).Segment!;

        var refused = await h.Store.ActivateAsync(Marketer, notBuyers.Id);

        Assert.False(refused.Succeeded);
        Assert.Equal(new SegmentRuleProblem("", "\"Not big spenders\" refers to \"Big spenders\", which is a draft: nobody is in it until it is activated, "
            + "so the condition \"are not in Big spenders\" would match everybody. Activate \"Big spenders\" first."), Assert.Single(refused.Problems));
        Assert.Equal(SegmentStatus.Draft, (await h.Store.GetAsync(notBuyers.Id))!.Segment.Status);
        Assert.Equal("r1", Assert.Single((await h.Store.GetAsync(notBuyers.Id))!.Warnings).NodeId);

        Assert.True((await h.Store.ActivateAsync(Marketer, buyers.Id)).Succeeded);
        Assert.True((await h.Store.ActivateAsync(Marketer, notBuyers.Id)).Succeeded);
        Assert.Empty((await h.Store.GetAsync(notBuyers.Id))!.Warnings);

        // Disabled since (the page's confirmation names the segments referring to it): a warning, and activating again is refused.
        await h.Store.DisableAsync(Marketer, buyers.Id);
        Assert.Contains("is disabled", Assert.Single((await h.Store.GetAsync(notBuyers.Id))!.Warnings).Message);
        await h.Store.DisableAsync(Marketer, notBuyers.Id);
        Assert.Contains("which is disabled: nobody is in it until it is activated again", Assert.Single((await h.Store.ActivateAsync(Marketer, notBuyers.Id)).Problems).Message);
    }

    [Fact]
    public async Task Update_AnActiveSegment_RefusesANewReferenceToADraft_ButKeepsOneToASegmentDisabledSince()
    {
        await using var h = await SegmentHarness.StartAsync();
        var draft = (await h.Store.CreateAsync(Marketer, new SegmentDraft("Big spenders", null, Buyers))).Segment!;
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        var known = await h.ActivateAsync("Known buyers", All(new SegmentCondition("r1", buyers.Id, true)));

        var refused = await h.Store.UpdateAsync(Marketer, known.Id, new SegmentDraft("Known buyers", null,
            Rule(All(new SegmentCondition("r1", buyers.Id, true), new SegmentCondition("r2", draft.Id, true)))));
        await h.Store.DisableAsync(Marketer, buyers.Id);
        var described = await h.Store.UpdateAsync(Marketer, known.Id, new SegmentDraft("Known buyers", "still reads Buyers", Rule(All(new SegmentCondition("r1", buyers.Id, true)))));

        Assert.False(refused.Succeeded);
        Assert.Contains("\"Known buyers\" refers to \"Big spenders\", which is a draft", Assert.Single(refused.Problems).Message);
        Assert.True(described.Succeeded, string.Join("; ", described.Problems));
        Assert.Equal(1, (await h.Store.GetAsync(known.Id))!.Segment.Version);
    }
}
