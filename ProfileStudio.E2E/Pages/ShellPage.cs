using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>The interactive studio shell around every page: app bar, user menu, navigation drawer.</summary>
public sealed partial class ShellPage(IPage page)
{
    public ILocator ProductName => page.GetByTestId("product-name");
    public ILocator SignedInUser => page.GetByTestId("signed-in-user");
    public ILocator SignOutButton => page.GetByTestId("sign-out");
    public ILocator ThemeToggle => page.GetByTestId("theme-toggle");
    public ILocator AppBar => page.Locator(".mud-appbar");
    public ILocator NavMenu => page.GetByTestId("nav-menu");
    public ILocator Heading => page.Locator(".mud-main-content h1");

    public ILocator NavGroup(string group) => page.GetByTestId($"nav-group-{group}");

    public ILocator NavLink(string title) => NavMenu.GetByRole(AriaRole.Link, new() { Name = title, Exact = true });

    /// <summary>The navigation's items not wholly inside the drawer's visible box: below the window's edge, or scrolled away.</summary>
    public async Task<IReadOnlyList<string>> NavLinksOutOfViewAsync() =>
        await NavMenu.EvaluateAsync<string[]>("""
            menu => {
                const drawer = menu.closest('.mud-drawer').getBoundingClientRect();
                const bottom = Math.min(drawer.bottom, window.innerHeight);
                return [...menu.querySelectorAll('a')]
                    .filter(a => { const r = a.getBoundingClientRect(); return r.top < drawer.top - 0.5 || r.bottom > bottom + 0.5; })
                    .map(a => a.textContent.trim());
            }
            """);

    /// <summary>Opens a studio page and waits until its circuit handles clicks.</summary>
    public async Task<IResponse?> OpenAsync(string path)
    {
        var response = await page.GotoAsync(path);
        await WaitForInteractiveAsync();
        return response;
    }

    /// <summary>
    /// Waits until the circuit has replaced the prerendered page: before that, buttons are drawn
    /// but clicking them does nothing. The layout marks itself data-interactive="true" then.
    /// </summary>
    public Task WaitForInteractiveAsync() =>
        Assertions.Expect(page.Locator("[data-interactive='true']")).ToBeAttachedAsync();

    public async Task ExpectHomeAsync()
    {
        await Assertions.Expect(page).ToHaveURLAsync(HomeUrl());
        await Assertions.Expect(Heading).ToContainTextAsync("Dashboard");
        await WaitForInteractiveAsync();
    }

    public async Task SignOutAsync()
    {
        await SignOutButton.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(LoginUrl());
    }

    [GeneratedRegex(@"^https?://[^/]+/$")]
    private static partial Regex HomeUrl();

    [GeneratedRegex(@"/Account/Login")]
    private static partial Regex LoginUrl();
}
