using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Profiles.Computed;
using ProfileStudio.Components.Profiles.Explorer;
using ProfileStudio.Components.Shared.Pickers;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.ComputedAttributes.Expressions;
using ProfileStudio.Core.Schema;
using ProfileStudio.Tests.Components.Segments;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Profiles.Computed;

/// <summary>The computed-attribute list, editor and profile section on the real Core services (SQLite in a temp folder).</summary>
public sealed class ComputedAttributePagesTests : StudioBunitContext
{
    private static readonly AuditActor Actor = new("u1", "mara@example.com");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private readonly StudioServices _studio;

    public ComputedAttributePagesTests()
    {
        _studio = StudioServices.Create(withAccounts: false, time: _time);
        Services.AddSingleton<TimeProvider>(_time);
        Services.AddSingleton(_studio.Services.GetRequiredService<ComputedAttributeStore>());
        Services.AddSingleton(_studio.Services.GetRequiredService<ComputedAttributeReader>());
        Services.AddSingleton(_studio.Services.GetRequiredService<ExpressionAttributes>());
        Services.AddSingleton(_studio.Services.GetRequiredService<SchemaCatalog>());
        Services.AddSingleton(_studio.Services.GetRequiredService<ProfileStudio.Core.Profiles.ProfileDirectory>());
        Services.AddScoped<CurrentActor>();
    }

    private ComputedAttributeStore Store => _studio.Services.GetRequiredService<ComputedAttributeStore>();

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    /// <summary>Migrates, adds two profiles with names and a spend attribute, and signs in with <paramref name="role"/>.</summary>
    private async Task ArrangeAsync(string role)
    {
        await _studio.StartHostedServicesAsync();
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("CRM");
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        foreach (var (id, first, last, spend) in new[] { (1L, "Ada", "Lovelace", 120), (2L, "Grace", "Hopper", 40) })
        {
            await seed.ProfileAsync(id, m, m);
            await seed.AttributeAsync(id, crm, "firstName", $"\"{first}\"", ProfileStoreSeed.T0, m);
            await seed.AttributeAsync(id, crm, "lastName", $"\"{last}\"", ProfileStoreSeed.T0, m);
            await seed.AttributeAsync(id, crm, "spend", spend.ToString(System.Globalization.CultureInfo.InvariantCulture), ProfileStoreSeed.T0, m);
        }
        await _studio.Services.GetRequiredService<SchemaMaintainer>().RecountAsync(); // formulas are checked against the union schema's keys
        SignIn("someone@example.com", role);
    }

    private async Task<ComputedAttributeDefinition> FormulaAsync(string name, string formula, bool activate = false)
    {
        var saved = await Store.SaveAsync(Actor, null, new ComputedAttributeDraft(name, $"{name} for tests", ComputedFunction.Expression, [], null, [], LookbackWindow.AllTime, formula));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        if (activate)
        {
            Assert.True((await Store.ActivateAsync(Actor, saved.Definition!.Id)).Succeeded);
        }
        return (await Store.GetAsync(saved.Definition!.Id))!;
    }

    [Fact]
    public async Task List_NoDefinitionsAsMarketer_ExplainsAndOffersNew()
    {
        await ArrangeAsync(Roles.Marketer);

        var page = Render<ComputedAttributesPage>();

        page.WaitForAssertion(() => Assert.Contains("No computed attributes yet", page.Find("[data-testid=computed-empty]").TextContent));
        Assert.Equal("/profiles/computed-attributes/new", page.Find("[data-testid=new-computed-empty]").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=computed-read-only]"));
    }

    [Fact]
    public async Task Editor_NewAsSupport_SaysOnlyEditorsCreateComputedAttributes_WithNoForm()
    {
        await ArrangeAsync(Roles.Support);

        var page = Render<ComputedAttributeEditorPage>();

        page.WaitForAssertion(() => Assert.Contains("Only administrators and marketers can create computed attributes", page.Find("[data-testid=computed-create-refused]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=computed-read-only]"));
        Assert.Empty(page.FindAll("input"));
    }

    [Fact]
    public async Task List_AsSupport_IsReadOnlyAndFiltersBySearch()
    {
        await ArrangeAsync(Roles.Support);
        await FormulaAsync("full_name", "firstName + ' ' + lastName", activate: true);
        await FormulaAsync("spend_tier", "if(spend >= 100, 'high', 'low')");
        Render<MudPopoverProvider>();

        var page = Render<ComputedAttributesPage>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=computed-row-name]").Count));
        Assert.NotNull(page.Find("[data-testid=computed-read-only]"));
        Assert.Empty(page.FindAll("[data-testid=new-computed]"));
        var rows = page.FindAll("tbody tr");
        Assert.Contains("active", rows[0].TextContent);
        Assert.Equal("Done", rows[0].QuerySelector("[data-testid=backfill]")!.GetAttribute("data-state"));
        Assert.Contains("draft", rows[1].TextContent);

        page.Find("input[data-testid=computed-search]").Input("tier");

        page.WaitForAssertion(() => Assert.Equal("spend_tier", Assert.Single(page.FindAll("[data-testid=computed-row-name] strong")).TextContent));
    }

