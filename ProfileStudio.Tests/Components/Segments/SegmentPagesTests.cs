using Bunit;
using Bunit.TestDoubles;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Segments;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Formatting;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Segments;

/// <summary>The segment list, editor with live estimate, segment page and the profile's Segments tab, on the real Core services (SQLite in a temp folder).</summary>
public sealed class SegmentPagesTests : StudioBunitContext
{
    private static readonly AuditActor Actor = new("u1", "mara@example.com");
    private readonly StudioServices _studio;

    public SegmentPagesTests()
    {
        _studio = StudioServices.Create(withAccounts: false);
        Services.AddSingleton(TimeProvider.System);
        foreach (var type in new[]
                 {
                     typeof(SegmentStore), typeof(SegmentEstimator), typeof(ISegmentMembershipSource), typeof(IdentityRulesStore), typeof(SchemaCatalog),
                     typeof(ProfileExplorerReader), typeof(UnificationNotifications), typeof(ComputedAttributeReader), typeof(ProfileDirectory),
                 })
        {
            Services.AddSingleton(type, _studio.Services.GetRequiredService(type));
        }
        Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SegmentExplainer>(_studio.Services));
        Services.AddScoped<CurrentActor>();
        Render<MudPopoverProvider>();
    }

    private SegmentStore Store => _studio.Services.GetRequiredService<SegmentStore>();

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    /// <summary>Migrates; three profiles: 1 and 2 have an email, 3 only a user id; 1 lives in France.</summary>
    private async Task ArrangeAsync(string role)
    {
        await _studio.CreateMigrator().StartAsync(CancellationToken.None); // no background jobs: memberships are exactly those written here
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("CRM");
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        foreach (var id in new long[] { 1, 2, 3 })
        {
            await seed.ProfileAsync(id, m, m);
            await seed.IdentityAsync(id, "user_id", $"u-{id}", crm, m, m);
        }
        await seed.IdentityAsync(1, "email", "ada@example.com", crm, m, m);
        await seed.IdentityAsync(2, "email", "bob@example.com", crm, m, m);
        await seed.AttributeAsync(1, crm, "country", "\"France\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(2, crm, "country", "\"Spain\"", ProfileStoreSeed.T0, m);
        SignIn("someone@example.com", role);
    }

    private static SegmentRule Rule(params SegmentNode[] children) => new(new GroupNode("root", GroupKind.AllOf, children));

    private static readonly SegmentRule HasEmail = Rule(new IdentityCondition("has-email", "email", true));
    private static readonly SegmentRule InFrance = Rule(new AttributeCondition("country", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" }));

    private async Task<Segment> SegmentAsync(string name, SegmentRule rule, params long[] members)
    {
        var created = await Store.CreateAsync(Actor, new SegmentDraft(name, $"{name} for tests", SegmentRuleJson.Serialize(rule)));
        Assert.True(created.Succeeded, string.Join("; ", created.Problems));
        if (members.Length > 0)
        {
            Assert.True((await Store.ActivateAsync(Actor, created.Segment!.Id)).Succeeded);
            // Memberships through the one write path (history, counts, daily sizes), as an evaluation would write them.
            await _studio.Services.GetRequiredService<SegmentMembershipWriter>().ApplyAsync(
                members.Select(p => new SegmentOutcome(created.Segment.Id, p, true, null)).ToList(), [], DateTime.UtcNow);
            // The store's member count is copied from the segments' file by the feed relay, in the background: wait for it, as a
            // page opened a moment later would (the list read 0 once in CI).
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while ((await Store.GetAsync(created.Segment.Id))!.Segment.MemberCount != members.Length && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
        return (await Store.GetAsync(created.Segment!.Id))!.Segment;
    }

    [Fact]
    public async Task List_NoSegmentsAsMarketer_SaysWhatToDoAndOffersNew()
    {
        await ArrangeAsync(Roles.Marketer);

        var page = Render<SegmentsPage>();

        page.WaitForAssertion(() => Assert.Contains("No segments yet", page.Find("[data-testid=segments-empty]").TextContent));
        Assert.Equal("/profiles/segments/new", page.Find("[data-testid=new-segment-empty]").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=segments-read-only]"));
    }

    [Fact]
    public async Task List_AsSupport_IsReadOnly_ShowsSizeAndRecentChanges_AndFilters()
    {
        await ArrangeAsync(Roles.Support);
        await SegmentAsync("Has email", HasEmail, 1, 2);
        await SegmentAsync("In France", InFrance);

        var page = Render<SegmentsPage>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=segment-row-name]").Count));
        Assert.NotNull(page.Find("[data-testid=segments-read-only]"));
        Assert.Empty(page.FindAll("[data-testid=new-segment]"));
        var rows = page.FindAll("tbody tr");
        Assert.Contains("Has email", rows[0].TextContent);
        Assert.Equal("2", rows[0].QuerySelector("[data-testid=segment-row-size]")!.TextContent.Trim());
        Assert.Contains("+2", rows[0].QuerySelector("[data-testid=segment-row-recent]")!.TextContent);
        Assert.Equal("active", rows[0].QuerySelector("[data-testid=segment-status]")!.TextContent);
        Assert.Equal("draft", rows[1].QuerySelector("[data-testid=segment-status]")!.TextContent);

        page.Find("input[data-testid=segments-search]").Input("fran");

        page.WaitForAssertion(() => Assert.Equal("In France", Assert.Single(page.FindAll("[data-testid=segment-row-name] strong")).TextContent));
    }

    [Fact]
    public async Task Editor_BuildingARule_ShowsTheExactLiveEstimateWithSampleLinks()
    {
        await ArrangeAsync(Roles.Marketer);
        var page = Render<SegmentEditorPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=estimate-invalid]"))); // an empty group is not counted

        await page.Find("[data-testid=add-identity]").ClickAsync(new());
        await page.InvokeAsync(() => page.FindComponent<MudSelect<string>>().Instance.ValueChanged.InvokeAsync("email"));

        page.WaitForAssertion(() => Assert.Equal("2", page.Find("[data-testid=estimate-matching]").GetAttribute("data-count")), TimeSpan.FromSeconds(10));
        Assert.StartsWith("66.7%", page.Find("[data-testid=estimate-share]").TextContent.Trim().Replace(" ", ""));
        Assert.Contains("of 3 profiles", page.Find("[data-testid=estimate-share]").TextContent);
        page.WaitForAssertion(() => Assert.Equal(["/profiles/1", "/profiles/2"], page.FindAll("[data-testid=estimate-samples] a, [data-testid=estimate-samples] [href]")
            .Select(a => a.GetAttribute("href")).Distinct().Order().ToList()));
        Assert.Contains("user_id:u-1", page.Find("[data-testid=estimate-samples]").TextContent); // named by the primary identifier
        Assert.Equal("People who have an email identifier", page.Find("[data-testid=segment-sentence]").TextContent);
    }

    [Fact]
    public async Task EstimatePanel_ARuleOnAComputedAttributeBeforeTheIndexLoads_SaysWhyTheCountWaits()
    {
        await ArrangeAsync(Roles.Marketer);
        await using (var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            db.ComputedAttributeDefinitions.Add(new ComputedAttributeDefinition
            {
                Name = "orders", Function = ComputedFunction.Count, EventNamesJson = "[\"Order Completed\"]", Status = ComputedStatus.Active, Version = 1,
            });
            await db.SaveChangesAsync();
        }
        var rule = Rule(new AttributeCondition("orders", "orders", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 2 }));

        // No background jobs here: the segment index never loads, and only it holds computed values.
        var panel = Render<SegmentEstimatePanel>(p => p.Add(x => x.Rule, rule).Add(x => x.Valid, true).Add(x => x.Debounce, TimeSpan.Zero));

        panel.WaitForAssertion(() => Assert.Contains("The index is loading", panel.Find("[data-testid=estimate-waiting-for-index]").TextContent));
        Assert.Contains("computed attribute", panel.Find("[data-testid=estimate-waiting-for-index]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=estimate-matching]"));
    }

    [Fact]
    public async Task Editor_ActiveSegment_SaysWhoWouldJoinAndLeaveBeforeSaving()
    {
        await ArrangeAsync(Roles.Admin);
        var segment = await SegmentAsync("Has email", HasEmail, 1, 2);
        var page = Render<SegmentEditorPage>(p => p.Add(x => x.Id, segment.Id));
        page.WaitForAssertion(() => Assert.Equal("2", page.Find("[data-testid=estimate-matching]").GetAttribute("data-count")), TimeSpan.FromSeconds(10));

        // "has no email" instead: profile 3 would join, 1 and 2 would leave.
        await page.InvokeAsync(() => page.FindComponents<MudSelect<bool>>().First(s => s.Instance.Value).Instance.ValueChanged.InvokeAsync(false));

        page.WaitForAssertion(() =>
        {
            Assert.Equal("1", page.Find("[data-testid=estimate-joining]").TextContent);
            Assert.Equal("2", page.Find("[data-testid=estimate-leaving]").TextContent);
        }, TimeSpan.FromSeconds(10));
        Assert.Equal(["/profiles/3"], page.FindAll("[data-testid=estimate-joining-samples] [data-testid=sample-profile]").Select(a => a.GetAttribute("href")));
        Assert.Equal(2, page.FindAll("[data-testid=estimate-leaving-samples] [data-testid=sample-profile]").Count);
        Assert.Equal(1, (await Store.GetAsync(segment.Id))!.Segment.Version); // nothing saved yet
    }

    [Fact]
    public async Task Editor_SaveWithoutAName_ShowsTheStoresProblem_AndSavesNothing()
    {
        await ArrangeAsync(Roles.Marketer);
        var page = Render<SegmentEditorPage>();
        await page.Find("[data-testid=add-identity]").ClickAsync(new());
        await page.InvokeAsync(() => page.FindComponent<MudSelect<string>>().Instance.ValueChanged.InvokeAsync("email"));

        await page.Find("[data-testid=save-segment]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=segment-problem]")));
        Assert.Empty(await Store.ListAsync());
    }

    [Fact]
    public async Task Editor_SaveANameWhoseKeyAnotherSegmentHas_ShowsTheStoresProblemNamingIt()
    {
        await ArrangeAsync(Roles.Marketer);
        await SegmentAsync("QA frequent buyers FR/ES", HasEmail);
        var page = Render<SegmentEditorPage>();
        page.Find("input[data-testid=segment-name]").Input("QA frequent buyers (FR/ES)");
        await page.Find("[data-testid=add-identity]").ClickAsync(new());
        await page.InvokeAsync(() => page.FindComponent<MudSelect<string>>().Instance.ValueChanged.InvokeAsync("email"));

        await page.Find("[data-testid=save-segment]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("\"QA frequent buyers FR/ES\"", Assert.Single(page.FindAll("[data-testid=segment-problem]")).TextContent));
        Assert.Single(await Store.ListAsync());
    }

    [Fact]
    public async Task Editor_Activate_SavesAndActivates_ThenGoesToTheSegmentPage()
    {
        await ArrangeAsync(Roles.Marketer);
        var navigation = Services.GetRequiredService<BunitNavigationManager>();
        var page = Render<SegmentEditorPage>();
        page.Find("input[data-testid=segment-name]").Input("Email reachable");
        await page.Find("[data-testid=add-identity]").ClickAsync(new());
        await page.InvokeAsync(() => page.FindComponent<MudSelect<string>>().Instance.ValueChanged.InvokeAsync("email"));

        await page.Find("[data-testid=activate-segment]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Matches(@"/profiles/segments/\d+$", navigation.Uri), TimeSpan.FromSeconds(5));
        var saved = Assert.Single(await Store.ListAsync());
        Assert.Equal(("Email reachable", SegmentStatus.Active, SegmentEvaluationMode.Streaming), (saved.Name, saved.Status, saved.Evaluation));
        Assert.EndsWith($"/profiles/segments/{saved.Id}", navigation.Uri);
    }

    [Fact]
    public async Task Editor_SomeoneSavedSinceItWasOpened_SaysWhoAndWhen_KeepsTheEdits_AndSavesOnceReloaded()
    {
        await ArrangeAsync(Roles.Marketer);
        var segment = await SegmentAsync("Has email", HasEmail);
        var navigation = Services.GetRequiredService<BunitNavigationManager>();
        var page = Render<SegmentEditorPage>(p => p.Add(x => x.Id, segment.Id));
        page.WaitForAssertion(() => Assert.Equal("Has email", SegmentRuleBuilderTests.Box(page, "segment-name")));
        var ana = new AuditActor("u2", "ana@example.com");
        Assert.True((await Store.UpdateAsync(ana, segment.Id, new SegmentDraft("Has email", "Ana's words", SegmentRuleJson.Serialize(HasEmail)), segment.Revision)).Succeeded);
        page.Find("input[data-testid=segment-name]").Input("Emailable");

        await page.Find("[data-testid=save-segment]").ClickAsync(new());

        var stored = (await Store.GetAsync(segment.Id))!.Segment;
        page.WaitForAssertion(() => Assert.Equal(
            $"ana@example.com saved this segment at {DisplayFormat.TimeUtc(stored.UpdatedAt)}, after you opened it. Reload to see their change (your edits are not saved).",
            page.Find("[data-testid=edit-conflict-message]").TextContent));
        Assert.Equal("Emailable", SegmentRuleBuilderTests.Box(page, "segment-name")); // on screen until reloaded
        Assert.Empty(page.FindAll("[data-testid=segment-problem]"));
        Assert.Equal(("Has email", "Ana's words"), (stored.Name, stored.Description));

        await page.Find("input[data-testid=segment-name]").BlurAsync(new()); // as reaching Reload does: a focused field keeps its text
        await page.Find("[data-testid=edit-conflict-reload]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal(("Has email", "Ana's words"), (SegmentRuleBuilderTests.Box(page, "segment-name"), SegmentRuleBuilderTests.Box(page, "segment-description"))));
        Assert.Empty(page.FindAll("[data-testid=edit-conflict]"));
        page.Find("input[data-testid=segment-name]").Input("Emailable");
        await page.Find("[data-testid=save-segment]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.EndsWith($"/profiles/segments/{segment.Id}", navigation.Uri));
        var saved = (await Store.GetAsync(segment.Id))!.Segment;
        Assert.Equal(("Emailable", "Ana's words"), (saved.Name, saved.Description));
    }

    [Fact]
    public async Task Editor_AConditionOnADraft_IsWarnedAtTheCondition_AndActivatingIsRefusedSayingWhy_KeepingTheSavedDraft()
    {
        await ArrangeAsync(Roles.Marketer);
        var draft = await SegmentAsync("Big spenders", HasEmail);
        var navigation = Services.GetRequiredService<BunitNavigationManager>();
        var page = Render<SegmentEditorPage>();
        page.Find("input[data-testid=segment-name]").Input("Not big spenders");
        await page.Find("[data-testid=add-segment]").ClickAsync(new());
        await page.InvokeAsync(() => page.FindComponents<MudSelect<bool>>().Single(s => s.Instance.Value).Instance.ValueChanged.InvokeAsync(false));
        await page.InvokeAsync(() => page.FindComponent<MudSelect<long>>().Instance.ValueChanged.InvokeAsync(draft.Id));

        page.WaitForAssertion(() => Assert.Equal("\"Big spenders\" is a draft: nobody is in it until it is activated, so this condition matches everybody.",
            page.Find("[data-testid=node-warning]").TextContent));

        await page.Find("[data-testid=activate-segment]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.EndsWith("would match everybody. Activate \"Big spenders\" first.", page.Find("[data-testid=segment-problem]").TextContent));
        var saved = (await Store.ListAsync()).Single(s => s.Name == "Not big spenders");
        Assert.Equal(SegmentStatus.Draft, saved.Status);
        // The page is the draft's editor now (a reload finds it), still saying why it is not active once the router gives it the id.
        Assert.EndsWith($"/profiles/segments/{saved.Id}/edit", navigation.Uri);
        page.Render(p => p.Add(x => x.Id, saved.Id));
        page.WaitForAssertion(() => Assert.EndsWith("would match everybody. Activate \"Big spenders\" first.", page.Find("[data-testid=segment-problem]").TextContent));
        Assert.Contains("Edit", page.Find("h1").TextContent);

        await page.Find("[data-testid=save-segment]").ClickAsync(new()); // the draft saved before the refusal, not a second one

        page.WaitForAssertion(() => Assert.EndsWith($"/profiles/segments/{saved.Id}", navigation.Uri));
        Assert.Equal(2, (await Store.ListAsync()).Count);
    }

    [Fact]
    public async Task Editor_AReferenceThatClosesACycle_IsMarkedAsItIsPicked_AndGetsNoEstimate()
    {
        await ArrangeAsync(Roles.Marketer);
        var c = await SegmentAsync("Chain C", HasEmail, 1);
        var b = await SegmentAsync("Chain B", Rule(new SegmentCondition("in-c", c.Id, true)), 1);
        await SegmentAsync("Chain A", Rule(new SegmentCondition("in-b", b.Id, true)), 1);
        var a = (await Store.ListAsync()).Single(s => s.Name == "Chain A");
        var page = Render<SegmentEditorPage>(p => p.Add(x => x.Id, c.Id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=estimate-matching]")));

        await page.Find("[data-testid=add-segment]").ClickAsync(new());
        await page.InvokeAsync(() => page.FindComponent<MudSelect<long>>().Instance.ValueChanged.InvokeAsync(a.Id));

        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=node-problem]"), p =>
            p.TextContent.Contains($"This reference makes a cycle of segments: Chain C (#{c.Id}) → Chain A (#{a.Id}) → Chain B (#{b.Id}) → Chain C (#{c.Id})", StringComparison.Ordinal)));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=estimate-invalid]")));
        Assert.Empty(page.FindAll("[data-testid=estimate-matching]"));
    }

    [Fact]
    public async Task SegmentPage_ReferringToASegmentDisabledSince_SaysNobodyIsInIt()
    {
        await ArrangeAsync(Roles.Marketer);
        var used = await SegmentAsync("Has email", HasEmail, 1, 2);
        var emailable = await SegmentAsync("Emailable", Rule(new SegmentCondition("in", used.Id, true)), 1);
        await Store.DisableAsync(Actor, used.Id);

        var page = Render<SegmentPage>(p => p.Add(x => x.Id, emailable.Id));

        page.WaitForAssertion(() => Assert.Equal("\"Has email\" is disabled: nobody is in it until it is activated again, so this condition matches nobody.",
            page.Find("[data-testid=segment-warning]").TextContent.Trim()));
    }

    [Fact]
    public async Task Editor_BatchEveryTooManyHours_KeepsTheTypedNumber_AndSaveSaysTheRange()
    {
        await ArrangeAsync(Roles.Marketer);
        var page = Render<SegmentEditorPage>();
        page.Find("input[data-testid=segment-name]").Input("Nightly");
        await page.Find("[data-testid=add-identity]").ClickAsync(new());
        await page.InvokeAsync(() => page.FindComponent<MudSelect<string>>().Instance.ValueChanged.InvokeAsync("email"));
        await page.InvokeAsync(() => page.FindComponent<MudSelect<SegmentEvaluationMode>>().Instance.ValueChanged.InvokeAsync(SegmentEvaluationMode.Batch));
        page.Find("input[data-testid=segment-batch-hours]").Input("100000");

        await page.Find("[data-testid=save-segment]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("every 1 to 744 hours", page.Find("[data-testid=segment-problem]").TextContent));
        Assert.Equal("100000", SegmentRuleBuilderTests.Box(page, "segment-batch-hours"));
        Assert.Empty(await Store.ListAsync()); // not saved as 744
    }

    [Fact]
    public async Task Editor_NewAsSupport_SaysOnlyEditorsCreateSegments()
    {
        await ArrangeAsync(Roles.Support);

        var page = Render<SegmentEditorPage>();

        page.WaitForAssertion(() => Assert.Contains("Only administrators and marketers can create segments", page.Find("[data-testid=segment-create-refused]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=segment-read-only]"));
        Assert.Empty(page.FindAll("[data-testid=segment-name]"));
    }

    [Fact]
    public async Task Editor_AsSupport_ShowsTheRuleReadOnly()
    {
        await ArrangeAsync(Roles.Support);
        var segment = await SegmentAsync("Has email", HasEmail);

        var page = Render<SegmentEditorPage>(p => p.Add(x => x.Id, segment.Id));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=segment-read-only]")));
        Assert.Empty(page.FindAll("[data-testid=save-segment]"));
        Assert.Empty(page.FindAll("[data-testid=activate-segment]"));
        Assert.Empty(page.FindAll("[data-testid=node-actions]"));
    }

    [Fact]
    public async Task SegmentPage_Active_ShowsSentenceSizeMembersOverlapAndVersions()
    {
        await ArrangeAsync(Roles.Marketer);
        var segment = await SegmentAsync("Has email", HasEmail, 1, 2);
        await SegmentAsync("In France", InFrance, 1);
        Assert.True((await Store.UpdateAsync(Actor, segment.Id, new SegmentDraft("Has email", null, SegmentRuleJson.Serialize(Rule(
            new IdentityCondition("has-email", "email", true), new IdentityCondition("has-user", "user_id", true)))))).Succeeded);

        var page = Render<SegmentPage>(p => p.Add(x => x.Id, segment.Id));

        page.WaitForAssertion(() => Assert.Equal("2", page.Find("[data-testid=segment-size]").TextContent));
        Assert.StartsWith("People who have an email identifier and who have a", page.Find("[data-testid=segment-page-sentence]").TextContent);
        Assert.Equal("+2", page.Find("[data-testid=segment-entered]").TextContent);
        Assert.Equal("1", page.Find("[data-testid=segment-size-chart]").GetAttribute("data-points"));
        page.WaitForAssertion(() => Assert.Equal(["/profiles/1?tab=segments", "/profiles/2?tab=segments"],
            page.FindAll("[data-testid=segment-member-link]").Select(a => a.GetAttribute("href"))));
        var overlap = page.Find("[data-testid=segment-overlap-row]");
        Assert.Contains("In France", overlap.TextContent);
        Assert.Matches(@"50\s?%", overlap.TextContent);
        Assert.Equal(["2", "1"], page.FindAll("[data-testid=segment-version]").Select(v => v.GetAttribute("data-version")));
        Assert.Contains("People who have an email identifier", page.FindAll("[data-testid=segment-version]")[1].TextContent);
        Assert.NotNull(page.Find("[data-testid=segment-export]"));

        page.Find("input[data-testid=segment-members-search]").Input("bob");

        page.WaitForAssertion(() => Assert.Equal(["/profiles/2?tab=segments"], page.FindAll("[data-testid=segment-member-link]").Select(a => a.GetAttribute("href"))),
            TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SegmentPage_MembersSearch_FindsAPhoneTypedAsPeopleWriteIt()
    {
        await ArrangeAsync(Roles.Marketer);
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("Shop");
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        await seed.IdentityAsync(2, "phone", "+447738713582", crm, m, m); // as ingestion stores it (E.164)
        var segment = await SegmentAsync("Has email", HasEmail, 1, 2);
        var page = Render<SegmentPage>(p => p.Add(x => x.Id, segment.Id));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=segment-member-link]").Count));

        page.Find("input[data-testid=segment-members-search]").Input("07738 713582");

        page.WaitForAssertion(() => Assert.Equal(["/profiles/2?tab=segments"], page.FindAll("[data-testid=segment-member-link]").Select(a => a.GetAttribute("href"))),
            TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Clicks the page's button, waits for its confirmation saying <paramref name="says"/>, and clicks <paramref name="answer"/> there.
    /// The click's handler waits for the dialog's answer, so it completes only after that.
    /// </summary>
    private async Task AnswerAsync(IRenderedComponent<SegmentPage> page, string button, string says, string answer)
    {
        var dialogs = Render<MudDialogProvider>();
        var clicking = page.WaitForElement($"[data-testid={button}]").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains(says, dialogs.Markup));
        await dialogs.FindAll("button").Single(b => b.TextContent.Trim() == answer).ClickAsync(new());
        await clicking;
    }

    [Fact]
    public async Task SegmentPage_ADraft_CanBeDeletedAfterConfirming_AndTheListFollows()
    {
        await ArrangeAsync(Roles.Marketer);
        var segment = await SegmentAsync("Junk 🎉", HasEmail);
        var navigation = Services.GetRequiredService<BunitNavigationManager>();
        var page = Render<SegmentPage>(p => p.Add(x => x.Id, segment.Id));

        await AnswerAsync(page, "delete-segment", "deleted for good", "Delete");

        page.WaitForAssertion(() => Assert.EndsWith("/profiles/segments", navigation.Uri));
        Assert.Empty(await Store.ListAsync());
    }

    [Fact]
    public async Task SegmentPage_DeletingADraftSomeoneEditedSinceItWasShown_IsRefusedSayingWho_AndDeletesNothing()
    {
        await ArrangeAsync(Roles.Marketer);
        var segment = await SegmentAsync("Has email", HasEmail);
        var navigation = Services.GetRequiredService<BunitNavigationManager>();
        var page = Render<SegmentPage>(p => p.Add(x => x.Id, segment.Id));
        page.WaitForElement("[data-testid=delete-segment]");
        var ana = new AuditActor("u2", "ana@example.com");
        Assert.True((await Store.UpdateAsync(ana, segment.Id, new SegmentDraft("Has email", null, SegmentRuleJson.Serialize(InFrance)), segment.Revision)).Succeeded);

        await AnswerAsync(page, "delete-segment", "deleted for good", "Delete");

        page.WaitForAssertion(() => Assert.StartsWith("ana@example.com saved this segment at ", page.Find("[data-testid=edit-conflict-message]").TextContent));
        Assert.NotNull(await Store.GetAsync(segment.Id));
        Assert.False(navigation.Uri.EndsWith("/profiles/segments", StringComparison.Ordinal)); // not sent to the list as after a delete
    }

    [Fact]
    public async Task SegmentPage_DeletingASegmentAnotherRefersTo_SaysWhichAndDeletesNothing()
    {
        await ArrangeAsync(Roles.Marketer);
        var used = await SegmentAsync("Has email", HasEmail);
        await SegmentAsync("Emailable French", Rule(new SegmentCondition("in", used.Id, true)));
        var page = Render<SegmentPage>(p => p.Add(x => x.Id, used.Id));
        var dialogs = Render<MudDialogProvider>();

        await page.WaitForElement("[data-testid=delete-segment]").ClickAsync(new());

        // Said at once: no confirmation promising a deletion that is then refused.
        page.WaitForAssertion(() => Assert.Contains("is used by \"Emailable French\"", page.Find("[data-testid=segment-problem]").TextContent));
        Assert.DoesNotContain("deleted for good", dialogs.Markup);
        Assert.Equal(2, (await Store.ListAsync()).Count);
    }

    [Fact]
    public async Task SegmentPage_DisablingASegmentActiveOnesReferTo_SaysWhatEachWouldLoseAndGain()
    {
        await ArrangeAsync(Roles.Marketer);
        var used = await SegmentAsync("Has email", HasEmail, 1, 2);
        await SegmentAsync("Emailable", Rule(new SegmentCondition("in", used.Id, true)), 1, 2);
        // "Is not in" a disabled segment holds for everyone: its non-members so far join.
        await SegmentAsync("No email", Rule(new GroupNode("none", GroupKind.NoneOf, [new SegmentCondition("in", used.Id, true)])), 3);
        await SegmentAsync("Unrelated", InFrance, 1);
        var page = Render<SegmentPage>(p => p.Add(x => x.Id, used.Id));

        await AnswerAsync(page, "disable-segment",
            "Once it is disabled nobody is in it, and the active segments that refer to it change with it: \"Emailable\" would lose 2 members; \"No email\" would gain 2 people.",
            "Cancel");

        Assert.Equal(SegmentStatus.Active, (await Store.GetAsync(used.Id))!.Segment.Status);
    }

    [Fact]
    public async Task SegmentPage_ActivatingARuleSomeoneChangedSinceItWasShown_IsRefused_UntilReloaded()
    {
        await ArrangeAsync(Roles.Marketer);
        var segment = await SegmentAsync("Has email", HasEmail);
        var page = Render<SegmentPage>(p => p.Add(x => x.Id, segment.Id));
        page.WaitForElement("[data-testid=activate-segment]");
        var ana = new AuditActor("u2", "ana@example.com");
        Assert.True((await Store.UpdateAsync(ana, segment.Id, new SegmentDraft("Has email", null, SegmentRuleJson.Serialize(InFrance)), segment.Revision)).Succeeded);

        await page.Find("[data-testid=activate-segment]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.StartsWith("ana@example.com saved this segment at ", page.Find("[data-testid=edit-conflict-message]").TextContent));
        Assert.Equal(SegmentStatus.Draft, (await Store.GetAsync(segment.Id))!.Segment.Status);
        Assert.StartsWith("People who have an email identifier", page.Find("[data-testid=segment-page-sentence]").TextContent); // what they acted on, until reloaded
        // Live traffic refreshes the page about once a second; not while the refusal is shown.
        Services.GetRequiredService<UnificationNotifications>().PublishProfiles([1]);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        page.WaitForAssertion(() => Assert.StartsWith("People who have an email identifier", page.Find("[data-testid=segment-page-sentence]").TextContent));

        await page.Find("[data-testid=edit-conflict-reload]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.DoesNotContain("email", page.Find("[data-testid=segment-page-sentence]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=edit-conflict]"));
        await page.Find("[data-testid=activate-segment]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=activate-segment]")));
        Assert.Equal(SegmentStatus.Active, (await Store.GetAsync(segment.Id))!.Segment.Status);
    }

    [Fact]
    public async Task SegmentPage_Disabling_ReplacesTheOverlapFiguresWithTheDisabledState_AsItDoesTheSize()
    {
        await ArrangeAsync(Roles.Marketer);
        var segment = await SegmentAsync("Has email", HasEmail, 1, 2);
        await SegmentAsync("In France", InFrance, 1);
        var page = Render<SegmentPage>(p => p.Add(x => x.Id, segment.Id));
        page.WaitForAssertion(() => Assert.Contains("In France", page.Find("[data-testid=segment-overlap-row]").TextContent));

        await AnswerAsync(page, "disable-segment", "stops being evaluated", "Disable");

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=segment-not-active]")));
        Assert.Empty(page.FindAll("[data-testid=segment-size]"));
        Assert.Empty(page.FindAll("[data-testid=segment-overlap-row]"));
        Assert.Equal("This segment is disabled: it has no members, so it shares none with other segments.",
            page.Find("[data-testid=segment-overlap-not-active]").TextContent.Trim());
    }

    [Fact]
    public async Task SegmentPage_Active_OffersNoDelete()
    {
        await ArrangeAsync(Roles.Marketer);
        var segment = await SegmentAsync("Has email", HasEmail, 1);

        var page = Render<SegmentPage>(p => p.Add(x => x.Id, segment.Id));

        page.WaitForElement("[data-testid=disable-segment]");
        Assert.Empty(page.FindAll("[data-testid=delete-segment]"));
    }

    [Fact]
    public async Task SegmentPage_AsSupport_HasNoExportAndNoEditing()
    {
        await ArrangeAsync(Roles.Support);
        var segment = await SegmentAsync("Has email", HasEmail, 1, 2);

        var page = Render<SegmentPage>(p => p.Add(x => x.Id, segment.Id));

        page.WaitForAssertion(() => Assert.Equal("2", page.Find("[data-testid=segment-size]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=segment-export]"));
        Assert.Empty(page.FindAll("[data-testid=edit-segment]"));
        Assert.Empty(page.FindAll("[data-testid=evaluate-now]"));
        Assert.Empty(page.FindAll("[data-testid=delete-segment]"));
    }

    [Fact]
    public async Task ProfileTab_ShowsTheSegmentsSinceWhenAndWhy()
    {
        await ArrangeAsync(Roles.Support);
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf,
        [
            new IdentityCondition("has-email", "email", true),
            new GroupNode("either", GroupKind.AnyOf,
            [
                new AttributeCondition("france", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" }),
                new AttributeCondition("spain", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "Spain" }),
            ]),
        ]));
        var segment = await SegmentAsync("Iberia and France", rule, 1);

        var tab = Render<ProfileSegments>(p => p.Add(x => x.ProfileId, 1L));

        tab.WaitForAssertion(() => Assert.Equal(segment.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), tab.Find("[data-testid=profile-segment]").GetAttribute("data-segment-id")));
        Assert.Equal($"/profiles/segments/{segment.Id}", tab.Find("[data-testid=profile-segment-link]").GetAttribute("href"));
        Assert.NotNull(tab.Find("[data-testid=profile-segment-since]"));
        string Matched(string id) => tab.Find($"[data-testid=why-node][data-node-id={id}]").GetAttribute("data-matched")!;
        Assert.Equal(("true", "true", "true", "false"), (Matched("root"), Matched("either"), Matched("france"), Matched("spain")));
        Assert.Contains("value: France", tab.Find("[data-testid=why-node][data-node-id=france] [data-testid=why-detail]").TextContent);
        Assert.Contains("ada@example.com", tab.Find("[data-testid=why-node][data-node-id=has-email] [data-testid=why-detail]").TextContent);
        Assert.Empty(tab.FindAll("[data-testid=profile-segment-stale]"));
    }

    [Fact]
    public async Task ProfileTab_InNoSegment_SaysWhereSegmentsAreDefined()
    {
        await ArrangeAsync(Roles.Support);

        var tab = Render<ProfileSegments>(p => p.Add(x => x.ProfileId, 3L));

        tab.WaitForAssertion(() => Assert.Contains("in no active segment", tab.Find("[data-testid=profile-segments-empty]").TextContent));
    }
}
