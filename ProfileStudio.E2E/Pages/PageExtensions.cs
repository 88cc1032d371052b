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
    /// Types into a MudBlazor autocomplete and picks the option that shows <paramref name="option"/>, then closes the lists.
    /// The union schema and event catalog may still be catching up with the demo, so it types again until the option shows.
    /// </summary>
    public static async Task PickAsync(this IPage page, ILocator input, string typed, string option)
    {
        var choice = page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = option }).First;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await input.FillAsync("");
            await input.PressSequentiallyAsync(typed, new() { Delay = 20 });
            try
            {
                await choice.WaitForAsync(new() { Timeout = 2000 });
                await choice.ClickAsync();
                await page.Keyboard.PressAsync("Escape");
                // Focus leaves the field: a focused autocomplete opened its list again when the picked value came back
                // from the server (CI: the list's overlay then covered the Preview button for 30 s).
                await input.BlurAsync();
                await page.CloseListsAsync();
                return;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
                await page.Keyboard.PressAsync("Escape");
            }
        }
    }

    /// <summary>
    /// An autocomplete may open its list again when the picked value is drawn back into it, or when a search typed before
    /// the pick answers after it (its debounce fires late on a loaded machine; CI once saw the list stay open 20 s): the
    /// lists must stay closed for a moment, not only be closed once. Closed, they cover nothing.
    /// </summary>
    public static async Task CloseListsAsync(this IPage page)
    {
        var open = page.Locator(".mud-popover-open .mud-list-item");
        var closedChecks = 0;
        for (var i = 0; i < 40 && closedChecks < 3; i++)
        {
            if (await open.CountAsync() > 0)
            {
                closedChecks = 0;
                await page.Keyboard.PressAsync("Escape");
                await page.EvaluateAsync("() => document.activeElement?.blur()"); // away from the input, so it does not search again
                // An open list lays an overlay over the page (CI once saw it take every click on the heading for 30 s);
                // a click on the overlay is what closes the list.
                var overlay = page.Locator(".mud-overlay").First;
                if (await overlay.IsVisibleAsync())
                {
                    try
                    {
                        await overlay.ClickAsync(new() { Timeout = 1000 });
                    }
                    catch (TimeoutException)
                    {
                        // Gone between the check and the click: the next round looks again.
                    }
                }
            }
            else
            {
                closedChecks++;
            }
            await page.WaitForTimeoutAsync(150);
        }
        await Assertions.Expect(open).ToHaveCountAsync(0);
    }

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
