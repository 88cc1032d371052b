using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Layout;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Data;

/// <summary>
/// A marketer finds out what data exists: Data › Schema lists the demo's attributes with fill rates and
/// its events with volumes; a search narrows the list; an attribute and an event open their details.
/// Screenshots light and dark at 1280 × 800 (<c>60-schema-*</c>).
/// </summary>
public sealed class SchemaStoryTests(StudioFixture studio, DemoStudioFixture demo, ITestOutputHelper output)
    : StudioTest(studio, output), IClassFixture<DemoStudioFixture>
{
    [Fact]
    public async Task DataSchema_WithDemoData_ListsAttributesAndEvents_SearchAndDetails()
    {
        await demo.WaitForDemoAsync();
        await Eventually.TrueAsync(async () =>
        {
            await using var db = await SqliteConsumerTables.CreateContextAsync(demo.Db); // the counts are in the consumers' file
            return await db.SchemaEvents.AnyAsync(e => e.Key == "track:Order Completed") && await db.SchemaAttributes.AnyAsync(a => a.Path == "email");
        }, "the schema consumer to count the demo", TimeSpan.FromSeconds(60));

        await using var context = await Studio.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = demo.Server.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        var page = await context.NewPageAsync();
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        var shell = new ShellPage(page);
        await shell.ExpectHomeAsync();

        await shell.NavLink("Schema").ClickAsync();
        await Expect(shell.Heading).ToHaveTextAsync("Schema");
        await shell.WaitForInteractiveAsync();
        var attributes = page.GetByTestId("attributes-table");
        await Expect(attributes.GetByTestId("attribute-path").First).ToBeVisibleAsync();
        Assert.True(await attributes.GetByTestId("attribute-path").CountAsync() >= 5);
        await Expect(attributes.GetByTestId("fill-rate").First).ToContainTextAsync("%");
        await ThemeShots.SaveAsync(page, "60-schema-attributes");

        await page.GetByTestId("attributes-search").FillAsync("email");
        await Expect(attributes.GetByTestId("attribute-path")).ToHaveTextAsync(new[] { "email" });
        await attributes.GetByTestId("attribute-path").ClickAsync();
        var details = page.GetByTestId("attribute-details");
        await Expect(details).ToBeVisibleAsync();
        await Expect(details.GetByTestId("attribute-types")).ToContainTextAsync("text");
        await Expect(details.GetByTestId("attribute-examples")).ToContainTextAsync("@");
        await DialogShotsAsync(page, details, "61-schema-attribute-details", () => attributes.GetByTestId("attribute-path").ClickAsync());

        await page.GetByRole(AriaRole.Tab, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Events") }).ClickAsync();
        var events = page.GetByTestId("events-table");
        await Expect(events.GetByTestId("event-name").First).ToBeVisibleAsync();
        await Expect(events.GetByTestId("sparkline").First).ToBeVisibleAsync();
        await ThemeShots.SaveAsync(page, "62-schema-events");

        await page.GetByTestId("events-search").FillAsync("order");
        await Expect(events.GetByTestId("event-name")).ToHaveTextAsync(new[] { "Order Completed" });
        await events.GetByTestId("event-name").ClickAsync();
        var eventDetails = page.GetByTestId("event-details");
        await Expect(eventDetails).ToBeVisibleAsync();
        await Expect(eventDetails.GetByTestId("event-properties")).ToContainTextAsync("products");
        await DialogShotsAsync(page, eventDetails, "63-schema-event-details", () => events.GetByTestId("event-name").ClickAsync());
    }

    /// <summary>An open dialog in light and dark: the dialog's backdrop covers the theme toggle, so it is closed to switch and opened again.</summary>
    private static async Task DialogShotsAsync(IPage page, ILocator dialog, string name, Func<Task> open)
    {
        var shell = new ShellPage(page);
        await page.WaitForTimeoutAsync(400); // the dialog's opening animation
        await Screenshots.SaveAsync(page, name);
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await shell.ThemeToggle.ClickAsync();
        await Expect(shell.AppBar).ToHaveCSSAsync("background-color", "rgb(26, 31, 58)");
        await open();
        await Expect(dialog).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(400);
        await Screenshots.SaveAsync(page, name + "-dark");
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await shell.ThemeToggle.ClickAsync();
        await Expect(shell.AppBar).ToHaveCSSAsync("background-color", "rgb(40, 53, 147)");
    }
}
