using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Layout;

public sealed class DarkModeTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    // The app bar colours of StudioTheme's light and dark palettes.
    private const string LightAppBar = "rgb(40, 53, 147)";
    private const string DarkAppBar = "rgb(26, 31, 58)";

    [Fact]
    public Task ToggleDarkMode_Reload_StaysDark() => WithPageAsync(async page =>
    {
        const string email = "dark@e2e.test";
        const string password = "Support-Passw0rd!";
        var userId = await CreateUserAsync(email, password, Roles.Support);
        var login = new LoginPage(page);
        var shell = new ShellPage(page);
        await login.GotoAsync();
        await login.SignInAsync(email, password);
        await shell.ExpectHomeAsync();
        await Expect(shell.AppBar).ToHaveCSSAsync("background-color", LightAppBar);

        await shell.ThemeToggle.ClickAsync();
        await Expect(shell.AppBar).ToHaveCSSAsync("background-color", DarkAppBar);
        // The page turns dark before the preference is written; reload only once it is stored.
        var preferences = Studio.Server.Services.GetRequiredService<UserPreferences>();
        await Eventually.TrueAsync(() => preferences.GetDarkModeAsync(userId), "the dark-mode preference is stored");
        await page.ReloadAsync();
        await shell.WaitForInteractiveAsync();

        await Expect(shell.AppBar).ToHaveCSSAsync("background-color", DarkAppBar);
        // The dashboard's charts are drawn by Plotly after the page is interactive: the screenshot waits for every one.
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.chart-box')].every(box => box.querySelector('.main-svg'))");
        await Screenshots.SaveAsync(page, "11-home-dark");
    });
}
