using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Ingestion;

public sealed class SourceCreatedDialogTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    /// <summary>
    /// A source named with one unbroken word as long as a name may be: the dialog showing its write key once wraps the name
    /// inside itself (it ran 1,000 px past the dialog's edge), in the light theme and the dark one.
    /// </summary>
    [Fact]
    public Task ALongUnbrokenSourceName_WrapsInsideTheSourceCreatedDialog() => WithPageAsync(async page =>
    {
        var login = new LoginPage(page);
        var shell = new ShellPage(page);
        var sources = new SourcesPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await shell.ExpectHomeAsync();
        foreach (var theme in new[] { "light", "dark" })
        {
            var name = ($"Loyalty_export_{Guid.NewGuid():N}" + new string('W', 128))[..128];
            await sources.GotoAsync();
            await shell.WaitForInteractiveAsync();
            if (theme == "dark")
            {
                await shell.ThemeToggle.ClickAsync(); // the dialog's backdrop covers the toggle once it is open
            }
            await sources.NewSourceButton.ClickAsync();
            await sources.Name.FillAsync(name);
            await sources.CreateButton.ClickAsync();
            await sources.Secret.ReadAsync();

            var dialog = page.GetByTestId("secret-dialog"); // the dialog's content box
            await Expect(dialog.GetByTestId("secret-message")).ToContainTextAsync(name);
            var overflowing = await dialog.EvaluateAsync<string[]>(
                "d => [d, d.querySelector('[data-testid=secret-message]')].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => `${e.className}: ${e.scrollWidth}px in ${e.clientWidth}px`)");
            Assert.Empty(overflowing);
            await Screenshots.SaveAsync(page, $"source-created-long-name-{theme}");
            await sources.Secret.CloseAsync();
        }
        await shell.ThemeToggle.ClickAsync(); // back to light for the next story
    });
}