    /// <summary>
    /// "lifetime_value" (a sum of order amounts), active at <paramref name="version"/> after edits, its backfill waiting to
    /// start (set in the database: the backfill job is not woken, the clock being fake). Returns its id.
    /// </summary>
    private async Task<int> ChangedAndWaitingForItsBackfillAsync(int version)
    {
        var saved = await Store.SaveAsync(Actor, null,
            new ComputedAttributeDraft("lifetime_value", "test", ComputedFunction.Sum, ["Order Completed"], "amount", [], LookbackWindow.AllTime));
        var id = saved.Definition!.Id;
        await using var db = await new ProfileStoreSeed(_studio.Services).DbAsync();
        await db.Database.ExecuteSqlAsync(
            $"UPDATE ComputedAttributeDefinitions SET Status = 'Active', Version = {version}, BackfillVersion = {version}, BackfillCursor = 0, BackfillDone = 0 WHERE Id = {id}");
        return id;
    }

    [Fact]
    public async Task Editor_AChangedDefinitionBeingBackfilled_SaysProfilesKeepTheirPreviousValueMeanwhile()
    {
        await ArrangeAsync(Roles.Marketer);
        var id = await ChangedAndWaitingForItsBackfillAsync(version: 3);
        Render<MudPopoverProvider>();

        var page = Render<ComputedAttributeEditorPage>(p => p.Add(x => x.Id, id));

        page.WaitForAssertion(() => Assert.Contains("keeps the value an earlier version gave it, if it had one", page.Find("[data-testid=backfill-previous]").TextContent));
    }

