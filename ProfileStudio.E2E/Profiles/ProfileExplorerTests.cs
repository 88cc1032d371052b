using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Sources;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Profiles;

public sealed class ProfileExplorerTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string Password = "Explorer-Passw0rd!";
    private const int Events = 120;

    /// <summary>One person from two sources: the website (older values, many page views) and the CRM (newer values).</summary>
    private sealed record Person(string Run, string UserId, string Phone, int WebId, int CrmId);

    private async Task<Person> SendPersonAsync()
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var phone = $"{Random.Shared.Next(0, 1000):000}";
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var web = await registry.CreateAsync(AuditActor.System, $"Explorer web {run}", SourceKind.Streaming, "");
        var crm = await registry.CreateAsync(AuditActor.System, $"Explorer CRM {run}", SourceKind.Streaming, "");
        Assert.True(web.Succeeded && crm.Succeeded);
        var userId = $"explorer-{run}";

        using var webHttp = Client(web.WriteKey!);
        await PostAsync(webHttp, "/v1/identify", $$$"""
            {"userId":"{{{userId}}}","timestamp":"2026-03-01T09:00:00Z",
             "traits":{"name":"Ada Web {{{run}}}","phone":"+44 7700 900{{{phone}}}","plan":"free","bio":"{{{new string('x', 300)}}}"}}
            """);
        var events = Enumerable.Range(0, Events).Select(i =>
            $$$"""{"type":"track","userId":"{{{userId}}}","event":"{{{(i % 3 == 0 ? "Order Completed" : "Product Viewed")}}}","timestamp":"{{{new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc).AddHours(i * 5):O}}}","properties":{"sku":"SKU-{{{i}}}","products":[{"sku":"SKU-{{{i}}}","name":"Trail shoe","quantity":2}]}}""");
        await PostAsync(webHttp, "/v1/batch", $$$"""{"batch":[{{{string.Join(",", events)}}}]}""");

        using var crmHttp = Client(crm.WriteKey!);
        await PostAsync(crmHttp, "/v1/identify", $$$"""
            {"userId":"{{{userId}}}","timestamp":"2026-03-05T12:00:00Z",
             "traits":{"name":"Ada Lovelace {{{run}}}","plan":"enterprise","note":"<script>alert('x')</script>"}}
            """);
        return new Person(run, userId, phone, web.Source!.Id, crm.Source!.Id);
    }

    private HttpClient Client(string writeKey)
    {
        var http = new HttpClient { BaseAddress = Studio.Server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{writeKey}:")));
        return http;
    }

    private async Task SignInAsync(IPage page, string email, string role)
    {
        await CreateUserAsync(email, Password, role);
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(email, Password);
        await new ShellPage(page).ExpectHomeAsync();
    }

    private static async Task OpenProfileAsync(IPage page, string search)
    {
        var profiles = new ProfilesPage(page);
        await profiles.GotoAsync();
        await profiles.SearchUntilFoundAsync(search);
        await profiles.ProfileLinks.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/profiles/\d+$"));
        await new ShellPage(page).WaitForInteractiveAsync();
    }

    [Fact]
    public Task Support_FindsByPhoneTypedDifferently_ReadsLineageAndTimeline_CannotEditOrDelete() => WithPageAsync(async page =>
    {
        var person = await SendPersonAsync();
        await SignInAsync(page, $"explorer-support-{person.Run}@e2e.test", Roles.Support);

        // Sent as "+44 7700 900…", searched as a local number with other spacing.
        await OpenProfileAsync(page, $"phone:07700 900{person.Phone}");
        var profile = new ProfileExplorerPage(page);
        // Every message is unified before the header counts all of them (the page follows the worker live).
        await Expect(profile.Header).ToContainTextAsync($"{Events} events");
        await Expect(profile.Heading).ToHaveTextAsync($"Ada Lovelace {person.Run}");
        await Expect(profile.Header).ToContainTextAsync($"user_id:{person.UserId}");
        await Expect(profile.Header).ToContainTextAsync("2 sources");

        // The CRM's newer plan wins; the website's lost because it is older.
        await Expect(profile.AttributeValue("plan")).ToHaveTextAsync("enterprise");
        await Expect(profile.AttributeValue("note")).ToHaveTextAsync("<script>alert('x')</script>");
        await profile.AttributeRow("plan").ClickAsync();
        await Expect(profile.Lineage("plan")).ToContainTextAsync($"From Explorer CRM {person.Run}");
        await Expect(profile.Lineage("plan").GetByTestId("lineage-loser")).ToContainTextAsync($"free from Explorer web {person.Run}");
        await Expect(profile.Lineage("plan").GetByTestId("lineage-loser")).ToContainTextAsync("older than the winner");
        await Screenshots.SaveAsync(page, "40-explorer-attributes-lineage");
        await profile.JsonToggle.ClickAsync();
        await Expect(profile.JsonView).ToContainTextAsync("\"plan\": \"enterprise\"");
        await profile.JsonToggle.ClickAsync();

        await Expect(profile.EditPanel).ToHaveCountAsync(0);
        await Expect(profile.DeleteButton).ToHaveCountAsync(0);

        await profile.Tab("Timeline").ClickAsync();
        await Expect(profile.ActivityChart).ToBeVisibleAsync();
        await Expect(profile.TimelineEvents).ToHaveCountAsync(50);
        await Expect(profile.TimelineCount).ToHaveTextAsync($"Showing 50 of {Events} events");
        // Newest first: the last event sent is at the top.
        await Expect(profile.TimelineEvents.First).ToContainTextAsync("Product Viewed"); // i = 119
        await profile.TimelineMore.ScrollIntoViewIfNeededAsync();
        await profile.TimelineMore.ClickAsync();
        await Expect(profile.TimelineEvents).ToHaveCountAsync(100);
        await profile.TimelineMore.ClickAsync();
        await Expect(profile.TimelineEvents).ToHaveCountAsync(Events);
        await Expect(profile.TimelineMore).ToHaveCountAsync(0);
        await Expect(profile.TimelineEvents.Last).ToContainTextAsync("Order Completed"); // the first event sent, i = 0

        // Expanded: the properties (the products as a table of items, not JSON) and the raw message it came from.
        await profile.TimelineEvents.Last.ClickAsync();
        await Expect(profile.TimelineEvents.Last.GetByTestId("property-item")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("SKU-0\\s*Trail shoe\\s*2"));
        await Expect(profile.TimelineEvents.Last).ToContainTextAsync("\"sku\": \"SKU-0\"");
        await Expect(profile.TimelineEvents.Last).ToContainTextAsync("Raw message");
        await ThemeShots.SaveAsync(page, "41-explorer-timeline");
    });

    [Fact]
    public Task Admin_SwitchesPolicyAndSeesTheValueChange_EditsAnAttribute_DeletesTheProfile() => WithPageAsync(async page =>
    {
        var person = await SendPersonAsync();
        var policies = Studio.Server.Services.GetRequiredService<MergePolicyStore>();
        var webFirst = await policies.CreateAsync(AuditActor.System, new MergePolicyDraft($"Web first {person.Run}", "The website's values beat the CRM's.",
            IdentityStitching.Graph, AttributeMergeRule.SourcePrecedence, [person.WebId, person.CrmId], []));
        Assert.True(webFirst.Succeeded, string.Join("; ", webFirst.Problems));
        await SignInAsync(page, $"explorer-admin-{person.Run}@e2e.test", Roles.Admin);

        // Found by the start of the name (any case); the list shows the display name, primary identity and sources.
        var profiles = new ProfilesPage(page);
        await profiles.GotoAsync();
        await profiles.SearchUntilFoundAsync($"ada lovelace {person.Run}");
        await Expect(profiles.ProfileLinks).ToHaveTextAsync($"Ada Lovelace {person.Run}");
        await Expect(profiles.Results).ToContainTextAsync($"user_id:{person.UserId}");
        await Expect(profiles.Results).ToContainTextAsync($"Explorer CRM {person.Run}");
        await Screenshots.SaveAsync(page, "39-explorer-list");
        await profiles.ProfileLinks.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/profiles/\d+$"));
        await new ShellPage(page).WaitForInteractiveAsync();
        var profile = new ProfileExplorerPage(page);
        await Expect(profile.Header).ToContainTextAsync($"{Events} events");
        await Expect(profile.AttributeValue("plan")).ToHaveTextAsync("enterprise");

        await profile.ChoosePolicyAsync($"Web first {person.Run}");
        await Expect(profile.AttributeValue("plan")).ToHaveTextAsync("free");
        await profile.AttributeRow("plan").ClickAsync();
        await Expect(profile.Lineage("plan").GetByTestId("lineage-loser")).ToContainTextAsync("ranks below");
        await Screenshots.SaveAsync(page, "42-explorer-policy-switched");

        await profile.Tab("Compare policies").ClickAsync();
        await Expect(profile.CompareSummary).ToContainTextAsync("attributes differ");
        await Expect(profile.DifferingRows.Filter(new() { HasText = "plan" })).ToHaveCountAsync(1);
        await Screenshots.SaveAsync(page, "43-explorer-compare");

        // An edit goes through the lake as the source "Studio edits"; the open page follows the worker.
        await profile.Tab("Attributes").ClickAsync();
        await profile.ChoosePolicyAsync(MergePolicy.DefaultName);
        await profile.EditAttributeAsync("plan", "vip");
        await Expect(profile.AttributeValue("plan")).ToHaveTextAsync("vip");
        await profile.AttributeRow("plan").ClickAsync();
        await Expect(profile.Lineage("plan")).ToContainTextAsync("From Studio edits");
        await Screenshots.SaveAsync(page, "44-explorer-edited");

        await profile.DeleteButton.ClickAsync();
        await Screenshots.SaveAsync(page, "45-explorer-delete-confirm");
        await profile.ConfirmDeleteAsync(eraseFromLake: false);
        await Expect(profile.Missing).ToContainTextAsync("was deleted");
        await Screenshots.SaveAsync(page, "46-explorer-deleted");
        var audit = Studio.Server.Services.GetRequiredService<AuditLog>();
        var edits = await audit.QueryAsync(new AuditFilter(Action: AuditActions.ProfileAttributeEdited), 0, 100);
        Assert.Contains(edits.Entries, e => e.Target == $"user_id:{person.UserId}" && e.ActorName == $"explorer-admin-{person.Run}@e2e.test");
        var deletions = await audit.QueryAsync(new AuditFilter(Action: AuditActions.ProfileDeleted), 0, 100);
        Assert.Contains(deletions.Entries, e => e.ActorName == $"explorer-admin-{person.Run}@e2e.test");
        await profiles.GotoAsync();
        await profiles.SearchAsync($"user_id:{person.UserId}");
        await Expect(profiles.ProfileLinks).ToHaveCountAsync(0);
    });

    [Fact]
    public Task Support_FindsByFullName_BackFromTheProfileShowsTheSameSearch_ACapitalisedUserIdIsOffered_AMergedAddressSaysSo() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var web = await registry.CreateAsync(AuditActor.System, $"Explorer back {run}", SourceKind.Streaming, "");
        Assert.True(web.Succeeded);
        var reader = Studio.Server.Services.GetRequiredService<Core.Profiles.ProfileReader>();
        using var http = Client(web.WriteKey!);
        // Two profiles (a user id; a device with an e-mail), then a message with the user id and the e-mail merges them.
        var userId = $"Explorer-{run}";
        await PostAsync(http, "/v1/identify", $$$"""{"userId":"{{{userId}}}","traits":{"firstName":"Ada{{{run}}}","lastName":"Byron"}}""");
        await PostAsync(http, "/v1/identify", $$$"""{"anonymousId":"device-{{{run}}}","traits":{"email":"ada.{{{run}}}@example.com"}}""");
        long user = 0, device = 0;
        await Eventually.TrueAsync(async () =>
            (user = (await reader.FindAsync($"user_id:{userId}")).ProfileId) != 0 && (device = (await reader.FindAsync($"anonymous_id:device-{run}")).ProfileId) != 0,
            "both profiles are unified");
        await PostAsync(http, "/v1/identify", $$$"""{"userId":"{{{userId}}}","traits":{"email":"ada.{{{run}}}@example.com"}}""");
        await Eventually.TrueAsync(async () => await reader.CanonicalAsync(user) == await reader.CanonicalAsync(device), "the two profiles are merged");
        var survivor = (await reader.CanonicalAsync(user))!.Value;
        var merged = survivor == user ? device : user;
        await SignInAsync(page, $"explorer-back-{run}@e2e.test", Roles.Support);

        // First and last name as people say them, then the profile, then Back: the same search and its result.
        var profiles = new ProfilesPage(page);
        await profiles.GotoAsync();
        await profiles.SearchUntilFoundAsync($"Ada{run} Byron");
        await Expect(page).ToHaveURLAsync(new Regex($@"/profiles\?q=Ada{run}(%20|\+)Byron$"));
        await profiles.ProfileLinks.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($@"/profiles/{survivor}$"));
        await new ShellPage(page).WaitForInteractiveAsync();
        await page.GoBackAsync();
        await new ShellPage(page).WaitForInteractiveAsync();
        await Expect(profiles.Search).ToHaveValueAsync($"Ada{run} Byron");
        await Expect(profiles.ProfileLinks).ToHaveCountAsync(1);
        await Expect(profiles.ProfileLinks).ToHaveTextAsync($"Ada{run} Byron");

        // A user id keeps its capitals: typed otherwise, nothing matches exactly, and the one that exists is offered.
        await profiles.SearchAsync($"user_id:{userId.ToUpperInvariant()}");
        await Expect(profiles.Problem).ToContainTextAsync("No profile has exactly");
        await Expect(profiles.DidYouMean).ToHaveTextAsync($"user_id:{userId}");
        await ThemeShots.SaveAsync(page, "47-explorer-did-you-mean");
        await profiles.DidYouMean.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($@"/profiles/{survivor}$"));

        // The merged profile's address leads to the survivor, which says so.
        await page.GotoInteractiveAsync($"/profiles/{merged}");
        await Expect(page).ToHaveURLAsync(new Regex($@"/profiles/{survivor}\?merged={merged}$"));
        var profile = new ProfileExplorerPage(page);
        await Expect(profile.MergedNotice).ToContainTextAsync($"Profile #{merged} was merged into this profile (#{survivor}) on ");
        await profile.Tab("Identities").ClickAsync();
        await page.GetByTestId("identity-value").GetByText(userId, new() { Exact = true }).ClickAsync();
        await Expect(profile.IdentityMessagesCount).ToHaveTextAsync("Showing 2 of 2 messages, newest first");
        await ThemeShots.SaveAsync(page, "48-explorer-merged-notice");

        // An id no profile had: said so, with the way back to the search.
        await page.GotoInteractiveAsync("/profiles/987654321");
        await Expect(profile.Missing).ToContainTextAsync("There is no profile #987654321, and none with this number was deleted");
        await Screenshots.SaveAsync(page, "49-explorer-no-such-profile");
        await page.GetByTestId("profile-missing-search").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/profiles$"));
    });

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
