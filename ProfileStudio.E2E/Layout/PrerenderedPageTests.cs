using Microsoft.Playwright;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Layout;

/// <summary>
/// A studio page is first sent prerendered, then taken over by its circuit. Before that a click on a button would do
/// nothing: the page says it is connecting and its controls wait, and once live they answer.
/// </summary>
public sealed class PrerenderedPageTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    [Fact]
    public Task PrerenderedPage_SaysItIsConnecting_AndItsControlsWaitUntilTheCircuitIsLive() => WithPageAsync(async page =>
    {
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();

        // Hold the circuit's connection so the prerendered page stays as it was sent.
        var held = new TaskCompletionSource();
        await page.RouteAsync("**/_blazor/negotiate**", async route =>
        {
            await held.Task;
            await route.ContinueAsync();
        });
        await page.GotoAsync("/profiles");
        var search = page.GetByTestId("profile-search-go");
        await Expect(page.Locator("[data-interactive='false']")).ToBeAttachedAsync();
        await Expect(page.GetByTestId("connecting-bar")).ToBeVisibleAsync();
        Assert.Equal("none", await search.EvaluateAsync<string>("el => getComputedStyle(el).pointerEvents"));
        // Links still navigate: only controls wait.
        Assert.Equal("auto", await page.GetByTestId("nav-menu").Locator("a").First.EvaluateAsync<string>("el => getComputedStyle(el).pointerEvents"));

        await Screenshots.SaveAsync(page, "96-prerendered-connecting");

        held.SetResult();
        await Expect(page.Locator("[data-interactive='true']")).ToBeAttachedAsync();
        await Expect(page.GetByTestId("connecting-bar")).ToHaveCountAsync(0);
        Assert.Equal("auto", await search.EvaluateAsync<string>("el => getComputedStyle(el).pointerEvents"));
        await page.MudInput("profile-search").FillAsync("nobody-here@example.com");
        await search.ClickAsync();
        await Expect(page.GetByTestId("profiles-count")).ToHaveAttributeAsync("data-results-for", "nobody-here@example.com");
    });
}
