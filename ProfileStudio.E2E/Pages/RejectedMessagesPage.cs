using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/data/rejected: messages refused at ingestion, and messages unification set aside (with Retry).</summary>
public sealed class RejectedMessagesPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Rejected messages" });
    public ILocator SetAsideTab => page.GetByRole(AriaRole.Tab, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Set aside by unification") });
    public ILocator SetAsideGrid => page.GetByTestId("set-aside-grid");

    /// <summary>The set-aside row whose reason mentions <paramref name="text"/>.</summary>
    public ILocator SetAsideRow(string text) => SetAsideGrid.Locator("tbody tr").Filter(new() { HasText = text });

    public ILocator RetryButton(string text) => SetAsideRow(text).GetByTestId("set-aside-retry");

    public async Task GotoSetAsideAsync()
    {
        await new ShellPage(page).OpenAsync("data/rejected?view=set-aside");
        await Assertions.Expect(Heading).ToBeVisibleAsync();
        await Assertions.Expect(SetAsideGrid).ToBeVisibleAsync();
    }
}
