using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/profiles/computed-attributes: the list, and the editor of one definition.</summary>
public sealed class ComputedAttributesPages(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Computed attributes", Exact = true });
    public ILocator Table => page.GetByTestId("computed-table");
    public ILocator NewButton => page.GetByTestId("new-computed");
    public ILocator EmptyState => page.GetByTestId("computed-empty");

    public ILocator Row(string name) =>
        Table.Locator("tbody tr").Filter(new() { Has = page.Locator("[data-testid=computed-row-name] strong", new() { HasTextString = name }) });

    // The editor
    public ILocator Name => page.MudInput("computed-name");
    public ILocator Description => page.Locator("textarea[data-testid='computed-description']");
    public ILocator EventChips => page.GetByTestId("event-name-chip");
    public ILocator Problems => page.GetByTestId("computed-problem");
    public ILocator PreviewButton => page.GetByTestId("preview");
    public ILocator ActivateButton => page.GetByTestId("activate");
    public ILocator Chart => page.GetByTestId("distribution-chart");
    public ILocator PreviewSummary => page.GetByTestId("preview-summary");
    public ILocator ExampleValues => page.GetByTestId("preview-example-value");
    public ILocator Backfill => page.GetByTestId("backfill-panel").GetByTestId("backfill");

    public async Task GotoAsync()
    {
        await new ShellPage(page).OpenAsync("profiles/computed-attributes");
        await Assertions.Expect(Heading).ToBeVisibleAsync();
    }

    public async Task ChooseFunctionAsync(string startsWith)
    {
        await page.Locator(".mud-input-control.mud-select:has([data-testid='computed-function'])").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex("^\\s*" + Regex.Escape(startsWith)) }).First.ClickAsync();
    }

    /// <summary>Types into the autocomplete <paramref name="testId"/> and picks the option that shows <paramref name="option"/> (<see cref="PageExtensions.PickAsync"/>).</summary>
    public Task PickAsync(string testId, string typed, string option) => page.PickAsync(page.MudInput(testId), typed, option);
}
