using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Formatting;
using ProfileStudio.Core.Storage;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Layout;

/// <summary>A server with the demo data (a few weeks of made-up traffic, a CRM and a point-of-sale file), for the walks below.</summary>
public sealed class DemoStudioFixture : IAsyncLifetime
{
    public StudioServer Server { get; } = new(demoPeople: 150);

    public Task InitializeAsync()
    {
        Server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public IDbContextFactory<ProfileStudioDbContext> Db => Server.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();

    /// <summary>Waits until the demo is generated, both files are read and the worker has unified the whole lake.</summary>
    public async Task WaitForDemoAsync()
    {
        await Eventually.TrueAsync(async () =>
        {
            await using var db = await Db.CreateDbContextAsync();
            var lakeEnd = await db.RawMessages.MaxAsync(m => (long?)m.Id) ?? 0;
            var checkpoint = await db.UnificationCheckpoints.Select(c => (long?)c.LastMessageId).FirstOrDefaultAsync() ?? 0;
            return lakeEnd > 0 && checkpoint == lakeEnd && await db.FileBatches.CountAsync() == 2
                && await db.FileBatches.AllAsync(b => b.CompletedAt != null);
        }, "the demo data to be generated and unified", TimeSpan.FromSeconds(120));
    }
}

/// <summary>
/// The studio as a new user meets it, with the demo data, at 1280 × 800: every page in light and dark
/// (<c>90-&lt;page&gt;-light.png</c> / <c>-dark.png</c>), and at 1920 × 1080 (<c>-dark-1920.png</c>): no
/// table wider than its box, no short word in a table cell broken over two lines, no request leaving the
/// server; and the explorer's times are the person's event times.
/// </summary>
public sealed class StudioWalkTests(StudioFixture studio, DemoStudioFixture demo, ITestOutputHelper output)
    : StudioTest(studio, output), IClassFixture<DemoStudioFixture>
{
    private async Task<IPage> SignInAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();
        return page;
    }

