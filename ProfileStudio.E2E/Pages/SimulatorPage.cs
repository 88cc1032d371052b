using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/identity/simulator: the messages editor, the rules panel and the results.</summary>
public sealed class SimulatorPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Rule simulator", Exact = true });
    public ILocator SandboxNote => page.GetByTestId("sim-sandbox-note");
    public ILocator Input => page.Locator("textarea[data-testid='sim-input']");
    public ILocator Simulate => page.GetByTestId("sim-run");
    public ILocator Empty => page.GetByTestId("sim-empty");
    public ILocator RulesState => page.GetByTestId("sim-rules-state");
    public ILocator Reset => page.GetByTestId("sim-reset");
    public ILocator ResultRules => page.GetByTestId("sim-result-rules");
    public ILocator Messages => page.GetByTestId("sim-message");
    public ILocator Outcomes => page.GetByTestId("sim-outcome");
    public ILocator MessageErrors => page.GetByTestId("sim-message-error");
    public ILocator ProfileTitles => page.GetByTestId("sim-profile-title");
    public ILocator Profiles => page.GetByTestId("sim-profile");
    public ILocator Graph => page.GetByTestId("sim-graph");
    public ILocator GraphTitle => page.GetByTestId("sim-graph-title");
    public ILocator Comparison => page.GetByTestId("sim-compare");
    public ILocator SavedProfiles => page.GetByTestId("sim-compare-saved-profiles");
    public ILocator EditedProfiles => page.GetByTestId("sim-compare-edited-profiles");

    public ILocator Example(string key) => page.GetByTestId($"sim-example-{key}");

    public ILocator Insights(string kind) => page.GetByTestId($"sim-insight-{kind}");

    /// <summary>The legend entries of the drawn Plotly graph (one per namespace).</summary>
    public ILocator GraphLegend => Graph.Locator(".legendtext");

    public async Task GotoAsync()
    {
        await new ShellPage(page).OpenAsync("identity/simulator");
        await Assertions.Expect(Heading).ToBeVisibleAsync();
    }

    /// <summary>Full-page screenshots draw the fixed app bar where the page is scrolled to; at the top it sits in place.</summary>
    public Task ScrollToTopAsync() => page.EvaluateAsync("() => window.scrollTo(0, 0)");

    /// <summary>Types a namespace's limit in the rules panel; leaving the field applies it.</summary>
    public async Task SetLimitAsync(string ns, int limit)
    {
        var field = page.MudInput($"sim-limit-{ns}");
        await field.FillAsync(limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await field.PressAsync("Tab");
    }
}
