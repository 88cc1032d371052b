using Microsoft.Playwright;
using ProfileStudio.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Infrastructure;

/// <summary>A page saved in the light theme and in the dark one (toggled in place, then back).</summary>
public static class ThemeShots
{
    private const string DarkAppBar = "rgb(26, 31, 58)";
    private const string LightAppBar = "rgb(40, 53, 147)";

    public static async Task SaveAsync(IPage page, string name)
    {
        var shell = new ShellPage(page);
        await Screenshots.SaveAsync(page, name);
        await shell.ThemeToggle.ClickAsync();
        await Expect(shell.AppBar).ToHaveCSSAsync("background-color", DarkAppBar);
        await page.Mouse.MoveAsync(0, 0); // off the toggle: its tooltip would cover the page's corner
        await Screenshots.SaveAsync(page, name + "-dark");
        await shell.ThemeToggle.ClickAsync();
        await Expect(shell.AppBar).ToHaveCSSAsync("background-color", LightAppBar);
    }
}