    private Task<IBrowserContext> NewDemoContextAsync() => Studio.Browser.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = demo.Server.Address.ToString(),
        ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        Locale = "en-US",
        TimezoneId = "UTC",
    });

    [Fact]
    public async Task EveryPage_LightAndDark_AtLaptopSize_NothingHidden_NothingFetchedFromElsewhere()
    {
        await demo.WaitForDemoAsync();
        await using var context = await NewDemoContextAsync();
        var outside = new ConcurrentQueue<string>();
        context.Request += (_, request) =>
        {
            if (new Uri(request.Url) is { Scheme: "http" or "https" or "ws" or "wss" } uri && uri.Host != "127.0.0.1")
            {
                outside.Enqueue(request.Url);
            }
        };
        var page = await SignInAsync(context);
        var shell = new ShellPage(page);
        long profileId;
        int sourceId;
        long batchId;
        long segmentId;
        await using (var db = await ProfileStudio.Core.Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(demo.Db)) // memberships are in the segments' file
        {
            // A person with several sources: a full profile page.
            profileId = await db.ProfileEvents.GroupBy(e => e.ProfileId).OrderByDescending(g => g.Select(e => e.SourceId).Distinct().Count()).ThenBy(g => g.Key).Select(g => g.Key).FirstAsync();
            sourceId = await db.Sources.Where(s => s.Name == "Website").Select(s => s.Id).FirstAsync();
            batchId = await db.FileBatches.OrderBy(b => b.Id).Select(b => b.Id).FirstAsync();
            // The segment with the most members: a full members table of identifiers.
            segmentId = await db.SegmentMemberships.GroupBy(m => m.SegmentId).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => g.Key).FirstAsync();
        }
        (string Name, string Path, string? Tab, string Ready)[] pages =
        [
            ("home", "/", null, "h1"),
            ("profiles", "/profiles", null, "[data-testid=profile-link]"),
            ("profile-attributes", $"/profiles/{profileId}", null, "[data-testid=attributes-table]"),
            ("profile-identities", $"/profiles/{profileId}?tab=identities", null, "[data-testid=identity-graph][data-drawn=true]"),
            ("profile-timeline", $"/profiles/{profileId}?tab=timeline", null, "[data-testid=timeline-event]"),
            ("profile-compare", $"/profiles/{profileId}?tab=compare", null, "h1"),
            ("merge-policies", "/profiles/merge-policies", null, "h1"),
            ("computed-attributes", "/profiles/computed-attributes", null, "h1"),
            ("segments", "/profiles/segments", null, "h1"),
            ("segment", $"/profiles/segments/{segmentId}", null, "[data-testid=segment-member-link]"),
            ("insights", "/identity/insights", null, "[data-testid=insight-profiles]"),
            ("simulator", "/identity/simulator", null, "h1"),
            ("namespaces", "/identity/namespaces", null, "h1"),
            ("unification", "/identity/unification", null, "h1"),
            ("sources", "/data/sources", null, "h1"),
            ("source-overview", $"/data/sources/{sourceId}", null, "[data-testid=hourly-chart] .main-svg"),
            ("files", "/data/batches", null, "h1"),
            ("file-status", $"/data/batches/{batchId}", null, "h1"),
            ("schema", "/data/schema", null, "[data-testid=attribute-path]"),
            ("rejected", "/data/rejected", null, "h1"),
            ("users", "/admin/users", null, "h1"),
            ("api-tokens", "/admin/api-tokens", null, "h1"),
            ("audit", "/admin/audit", null, "h1"),
            ("api-reference", "/api-reference", null, "[data-testid=api-operation]"),
        ];
        var problems = new List<string>();
        // The laptop in both themes, then a wide screen (the tables' columns are shared out differently there).
        foreach (var (mode, width) in new[] { ("light", 1280), ("dark", 1280), ("dark", 1920) })
        {
            if (width != 1280)
            {
                await page.SetViewportSizeAsync(width, 1080);
            }
            else if (mode == "dark")
            {
                await shell.OpenAsync("/");
                await shell.ThemeToggle.ClickAsync();
                await Expect(shell.AppBar).ToHaveCSSAsync("background-color", "rgb(26, 31, 58)");
            }
            var at = width == 1280 ? mode : $"{mode}, {width}";
            foreach (var (name, path, _, ready) in pages)
            {
                await shell.OpenAsync(path);
                await Expect(page.Locator(ready).First).ToBeVisibleAsync();
                await page.WaitForTimeoutAsync(400); // charts and grids settle
                await Screenshots.SaveAsync(page, width == 1280 ? $"90-{name}-{mode}" : $"90-{name}-{mode}-{width}");
                problems.AddRange((await LayoutChecks.OverflowingTablesAsync(page)).Select(p => $"{name} ({at}): {p}"));
                problems.AddRange((await LayoutChecks.CutWordsAsync(page)).Select(p => $"{name} ({at}): {p}"));
                problems.AddRange((await shell.NavLinksOutOfViewAsync()).Select(l => $"{name} ({at}): navigation item \"{l}\" is out of view"));
                if (mode == "dark")
                {
                    problems.AddRange((await DarkChartTextAsync(page)).Select(p => $"{name} ({at}): {p}"));
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // A shorter window: the menu scrolls, and an Admin page's item is scrolled into view rather than left below the fold.
        await page.SetViewportSizeAsync(1280, 560);
        await shell.OpenAsync("/admin/audit");
        await Expect(shell.NavLink("Audit log")).ToHaveClassAsync(new Regex("active"));
        await Eventually.TrueAsync(async () => !(await shell.NavLinksOutOfViewAsync()).Contains("Audit log"), "the current item scrolled into view");
        Assert.Contains("Dashboard", await shell.NavLinksOutOfViewAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.scrollY")); // the drawer scrolled, not the page
        await Screenshots.SaveWindowAsync(page, "90-audit-short-window-dark");
        Assert.True(outside.IsEmpty, "requests left the server: " + string.Join(", ", outside.Distinct()));
    }

    [Fact]
    public async Task Explorer_AndHeader_ShowThePersonsEventTimes_NotTheImportTime()
    {
        await demo.WaitForDemoAsync();
        DateTime firstSeen, lastActivity;
        long profileId;
        string name;
        await using (var db = await demo.Db.CreateDbContextAsync())
        {
            // A CRM customer with point-of-sale purchases weeks old: the CRM file was imported today.
            var crm = await db.Sources.Where(s => s.Name == "CRM export").Select(s => s.Id).FirstAsync();
            var weeksAgo = DateTime.UtcNow.AddDays(-10);
            var candidates = await db.Profiles.Where(p => p.MergedIntoId == null && p.LastActivityAt < weeksAgo
                    && db.ProfileAttributes.Any(a => a.ProfileId == p.Id && a.SourceId == crm && a.Key == "firstName"))
                .OrderBy(p => p.Id).Select(p => p.Id).Take(20).ToListAsync();
            Assert.NotEmpty(candidates);
            profileId = candidates[0];
            var profile = await db.Profiles.SingleAsync(p => p.Id == profileId);
            (firstSeen, lastActivity) = (profile.CreatedAt, profile.LastActivityAt!.Value); // UpdatedAt is the last change (today's CRM import)
            var events = await db.ProfileEvents.Where(e => e.ProfileId == profileId).Select(e => e.EventAt).ToListAsync();
            Assert.Equal(events.Max(), lastActivity);
            Assert.True(firstSeen <= events.Min());
            var names = await db.ProfileAttributes.Where(a => a.ProfileId == profileId && a.SourceId == crm && (a.Key == "firstName" || a.Key == "lastName"))
                .OrderBy(a => a.Key).Select(a => a.ValueJson!).ToListAsync();
            name = string.Join(" ", names.Select(n => n.Trim('"')));
        }

        await using var context = await NewDemoContextAsync();
        var page = await SignInAsync(context);
        var shell = new ShellPage(page);
        await shell.OpenAsync("/profiles");
        // "Last activity, newest first" (the default): the CRM-only people imported today come after everyone with activity.
        var firstRows = page.GetByTestId("profiles-grid").Locator("tbody tr").Filter(new() { Has = page.GetByTestId("profile-link") });
        await Expect(firstRows.First).ToBeVisibleAsync();
        foreach (var shown in await firstRows.GetByTestId("profile-row-last-activity").AllTextContentsAsync())
        {
            Assert.NotEqual("no events", shown.Trim());
        }
        await page.GetByTestId("profile-search").FillAsync($"profile_id:{profileId}");
        await page.GetByTestId("profile-search-go").ClickAsync();
        var row = page.GetByTestId("profiles-grid").Locator("tbody tr").Filter(new() { Has = page.GetByTestId("profile-link") });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.GetByTestId("profile-row-first-seen")).ToHaveTextAsync(DisplayFormat.Time(firstSeen));
        await Expect(row.GetByTestId("profile-row-last-activity")).ToHaveTextAsync(DisplayFormat.Time(lastActivity));
        await Expect(row.GetByTestId("profile-row-last-activity")).Not.ToContainTextAsync(DisplayFormat.Date(DateTime.UtcNow));
        await Screenshots.SaveAsync(page, "91-explorer-event-times");

        await row.GetByTestId("profile-link").ClickAsync();
        await Expect(page.Locator("h1")).ToContainTextAsync(name);
        await Expect(page.GetByTestId("profile-first-seen")).ToHaveTextAsync(DisplayFormat.TimeUtc(firstSeen));
        await Expect(page.GetByTestId("profile-last-activity")).ToHaveTextAsync(DisplayFormat.TimeUtc(lastActivity));
        await Expect(page.GetByTestId("profile-email")).ToContainTextAsync("@");
        await Screenshots.SaveAsync(page, "92-profile-header-event-times");
    }

    /// <summary>Chart text drawn dark on the dark page (Plotly's default colour).</summary>
    private static async Task<IReadOnlyList<string>> DarkChartTextAsync(IPage page) =>
        await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.js-plotly-plot .legendtext, .js-plotly-plot .xtick text, .js-plotly-plot .ytick text, .js-plotly-plot .textpoint text')]
                .map(t => [t.textContent, getComputedStyle(t).fill])
                .filter(([_, fill]) => { const m = fill.match(/\d+/g); return m && (Number(m[0]) + Number(m[1]) + Number(m[2])) / 3 < 128; })
                .slice(0, 5).map(([text, fill]) => `chart text "${text}" drawn in ${fill}`)
            """);
}