    [Fact]
    public async Task Editor_FormulaWithUnknownAttribute_ShowsTheValidatorsMessageAsYouType_OnceUnderTheFormula()
    {
        await ArrangeAsync(Roles.Marketer);
        var definition = await FormulaAsync("full_name", "firstName");
        Render<MudPopoverProvider>();
        var page = Render<ComputedAttributeEditorPage>(p => p.Add(x => x.Id, definition.Id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=formula-ok]")));

        page.Find("textarea[data-testid=formula-input]").Input("firstName + ' ' + lastNme");

        page.WaitForAssertion(() => Assert.Contains("Unknown attribute \"lastNme\". Did you mean \"lastName\"?", page.Find("[data-testid=formula-problem]").TextContent), TimeSpan.FromSeconds(5));
        Assert.Contains("(at character 19)", page.Find("[data-testid=formula-problem]").TextContent);
        // Not a second time in the form's problem list, which still lists the form's own problems.
        Assert.DoesNotContain(page.FindAll("[data-testid=computed-problem]"), a => a.TextContent.Contains("lastNme", StringComparison.Ordinal));
        page.Find("input[data-testid=computed-name]").Input("Full name");
        page.WaitForAssertion(() => Assert.Contains("\"Full name\" contains a space", page.Find("[data-testid=computed-problems]").TextContent));
        Assert.DoesNotContain(page.FindAll("[data-testid=computed-problem]"), a => a.TextContent.Contains("lastNme", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Editor_SomeoneSavedSinceItWasOpened_SaysWhoAndWhen_KeepsTheEdits_AndSavesOnceReloaded()
    {
        await ArrangeAsync(Roles.Marketer);
        var definition = await FormulaAsync("full_name", "firstName + ' ' + lastName");
        Render<MudPopoverProvider>();
        var page = Render<ComputedAttributeEditorPage>(p => p.Add(x => x.Id, definition.Id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=formula-ok]")));
        _time.Advance(TimeSpan.FromMinutes(2));
        var ana = new AuditActor("u2", "ana@example.com");
        Assert.True((await Store.SaveAsync(ana, definition.Id, definition.ToDraft() with { Description = "Ana's words" }, definition.Revision)).Succeeded);
        TypeFormula(page, "upper(firstName)");

        // Found and clicked in one turn of the renderer: the formula's check re-renders the page meanwhile (CI once clicked a stale handler).
        await page.InvokeAsync(() => page.Find("[data-testid=save-draft]").ClickAsync(new()));

        page.WaitForAssertion(() => Assert.Equal(
            "ana@example.com saved this computed attribute at 3 Dec 2026, 12:02 UTC, after you opened it. Reload to see their change (your edits are not saved).",
            page.Find("[data-testid=edit-conflict-message]").TextContent));
        Assert.Equal("upper(firstName)", SegmentRuleBuilderTests.Box(page, "formula-input")); // on screen until reloaded
        Assert.Empty(page.FindAll("[data-testid=computed-problem]"));
        var stored = (await Store.GetAsync(definition.Id))!;
        Assert.Equal(("firstName + ' ' + lastName", "Ana's words"), (stored.Formula, stored.Description));

        await page.Find("textarea[data-testid=formula-input]").BlurAsync(new()); // as reaching Reload does: a focused field keeps its text
        await page.InvokeAsync(() => page.Find("[data-testid=edit-conflict-reload]").ClickAsync(new()));

        page.WaitForAssertion(() => Assert.Equal(("firstName + ' ' + lastName", "Ana's words"),
            (SegmentRuleBuilderTests.Box(page, "formula-input"), SegmentRuleBuilderTests.Box(page, "computed-description"))));
        Assert.Empty(page.FindAll("[data-testid=edit-conflict]"));
        TypeFormula(page, "upper(firstName)");
        await page.InvokeAsync(() => page.Find("[data-testid=save-draft]").ClickAsync(new()));
        page.WaitForAssertion(() => Assert.Contains("version 2", page.Markup)); // what it computes changed: a new version
        var saved = (await Store.GetAsync(definition.Id))!;
        Assert.Equal(("upper(firstName)", "Ana's words"), (saved.Formula, saved.Description));
    }

    [Fact]
    public async Task Editor_DeletingADraftSomeoneSavedSinceItWasOpened_IsRefusedSayingWho_AndDeletesNothing()
    {
        await ArrangeAsync(Roles.Marketer);
        var definition = await FormulaAsync("full_name", "firstName + ' ' + lastName");
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ComputedAttributeEditorPage>(p => p.Add(x => x.Id, definition.Id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=delete]")));
        var ana = new AuditActor("u2", "ana@example.com");
        Assert.True((await Store.SaveAsync(ana, definition.Id, definition.ToDraft() with { Formula = "upper(firstName)" }, definition.Revision)).Succeeded);

        var clicking = page.Find("[data-testid=delete]").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("cannot be undone", dialogs.Markup));
        await dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").ClickAsync(new());
        await clicking;

        page.WaitForAssertion(() => Assert.StartsWith("ana@example.com saved this computed attribute at ", page.Find("[data-testid=edit-conflict-message]").TextContent));
        Assert.Equal("upper(firstName)", (await Store.GetAsync(definition.Id))!.Formula);
    }

    /// <summary>Types a formula and waits until the page's form has it (the field hands it over after a pause).</summary>
    private static void TypeFormula(IRenderedComponent<ComputedAttributeEditorPage> page, string formula)
    {
        page.Find("textarea[data-testid=formula-input]").Input(formula);
        page.WaitForAssertion(() => Assert.Equal(formula, page.FindComponent<FormulaEditor>().Instance.Formula), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Editor_AggregateWithoutEvents_ShowsTheCoreValidatorsProblemsInline()
    {
        await ArrangeAsync(Roles.Admin);
        Render<MudPopoverProvider>();
        var page = Render<ComputedAttributeEditorPage>();

        page.Find("input[data-testid=computed-name]").Input("average order value");

        page.WaitForAssertion(() =>
        {
            var problems = page.FindAll("[data-testid=computed-problem]").Select(p => p.TextContent).ToList();
            Assert.Contains(problems, p => p.Contains("Choose at least one event name"));
            Assert.Contains(problems, p => p.Contains("average order value", StringComparison.Ordinal) || p.Contains("key", StringComparison.OrdinalIgnoreCase));
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Editor_TypingTheNameOfATraitSourcesSend_WarnsThatTheComputedOneReplacesIt()
    {
        await ArrangeAsync(Roles.Marketer);
        Render<MudPopoverProvider>();
        var page = Render<ComputedAttributeEditorPage>();

        page.Find("input[data-testid=computed-name]").Input("spend");

        page.WaitForAssertion(() => Assert.Equal(
            "spend is also a trait sources send (seen on 2 profiles): this computed attribute will replace it in the Profile API and in segments.",
            page.Find("[data-testid=computed-name-warning]").TextContent.Trim()), TimeSpan.FromSeconds(5));

        page.Find("input[data-testid=computed-name]").Input("spend_30d");

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=computed-name-warning]")), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Editor_PreviewOfAnAggregateWithoutAName_ShowsTheDistribution_TheNameBeingNeededOnlyToSave()
    {
        await ArrangeAsync(Roles.Marketer);
        var seed = new ProfileStoreSeed(_studio.Services);
        var shop = await seed.SourceAsync("Shop");
        var m = await seed.MessageAsync(shop, new { type = "track" }, ProfileStoreSeed.T0);
        await seed.EventsAsync(1, shop, [("track", "Order Completed", ProfileStoreSeed.T0), ("track", "Order Completed", ProfileStoreSeed.T0.AddHours(1))], m);
        await seed.EventsAsync(2, shop, [("track", "Order Completed", ProfileStoreSeed.T0)], m);
        Render<MudPopoverProvider>();
        var page = Render<ComputedAttributeEditorPage>();
        var orders = new EventSummary("track:Order Completed", "track", "Order Completed", 3, [], [], ProfileStoreSeed.T0, ProfileStoreSeed.T0, [], 0, []);
        await page.InvokeAsync(() => page.FindComponent<EventNamePicker>().Instance.EventChanged.InvokeAsync(orders));

        await page.Find("[data-testid=preview]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("2 of 2 profiles looked at have a value", page.Find("[data-testid=preview-summary]").TextContent));
        Assert.Equal(2, page.FindComponent<DistributionChart>().Instance.Bars.Sum(b => b.Profiles));
        Assert.Equal(["Give the attribute a name."], page.FindAll("[data-testid=computed-problem]").Select(p => p.TextContent.Trim()));
    }

    [Fact]
    public async Task Editor_Preview_HandsTheDistributionToTheChartAndLinksExamples()
    {
        await ArrangeAsync(Roles.Marketer);
        var definition = await FormulaAsync("spend_tier", "if(spend >= 100, 'high', 'low')");
        Render<MudPopoverProvider>();
        var page = Render<ComputedAttributeEditorPage>(p => p.Add(x => x.Id, definition.Id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=formula-ok]")));

        page.Find("[data-testid=preview]").Click();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=distribution-chart]")));
        var chart = page.FindComponent<DistributionChart>();
        Assert.Equal("top-values", page.Find("[data-testid=distribution-chart]").GetAttribute("data-kind"));
        Assert.Equal([("high", 1), ("low", 1)], chart.Instance.Bars.OrderBy(b => b.Label));
        Assert.Equal(1, chart.Instance.CountTickStep); // whole profiles: no "0, 1, 1, 2" ticks on halves
        Assert.Contains("2 of 2 profiles looked at have a value", page.Find("[data-testid=preview-summary]").TextContent);
        var links = page.FindAll("[data-testid=preview-example] a").Select(a => a.GetAttribute("href")).Order().ToList();
        Assert.Equal(["/profiles/1", "/profiles/2"], links);

        page.Find("textarea[data-testid=formula-input]").Input("spend * 2");
        page.WaitForAssertion(() => Assert.Contains("Gives a number", page.Find("[data-testid=formula-ok]").TextContent), TimeSpan.FromSeconds(5));
        page.Find("[data-testid=preview]").Click();
        page.WaitForAssertion(() => Assert.Equal("histogram", page.Find("[data-testid=distribution-chart]").GetAttribute("data-kind")));
        Assert.Equal(2, page.FindComponent<DistributionChart>().Instance.Bars.Sum(b => b.Profiles));
        Assert.Equal(1, page.FindComponent<DistributionChart>().Instance.CountTickStep);
    }

    [Fact]
    public async Task Editor_HugeNumbersInAConditionAndTheWindow_StayAsTyped_AndTheProblemsSayWhatToType()
    {
        await ArrangeAsync(Roles.Marketer);
        var saved = await Store.SaveAsync(Actor, null, new ComputedAttributeDraft("big_spend", null, ComputedFunction.Sum, ["Bought"], "total",
            [EventCondition.Of("total", ConditionOperator.GreaterThan, "5")], LookbackWindow.Days(30)));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        Render<MudPopoverProvider>();
        var page = Render<ComputedAttributeEditorPage>(p => p.Add(x => x.Id, saved.Definition!.Id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("input[data-testid=computed-window-size]")));
        List<string> Problems() => page.FindAll("[data-testid=computed-problem]").Select(p => p.TextContent).ToList();

        page.Find("input[data-testid=condition-value-0]").Input("1e308");

        // It said "1e308" is not a number: it is one, too large for the decimals a condition compares with.
        page.WaitForAssertion(() => Assert.Contains("Condition 1: \"1e308\" is too large: numbers here go up to 79,228,162,514,264,337,593,543,950,335.", Problems()),
            TimeSpan.FromSeconds(5));

        page.Find("input[data-testid=computed-window-size]").Input("-5");

        // MudNumericField's Min made -5 a 1 without a word, and 1e12 int's largest value, which the message then named.
        page.WaitForAssertion(() => Assert.Contains("The window is the last N days, with N from 1 to 3,660; -5 is outside that.", Problems()), TimeSpan.FromSeconds(5));
        page.Find("input[data-testid=computed-window-size]").Input("1e12");
        page.WaitForAssertion(() => Assert.Contains("The window is the last N days, with N from 1 to 3,660.", Problems()), TimeSpan.FromSeconds(5));
        Assert.Equal("1e12", page.FindComponents<MudTextField<string>>()
            .Single(f => Equals(f.Instance.UserAttributes.GetValueOrDefault("data-testid"), "computed-window-size")).Instance.Value);
        Assert.DoesNotContain(Problems(), p => p.Contains("2147483647", StringComparison.Ordinal) || p.Contains("2,147,483,647", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Preview_FormulaErrors_OneLinePerProfile_WithoutDoublePunctuation()
    {
        await ArrangeAsync(Roles.Marketer);
        var tooLarge = ProfileStudio.Core.ComputedAttributes.Expressions.ExpressionEvaluator.TooLarge("10 ** 40");
        var distribution = new ComputedDistribution(2, 0, false, [], [], []);

        var preview = Render<ComputedPreview>(p => p.Add(x => x.Distribution, distribution).Add(x => x.Errors, [(1L, tooLarge), (2L, tooLarge)]));

        Assert.Equal([$"#1: {tooLarge}", $"#2: {tooLarge}"], preview.FindAll("[data-testid=preview-error]").Select(e => e.TextContent.Trim()));
        Assert.DoesNotContain(".;", preview.Find("[data-testid=preview-errors]").TextContent);
    }

    [Fact]
    public async Task ProfileSection_ShowsValueFormulaAndLink_AndReloadsOnANewVersion()
    {
        await ArrangeAsync(Roles.Support);
        var definition = await FormulaAsync("full_name", "firstName + ' ' + lastName", activate: true);

        var section = Render<ProfileComputedAttributes>(p => p.Add(x => x.ProfileId, 1L).Add(x => x.Version, 0));

        section.WaitForAssertion(() => Assert.Equal("Ada Lovelace", section.Find("[data-testid=profile-computed-value]").TextContent.Trim()));
        Assert.Equal("firstName + ' ' + lastName", section.Find("[data-testid=profile-computed-formula]").TextContent);
        Assert.Equal($"/profiles/computed-attributes/{definition.Id}", section.Find("[data-testid=profile-computed-link]").GetAttribute("href"));

        var seed = new ProfileStoreSeed(_studio.Services);
        await using (var db = await seed.DbAsync())
        {
            db.ProfileAttributes.Single(a => a.ProfileId == 1 && a.Key == "lastName").ValueJson = "\"King\"";
            await db.SaveChangesAsync();
        }
        section.Render(p => p.Add(x => x.ProfileId, 1L).Add(x => x.Version, 1));

        section.WaitForAssertion(() => Assert.Equal("Ada King", section.Find("[data-testid=profile-computed-value]").TextContent.Trim()));
    }

    [Fact]
    public async Task ProfileSection_AChangedDefinitionTheBackfillHasNotReached_ShowsThePreviousValueAsSuch()
    {
        await ArrangeAsync(Roles.Support);
        var id = await ChangedAndWaitingForItsBackfillAsync(version: 2);
        await using (var db = await new ProfileStoreSeed(_studio.Services).DbAsync())
        {
            // Profile 1 still has the row version 1 stored, profile 2 one of version 2.
            db.ComputedProfileStates.AddRange(
                ComputedProfileState.Of(1, new ComputedEntry(id, 1, ReadOnlyMemory<byte>.Empty, "120", ProfileStoreSeed.T0, null)),
                ComputedProfileState.Of(2, new ComputedEntry(id, 2, ReadOnlyMemory<byte>.Empty, "40", ProfileStoreSeed.T0, null)));
            await db.SaveChangesAsync();
        }

        var previous = Render<ProfileComputedAttributes>(p => p.Add(x => x.ProfileId, 1L));
        var current = Render<ProfileComputedAttributes>(p => p.Add(x => x.ProfileId, 2L));

        previous.WaitForAssertion(() => Assert.StartsWith("120", previous.Find("[data-testid=profile-computed-value]").TextContent.Trim()));
        var recomputing = previous.Find("[data-testid=profile-computed-recomputing]");
        Assert.Equal("previous version · recomputing", recomputing.TextContent.Trim());
        Assert.Contains("until the backfill of the new one reaches this profile", recomputing.GetAttribute("title"));
        current.WaitForAssertion(() => Assert.Equal("40", current.Find("[data-testid=profile-computed-value]").TextContent.Trim()));
        Assert.Empty(current.FindAll("[data-testid=profile-computed-recomputing]"));
    }

    /// <summary>"big_orders": the count of Order Completed where amount &gt;= 100 and coupon exists, active, with values for both profiles.</summary>
    private async Task<int> BigOrdersAsync()
    {
        var saved = await Store.SaveAsync(Actor, null, new ComputedAttributeDraft("big_orders", "orders of 100 or more", ComputedFunction.Count, ["Order Completed"], null,
            [EventCondition.Of("amount", ConditionOperator.GreaterOrEqual, "100"), EventCondition.Of("coupon", ConditionOperator.Exists)], LookbackWindow.AllTime));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        var id = saved.Definition!.Id;
        await using var db = await new ProfileStoreSeed(_studio.Services).DbAsync();
        await db.Database.ExecuteSqlAsync($"UPDATE ComputedAttributeDefinitions SET Status = 'Active', BackfillVersion = Version, BackfillDone = 1 WHERE Id = {id}");
        db.ComputedProfileStates.Add(ComputedProfileState.Of(1, new ComputedEntry(id, 1, ReadOnlyMemory<byte>.Empty, "2", ProfileStoreSeed.T0, null)));
        await db.SaveChangesAsync();
        return id;
    }

    [Fact]
    public async Task ListAndProfileSection_ShowADefinitionsConditions()
    {
        // Without them "count of events · Order Completed" read as every order, where the value counts only the big ones.
        await ArrangeAsync(Roles.Support);
        await BigOrdersAsync();
        Render<MudPopoverProvider>();

        var list = Render<ComputedAttributesPage>();
        var section = Render<ProfileComputedAttributes>(p => p.Add(x => x.ProfileId, 1L));

        list.WaitForAssertion(() => Assert.Equal("where amount >= 100 and coupon exists", list.Find("[data-testid=computed-row-conditions]").TextContent.Trim()));
        section.WaitForAssertion(() => Assert.Equal("2", section.Find("[data-testid=profile-computed-value]").TextContent.Trim()));
        Assert.Equal("where amount >= 100 and coupon exists", section.Find("[data-testid=profile-computed-conditions]").TextContent.Trim());
    }

    [Fact]
    public async Task Saving_TheAuditLogSaysWhatTheDefinitionComputes_ConditionsIncluded()
    {
        await ArrangeAsync(Roles.Marketer);
        await BigOrdersAsync();
        var formula = await FormulaAsync("full_name", "firstName + ' ' + lastName");

        await using var db = await new ProfileStoreSeed(_studio.Services).DbAsync();
        var details = await db.AuditEntries.Where(e => e.Action == AuditActions.ComputedAttributeCreated).OrderBy(e => e.Id).Select(e => e.Details).ToListAsync();
        Assert.Equal(["count of events over Order Completed where amount >= 100 and coupon exists, all time; version 1", "formula firstName + ' ' + lastName; version 1"], details);
    }

    [Fact]
    public async Task ProfileSection_NothingActive_SaysWhereToDefineThem()
    {
        await ArrangeAsync(Roles.Support);

        var section = Render<ProfileComputedAttributes>(p => p.Add(x => x.ProfileId, 1L));

        section.WaitForAssertion(() => Assert.Contains("No computed attribute has a value", section.Find("[data-testid=profile-computed-empty]").TextContent));
    }
}
