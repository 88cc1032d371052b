using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Sources;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Computed;

/// <summary>A marketer defines "average order value", previews and activates it, and watches a new order change it live on the profile page.</summary>
public sealed class ComputedAttributeStoryTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string Password = "Computed-Passw0rd!";

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

    private static string Order(string userId, string id, decimal amount, DateTime at) =>
        $$$"""{"type":"track","messageId":"{{{id}}}","userId":"{{{userId}}}","event":"Order Completed","timestamp":"{{{at:O}}}","properties":{"amount":{{{amount.ToString(CultureInfo.InvariantCulture)}}},"category":"books"}}""";

    [Fact]
    public Task Marketer_CreatesAverageOrderValue_PreviewsActivates_AndSeesANewOrderOnTheProfileLive() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var userId = $"aov-{run}";
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var shop = await registry.CreateAsync(AuditActor.System, $"Shop {run}", SourceKind.Streaming, "");
        using var http = Client(shop.WriteKey!);
        var now = Studio.Server.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime; // the app's clock (a story may have moved it)
        await PostAsync(http, "/v1/batch", $$$"""
            {"batch":[
              {"type":"identify","messageId":"{{{run}}}-i","userId":"{{{userId}}}","timestamp":"{{{now.AddDays(-3):O}}}","traits":{"name":"Ada Orders {{{run}}}"}},
              {{{Order(userId, run + "-1", 10, now.AddDays(-3))}}}, {{{Order(userId, run + "-2", 20, now.AddDays(-2))}}}, {{{Order(userId, run + "-3", 30, now.AddDays(-1))}}}
            ]}
            """);
        var reader = Studio.Server.Services.GetRequiredService<ProfileReader>();
        long profileId = 0;
        await Eventually.TrueAsync(async () => (await reader.FindAsync($"user_id:{userId}")) is { Found: true, ProfileId: var id } && (profileId = id) > 0,
            "the person is unified", TimeSpan.FromSeconds(30));

        await CreateUserAsync($"marketer-{run}@e2e.test", Password, Roles.Marketer);
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync($"marketer-{run}@e2e.test", Password);
        await new ShellPage(page).ExpectHomeAsync();

        var computed = new ComputedAttributesPages(page);
        await computed.GotoAsync();
        await computed.NewButton.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/profiles/computed-attributes/new$"));
        await new ShellPage(page).WaitForInteractiveAsync();

        // Inline validation as the fields are filled.
        await computed.Name.FillAsync("average order value");
        await Expect(computed.Problems.First).ToBeVisibleAsync();
        await computed.Name.FillAsync($"average_order_value_{run}");
        await computed.Description.FillAsync("Average amount of a completed order");
        await computed.ChooseFunctionAsync("Average");
        await computed.PickAsync("event-name-picker", "Order Comp", "Order Completed");
        await Expect(computed.EventChips).ToHaveTextAsync(["Order Completed"]);
        await computed.PickAsync("computed-property", "amou", "amount");
        await Expect(computed.Problems).ToHaveCountAsync(0);

        await computed.PreviewButton.ClickAsync();
        await Expect(computed.Chart).ToBeVisibleAsync();
        await Expect(computed.Chart).ToHaveAttributeAsync("data-kind", "histogram");
        await Expect(computed.Chart.Locator(".main-svg .trace.bars path").First).ToBeVisibleAsync(new() { Timeout = 15_000 }); // Plotly drew the bars
        await Expect(computed.ExampleValues.First).ToBeVisibleAsync();
        await Expect(computed.PreviewSummary).ToContainTextAsync(new Regex("looked at ha(s|ve) a value"));
        await ThemeShots.SaveAsync(page, "40-computed-editor-preview");

        await computed.ActivateButton.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/profiles/computed-attributes/\d+$"), new() { Timeout = 30_000 }); // a client-side navigation: no load event to wait for
        await Expect(computed.Backfill).ToBeVisibleAsync();
        await Expect(computed.Backfill).ToHaveAttributeAsync("data-state", "Done", new() { Timeout = 30_000 });
        await Expect(computed.Backfill).ToContainTextAsync("Live");

        await computed.GotoAsync();
        await Expect(computed.Row($"average_order_value_{run}")).ToContainTextAsync("active");
        await ThemeShots.SaveAsync(page, "41-computed-list");

        // The profile page shows the backfilled value, then a new order changes it without a reload.
        await new ShellPage(page).OpenAsync($"profiles/{profileId}?tab=computed");
        var value = page.Locator($"[data-testid=profile-computed-row][data-name='average_order_value_{run}'] [data-testid=profile-computed-value]");
        await Expect(value).ToHaveTextAsync("20", new() { Timeout = 15_000 });
        await PostAsync(http, "/v1/track", Order(userId, run + "-4", 80, now));
        await Expect(value).ToHaveTextAsync("35", new() { Timeout = 15_000 });
        await ThemeShots.SaveAsync(page, "42-profile-computed");
    });

    [Fact]
    public Task Admin_MovesTheTestClock_AndSeesOrders30dDropOnTheProfile() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var userId = $"window-{run}";
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var shop = await registry.CreateAsync(AuditActor.System, $"Window shop {run}", SourceKind.Streaming, "");
        using var http = Client(shop.WriteKey!);
        var now = Studio.Server.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime; // the app's clock (others may have moved it)
        await PostAsync(http, "/v1/batch", $$$"""
            {"batch":[
              {"type":"identify","messageId":"{{{run}}}-i","userId":"{{{userId}}}","timestamp":"{{{now.AddDays(-25):O}}}","traits":{"name":"Wendy Window {{{run}}}"}},
              {{{Order(userId, run + "-old", 10, now.AddDays(-25))}}}, {{{Order(userId, run + "-a", 20, now.AddDays(-2))}}}, {{{Order(userId, run + "-b", 30, now.AddDays(-1))}}}
            ]}
            """);
        var reader = Studio.Server.Services.GetRequiredService<ProfileReader>();
        long profileId = 0;
        await Eventually.TrueAsync(async () => (await reader.FindAsync($"user_id:{userId}")) is { Found: true, ProfileId: var id } && (profileId = id) > 0,
            "the person is unified", TimeSpan.FromSeconds(30));
        var store = Studio.Server.Services.GetRequiredService<ComputedAttributeStore>();
        var name = $"orders_30d_{run}";
        var saved = await store.SaveAsync(AuditActor.System, null, new ComputedAttributeDraft(name, "Orders in the last 30 days", ComputedFunction.Count, ["Order Completed"], null, [], LookbackWindow.Days(30)));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        Assert.True((await store.ActivateAsync(AuditActor.System, saved.Definition!.Id)).Succeeded);

        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();
        await new ShellPage(page).OpenAsync($"profiles/{profileId}?tab=computed");
        var value = page.Locator($"[data-testid=profile-computed-row][data-name='{name}'] [data-testid=profile-computed-value]");
        await Expect(value).ToHaveTextAsync("3", new() { Timeout = 30_000 });

        // Six days on, the order from 25 days ago is 31 days old: out of the window, with no new event.
        await using var advanced = await page.APIRequest.PostAsync("/api/testing/clock/advance?hours=144");
        Assert.True(advanced.Ok, $"clock advance: {advanced.Status} {await advanced.TextAsync()}");
        // The sign-in cookie is six days older now, so sign in again.
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();
        await new ShellPage(page).OpenAsync($"profiles/{profileId}?tab=computed");
        await Expect(value).ToHaveTextAsync("2", new() { Timeout = 15_000 });
    });
}
