using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

internal static class PageExtensions
{
    /// <summary>
    /// The &lt;input&gt; of a MudBlazor field. MudBlazor 8 puts data-testid on the input itself;
    /// other versions put it on a wrapper, so both are accepted.
    /// </summary>
    public static ILocator MudInput(this IPage page, string testId) =>
        page.Locator($"input[data-testid='{testId}'], [data-testid='{testId}'] input");

    /// <summary>
    /// Clicks something that makes the browser load a new document (a plain form post) and waits
    /// until the new document has replaced the old one, even when the URL does not change.
    /// </summary>
    public static async Task ClickAndWaitForNewDocumentAsync(this IPage page, ILocator target)
    {
        await page.EvaluateAsync("() => document.documentElement.setAttribute('data-e2e-old-document', '')");
        await target.ClickAsync();
        await Assertions.Expect(page.Locator("html[data-e2e-old-document]")).ToHaveCountAsync(0);
        // Polled in the page rather than WaitForLoadStateAsync: once in CI the client missed the new
        // document's DOMContentLoaded (it saw "networkidle" only) and waited out its 30 s.
        await page.WaitForFunctionAsync("() => document.readyState !== 'loading'");
    }

    /// <summary>Opens a studio page and waits until it answers clicks (the Blazor circuit is connected).</summary>
    public static async Task GotoInteractiveAsync(this IPage page, string url)
    {
        await page.GotoAsync(url);
        await Assertions.Expect(page.Locator("[data-interactive='true']")).ToBeAttachedAsync();
    }
}
