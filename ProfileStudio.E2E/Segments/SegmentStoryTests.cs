using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Sources;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Segments;

/// <summary>
/// An administrator builds "frequent buyers in France or Spain" (an event count and a nested OR group), sees the live
/// estimate, activates it; an order through the tracking API brings a person in, the profile says why; the clock moves
/// on and the person leaves with no new event.
/// </summary>
public sealed class SegmentStoryTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private HttpClient Client(string writeKey)
    {
        var http = new HttpClient { BaseAddress = Studio.Server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{writeKey}:")));
        return http;
    }

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static string Identify(string userId, string id, string name, string country, DateTime at) =>
        $$$"""{"type":"identify","messageId":"{{{id}}}","userId":"{{{userId}}}","timestamp":"{{{at:O}}}","traits":{"name":"{{{name}}}","country":"{{{country}}}"}}""";

    private static string Order(string userId, string id, DateTime at) =>
        $$$"""{"type":"track","messageId":"{{{id}}}","userId":"{{{userId}}}","event":"Order Completed","timestamp":"{{{at:O}}}","properties":{"amount":25}}""";

    private async Task<long> ProfileOfAsync(string userId)
    {
        var reader = Studio.Server.Services.GetRequiredService<ProfileReader>();
        long profileId = 0;
        await Eventually.TrueAsync(async () => (await reader.FindAsync($"user_id:{userId}")) is { Found: true, ProfileId: var id } && (profileId = id) > 0,
            $"{userId} is unified", TimeSpan.FromSeconds(30));
        return profileId;
    }

    private static async Task SignInAsAdminAsync(IPage page)
    {
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();
    }

    [Fact]
    public Task Admin_BuildsASegment_SeesTheEstimate_Activates_AndAnOrderBringsSomeoneInUntilTheWindowPasses() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var (ada, bea) = ($"seg-ada-{run}", $"seg-bea-{run}");
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var shop = await registry.CreateAsync(AuditActor.System, $"Segment shop {run}", SourceKind.Streaming, "");
        using var http = Client(shop.WriteKey!);
        var now = Studio.Server.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime; // the app's clock (a story may have moved it)
        // Ada (France) ordered once, 29 days ago; Bea (Spain) twice this week: only Bea is a frequent buyer yet.
        await PostAsync(http, "/v1/batch", $$"""
            {"batch":[
              {{Identify(ada, run + "-ia", $"Ada Segment {run}", "France", now.AddDays(-29))}}, {{Order(ada, run + "-a1", now.AddDays(-29))}},
              {{Identify(bea, run + "-ib", $"Bea Segment {run}", "Spain", now.AddDays(-3))}}, {{Order(bea, run + "-b1", now.AddDays(-3))}}, {{Order(bea, run + "-b2", now.AddDays(-2))}}
            ]}
            """);
        var adaId = await ProfileOfAsync(ada);
        var beaId = await ProfileOfAsync(bea);

        await SignInAsAdminAsync(page);
        var segments = new SegmentPages(page);
        await segments.GotoAsync();
        await segments.NewButton.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/profiles/segments/new$"));
        await new ShellPage(page).WaitForInteractiveAsync();

        var name = $"Frequent buyers {run}";
        await segments.Name.FillAsync(name);
        // performed Order Completed at least 2 times in the last 30 days …
        await segments.AddAsync(segments.RootGroup, "event");
        await Expect(segments.Problems.First).ToContainTextAsync("Choose an event.");
        await segments.PickAsync(segments.EventCondition.Locator("input[data-testid^='event-name-']"), "Order Comp", "Order Completed");
        await segments.CloseListsAsync();
        await segments.EventCondition.Locator("input[data-testid=event-count-times]").FillAsync("2");
        await segments.ChooseAsync(segments.EventCondition, "event-window", "in the last … days");
        // … and (country is France or country is Spain)
        await segments.AddAsync(segments.RootGroup, "group");
        await Expect(segments.NestedGroup).ToHaveAttributeAsync("data-kind", "AnyOf");
        foreach (var (index, country) in new[] { (0, "France"), (1, "Spain") })
        {
            await segments.AddAsync(segments.NestedGroup, "attribute");
            var condition = segments.NestedGroup.GetByTestId("attribute-condition").Nth(index);
            await segments.PickAsync(condition.Locator("input[data-testid^='attribute-path-']"), "count", "country");
            await segments.CloseListsAsync();
            await condition.Locator("input[data-testid=value-text]").FillAsync(country);
        }
        await Expect(segments.Problems).ToHaveCountAsync(0);
        await Expect(segments.Sentence).ToHaveTextAsync(
            "People who performed Order Completed at least twice in the last 30 days and (either whose country is France or whose country is Spain)");

        // The live estimate: exactly Bea, with a link to her profile.
        await Expect(segments.EstimateCount).ToHaveAttributeAsync("data-count", "1", new() { Timeout = 15_000 });
        await Expect(segments.EstimateShare).ToContainTextAsync("exact");
        await Expect(segments.EstimateSamples).ToHaveAttributeAsync("href", $"/profiles/{beaId}");
        await ThemeShots.SaveAsync(page, "50-segment-builder-estimate");

        await segments.ActivateButton.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/profiles/segments/\d+$"), new() { Timeout = 30_000 });
        await Expect(segments.Size).ToHaveTextAsync("1", new() { Timeout = 30_000 }); // the full evaluation after activation
        await Expect(segments.MemberLinks).ToHaveAttributeAsync("href", $"/profiles/{beaId}?tab=segments");
        var segmentUrl = page.Url;

        // Ada orders now: two orders in 30 days, she enters without anyone evaluating anything by hand.
        await new ShellPage(page).OpenAsync($"profiles/{adaId}?tab=segments");
        await Expect(segments.ProfileSegmentsEmpty).ToBeVisibleAsync();
        await PostAsync(http, "/v1/track", Order(ada, run + "-a2", now));
        var membership = segments.ProfileSegment(name);
        await Expect(membership).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(membership.GetByTestId("profile-segment-since")).ToBeVisibleAsync();
        // Why: the event count holds with its two orders, the OR group holds through France, Spain does not.
        await Expect(segments.WhyNode(membership, "performed Order Completed")).ToHaveAttributeAsync("data-matched", "true");
        await Expect(segments.WhyNode(membership, "performed Order Completed").Locator(":scope > [data-testid=why-detail]")).ToContainTextAsync("2 times");
        await Expect(segments.WhyNode(membership, "any of")).ToHaveAttributeAsync("data-matched", "true");
        await Expect(segments.WhyNode(membership, "country is France")).ToHaveAttributeAsync("data-matched", "true");
        await Expect(segments.WhyNode(membership, "country is Spain")).ToHaveAttributeAsync("data-matched", "false");
        await Expect(segments.WhyNode(membership, "country is Spain").Locator(":scope > [data-testid=why-detail]")).ToContainTextAsync("value: France");
        await ThemeShots.SaveAsync(page, "51-profile-segments-why");

        await page.GotoAsync(segmentUrl);
        await new ShellPage(page).WaitForInteractiveAsync();
        await Expect(segments.Size).ToHaveTextAsync("2", new() { Timeout = 15_000 });
        await Expect(segments.Entered).ToHaveTextAsync("+2");
        await Expect(segments.SizeChart.Locator(".main-svg").First).ToBeVisibleAsync(new() { Timeout = 15_000 }); // Plotly drew it
        await ThemeShots.SaveAsync(page, "52-segment-page");

        // Two days on, Ada's first order is 31 days old: she leaves with no new event; Bea (orders 4 and 5 days old) stays.
        await using var advanced = await page.APIRequest.PostAsync("/api/testing/clock/advance?hours=48");
        Assert.True(advanced.Ok, $"clock advance: {advanced.Status} {await advanced.TextAsync()}");
        await SignInAsAdminAsync(page); // the sign-in cookie is two days older now
        await Eventually.TrueAsync(async () =>
        {
            await page.GotoAsync(segmentUrl);
            await new ShellPage(page).WaitForInteractiveAsync();
            return await segments.Size.TextContentAsync() == "1";
        }, "Ada left the segment on the clock", TimeSpan.FromSeconds(30));
        await Expect(segments.Exited).ToHaveTextAsync("−1");
        await Expect(segments.MemberLinks).ToHaveAttributeAsync("href", $"/profiles/{beaId}?tab=segments");
        await new ShellPage(page).OpenAsync($"profiles/{adaId}?tab=segments");
        await Expect(segments.ProfileSegmentsEmpty).ToBeVisibleAsync();

        await segments.GotoAsync();
        await Expect(segments.Row(name)).ToContainTextAsync("active");
        await ThemeShots.SaveAsync(page, "53-segments-list");
    });
}
