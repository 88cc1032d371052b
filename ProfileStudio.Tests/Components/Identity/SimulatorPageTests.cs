using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Components.Identity.Simulator;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Tests.Identity;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Identity;

/// <summary>Identity › Simulator on the real rules store (SQLite): what a user sees, and that nothing is saved.</summary>
public sealed class SimulatorPageTests : StudioBunitContext
{
    private StudioServices? _studio;

    private async Task<IRenderedComponent<SimulatorPage>> RenderPageAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        await _studio.Services.GetRequiredService<IdentityRulesStore>().LoadAsync(); // the built-in namespaces, as the worker seeds them at start
        Services.AddSingleton(_studio.Services.GetRequiredService<IdentityRulesStore>());
        Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2025, 3, 4, 12, 0, 0, TimeSpan.Zero)));
        SignIn("marketer@example.com", Roles.Marketer);
        var cut = Render<SimulatorPage>();
        cut.WaitForElement("[data-testid=sim-rules]");
        return cut;
    }

    private static IReadOnlyList<string> ProfileTitles(IRenderedComponent<SimulatorPage> cut) =>
        cut.FindAll("[data-testid=sim-profile-title]").Select(e => e.TextContent.Trim()).ToList();

    private static void SetLimit(IRenderedComponent<SimulatorPage> cut, string ns, int limit) =>
        cut.Find($"input[data-testid=sim-limit-{ns}]").Change(limit.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Render_Initially_ShowsTheSharedDeviceExampleTheSavedRulesAndWhatToDo()
    {
        var cut = await RenderPageAsync();

        Assert.Equal(SimulatorExamples.SharedDevice.Messages, cut.Find("textarea[data-testid=sim-input]").GetAttribute("value"));
        Assert.Contains("nothing is saved", cut.Find("[data-testid=sim-sandbox-note]").TextContent);
        Assert.Equal("The saved rules", cut.Find("[data-testid=sim-rules-state]").TextContent.Trim());
        Assert.Equal("1", cut.Find("input[data-testid=sim-limit-user_id]").GetAttribute("value"));
        Assert.Contains("Press Simulate", cut.Find("[data-testid=sim-empty]").TextContent);
        Assert.True(cut.Find("[data-testid=sim-reset]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Simulate_SharedDevice_ShowsTwoProfilesTheSetAsideDeviceAndWhereItMoved()
    {
        var cut = await RenderPageAsync();

        cut.Find("[data-testid=sim-run]").Click();

        Assert.Equal(["Profile #1", "Profile #2"], ProfileTitles(cut));
        Assert.Equal(4, cut.FindAll("[data-testid=sim-message]").Count);
        Assert.Equal(["new profile #1", "profile #1", "new profile #2", "profile #2"], cut.FindAll("[data-testid=sim-outcome]").Select(e => e.TextContent.Trim()));
        Assert.Contains("at most 1 user_id value", cut.Find("[data-testid=sim-insight-refused]").TextContent);
        Assert.Contains("moved from profile 1 to 2", cut.Find("[data-testid=sim-insight-reassigned]").TextContent);
        Assert.Equal("Identity graph of profile #1", cut.Find("[data-testid=sim-graph-title]").TextContent.Trim());
        Assert.Contains("under the saved rules", cut.Find("[data-testid=sim-result-rules]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=sim-compare]"));
    }

    [Fact]
    public async Task Simulate_UserIdLimitEditedToTwo_ShowsOneProfileComparedWithTheSavedRulesAndSavesNothing()
    {
        var cut = await RenderPageAsync();
        var before = RuleSimulatorTests.CountRows(_studio!.DataDirectory);

        SetLimit(cut, "user_id", 2);
        cut.Find("[data-testid=sim-run]").Click();

        Assert.Contains("not saved", cut.Find("[data-testid=sim-rules-state]").TextContent);
        Assert.Equal(["Profile #1"], ProfileTitles(cut));
        Assert.Contains("under your edited rules", cut.Find("[data-testid=sim-result-rules]").TextContent);
        Assert.Equal("2", cut.Find("[data-testid=sim-compare-saved-profiles]").TextContent.Trim());
        Assert.Equal("1 (-1)", cut.Find("[data-testid=sim-compare-edited-profiles]").TextContent.Trim());
        Assert.Equal(before, RuleSimulatorTests.CountRows(_studio.DataDirectory));
        var saved = await _studio.Services.GetRequiredService<IdentityRulesStore>().ListAsync();
        Assert.Equal(1, saved.Single(n => n.Name == "user_id").Limit);
        Assert.Equal(0, (await _studio.Audit.QueryAsync(new AuditFilter(), 0, 10)).Total);
    }

    [Fact]
    public async Task Reset_AfterAnEdit_BringsBackTheSavedRules()
    {
        var cut = await RenderPageAsync();
        SetLimit(cut, "user_id", 3);
        Assert.Contains("sim-edited", cut.Find("[data-testid=sim-rule-user_id]").ClassName);

        cut.Find("[data-testid=sim-reset]").Click();

        Assert.Equal("The saved rules", cut.Find("[data-testid=sim-rules-state]").TextContent.Trim());
        Assert.Equal("1", cut.Find("input[data-testid=sim-limit-user_id]").GetAttribute("value"));
    }

    [Fact]
    public async Task Simulate_AnInvalidBlockedPattern_SaysWhatToFixAndShowsNoResult()
    {
        var cut = await RenderPageAsync();
        cut.Find("[data-testid=sim-blocked-email]").Click();

        cut.Find("textarea[data-testid=sim-blocked-patterns]").Change("(unclosed");
        cut.Find("[data-testid=sim-run]").Click();

        Assert.StartsWith("email: \"(unclosed\" is not a valid regular expression", cut.Find("[data-testid=sim-rule-problem]").TextContent.Trim());
        Assert.NotEmpty(cut.FindAll("[data-testid=sim-empty]"));
    }

    [Fact]
    public async Task PickExample_Placeholders_RunsItAndShowsTheRefusedMessageWithItsReason()
    {
        var cut = await RenderPageAsync();

        cut.Find("[data-testid=sim-example-placeholders]").Click();

        Assert.Contains("test@test.com", cut.Find("[data-testid=sim-story]").TextContent);
        Assert.Equal("A track call needs an \"event\" name.", cut.Find("[data-testid=sim-message-error]").TextContent.Trim());
        Assert.Contains("refused by the parser", cut.Find("[data-testid=sim-summary]").TextContent);
        Assert.NotEmpty(cut.FindAll("[data-testid=sim-insight-blocked]"));
        Assert.NotEmpty(cut.FindAll("[data-testid=sim-insight-unidentified]"));
        Assert.Equal(["Profile #1", "Profile #2"], ProfileTitles(cut));
    }

    [Fact]
    public async Task Simulate_MalformedJson_SaysWhereAndKeepsTheInput()
    {
        var cut = await RenderPageAsync();

        cut.Find("textarea[data-testid=sim-input]").Change("[{\"type\": \"identify\", \"userId\": ada}]");
        cut.Find("[data-testid=sim-run]").Click();

        Assert.Contains("not valid JSON", cut.Find("[data-testid=sim-problem]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=sim-profile]"));
    }

    [Fact]
    public async Task EditAfterARun_MarksTheResultOutOfDate()
    {
        var cut = await RenderPageAsync();
        cut.Find("[data-testid=sim-run]").Click();

        SetLimit(cut, "user_id", 2);

        Assert.NotEmpty(cut.FindAll("[data-testid=sim-stale]"));
        cut.Find("[data-testid=sim-run]").Click();
        Assert.Empty(cut.FindAll("[data-testid=sim-stale]"));
    }

    [Fact]
    public async Task PickGraphProfile_ShowsThatProfilesGraph()
    {
        var cut = await RenderPageAsync();
        cut.Find("[data-testid=sim-run]").Click();

        cut.Find("[data-testid=sim-graph-pick-2]").Click();

        Assert.Equal("Identity graph of profile #2", cut.Find("[data-testid=sim-graph-title]").TextContent.Trim());
        Assert.Contains("sim-profile-selected", cut.FindAll("[data-testid=sim-profile]")[1].ClassName);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }
}
