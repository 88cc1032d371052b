using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Layout;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Dashboard;

/// <summary>
/// A marketer's first look, with the demo data: the dashboard counts the profiles, the trend range and the merge
/// policy change the figures, a bar opens the explorer filtered to those profiles; saved at 1280 × 800 in light
/// and dark (<c>95-dashboard*.png</c>).
/// </summary>
public sealed class DashboardStoryTests(StudioFixture studio, DemoStudioFixture demo, ITestOutputHelper output)
    : StudioTest(studio, output), IClassFixture<DemoStudioFixture>
{
    [Fact]
    public async Task Dashboard_WithTheDemo_ShowsTheFiguresChangesRangeAndPolicy_AndClicksThroughToTheExplorer()
    {
        await demo.WaitForDemoAsync();
        await using var context = await Studio.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = demo.Server.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        var page = await context.NewPageAsync();
        try
        {
            await StoryAsync(page);
        }
        catch
        {
            await Screenshots.SaveAsync(page, "95-dashboard-failed");
            throw;
        }
    }

    private async Task StoryAsync(IPage page)
    {
        // The demo's policy without stitching, where every identifier is a profile of its own: the figures change with it.
        var policies = demo.Server.Services.GetRequiredService<MergePolicyStore>();
        Assert.Equal(IdentityStitching.None, (await policies.FindAsync("Per identifier"))?.Stitching);
        long live, identities;
        await using (var db = await demo.Db.CreateDbContextAsync())
        {
            live = await db.Profiles.CountAsync(p => p.MergedIntoId == null);
            identities = await db.Identities.CountAsync();
        }

        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        var shell = new ShellPage(page);
        await shell.ExpectHomeAsync();
        var dashboard = new DashboardPage(page);
        await dashboard.RefreshButton.ClickAsync(); // the figures now, not at the next periodic refresh
        await Expect(dashboard.RefreshButton).ToHaveTextAsync("Refresh");
        await Expect(dashboard.ProfileCount).ToHaveTextAsync(live.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        await Expect(dashboard.ComputedAt).ToContainTextAsync("Figures computed");
        await Expect(dashboard.Bars("namespace-chart").First).ToBeVisibleAsync();

        Assert.Equal(90, await dashboard.PointsAsync("trend-chart"));
        await dashboard.Range(30).ClickAsync();
        await Eventually.TrueAsync(async () => await dashboard.PointsAsync("trend-chart") == 30, "the trend to show 30 days", TimeSpan.FromSeconds(10));

        await dashboard.ChoosePolicyAsync("Per identifier");
        await Expect(dashboard.ProfileCount).ToHaveTextAsync(identities.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        await dashboard.ChoosePolicyAsync("Most recent");
        await Expect(dashboard.ProfileCount).ToHaveTextAsync(live.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        await dashboard.Range(90).ClickAsync();
        await Eventually.TrueAsync(async () => await dashboard.PointsAsync("trend-chart") == 90, "the trend to show 90 days", TimeSpan.FromSeconds(10));
        await Expect(page.GetByTestId("widget-computed").Locator("[data-testid=distribution-chart] .main-svg").First).ToBeVisibleAsync();
        await ThemeShots.SaveAsync(page, "95-dashboard");

        // The first bar is the namespace most profiles have: it opens them in the explorer.
        var first = await page.EvaluateAsync<string>("() => document.querySelector('[data-testid=namespace-chart] .js-plotly-plot').data[0].x[0]");
        // The bar's click as Plotly reports it to its listeners (a headless mouse on Plotly's drag layer gave no click event).
        await dashboard.Chart("namespace-chart").EvaluateAsync(
            "el => el.emit('plotly_click', { points: [{ curveNumber: 0, pointNumber: 0, pointIndex: 0, x: el.data[0].x[0], y: el.data[0].y[0], data: el.data[0], fullData: el._fullData[0] }] })");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/profiles\\?namespace={first}$"));
        await Expect(page.GetByTestId("profiles-namespace-filter")).ToContainTextAsync(first);
        await Expect(page.GetByTestId("profile-link").First).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "95-dashboard-click-through");

        // Under "Per identifier" every identifier is a profile: the same bar opens that many identifiers, each with its person.
        await page.GotoInteractiveAsync("/");
        await dashboard.ChoosePolicyAsync("Per identifier");
        await Expect(dashboard.ProfileCount).ToHaveTextAsync(identities.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        var bar = await dashboard.Chart("namespace-chart").EvaluateAsync<string[]>("el => [el.data[0].x[0], String(el.data[0].y[0])]");
        await dashboard.Chart("namespace-chart").EvaluateAsync(
            "el => el.emit('plotly_click', { points: [{ curveNumber: 0, pointNumber: 0, pointIndex: 0, x: el.data[0].x[0], y: el.data[0].y[0], data: el.data[0], fullData: el._fullData[0] }] })");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/profiles\\?namespace={bar[0]}&policy=\\d+$"));
        var count = long.Parse(bar[1], System.Globalization.CultureInfo.InvariantCulture);
        await Expect(page.GetByTestId("identifiers-count")).ToHaveTextAsync(
            $"{count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} {(count == 1 ? "identifier" : "identifiers")}");
        await Expect(page.GetByTestId("identifier-person-link").First).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "95-dashboard-click-through-per-identifier");
    }
}
