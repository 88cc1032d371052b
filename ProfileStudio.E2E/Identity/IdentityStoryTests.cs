using Microsoft.Playwright;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Sources;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Identity;

public sealed class IdentityStoryTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    [Fact]
    public Task AnonymousPageViewThenIdentify_OneProfileWithBothIdentities_MergeInInsights_SplitGivesTwoProfiles() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var (anonymousId, userId) = ($"anon-{run}", $"user-{run}");
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var created = await registry.CreateAsync(AuditActor.System, $"Web shop {run}", SourceKind.Streaming, "");
        Assert.True(created.Succeeded, created.Error);

        // Through the tracking API, as a website would: browsing anonymously, then signing in.
        using var http = new HttpClient { BaseAddress = Studio.Server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{created.WriteKey}:")));
        await PostAsync(http, "/v1/page", $$$"""{"anonymousId":"{{{anonymousId}}}","name":"Pricing","properties":{"path":"/pricing"}}""");
        await PostAsync(http, "/v1/identify", $$$"""{"anonymousId":"{{{anonymousId}}}","userId":"{{{userId}}}","traits":{"name":"Ada {{{run}}}","plan":"pro"}}""");

        await new LoginPage(page).GotoAsync();
        await new LoginPage(page).SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();

        var profiles = new ProfilesPage(page);
        await profiles.GotoAsync();
        await profiles.SearchUntilFoundAsync($"anonymous_id:{anonymousId}");
        await profiles.ProfileLinks.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/profiles/\d+$"));
        await new ShellPage(page).WaitForInteractiveAsync();
        var profileUrl = page.Url;

        var profile = new ProfileGraphPage(page);
        await profile.ShowAsync();
        await Expect(profile.IdentityValues).ToHaveCountAsync(2);
        await Expect(profile.Identities).ToContainTextAsync(anonymousId);
        await Expect(profile.Identities).ToContainTextAsync(userId);
        await Expect(profile.Graph).ToContainTextAsync(anonymousId); // the nodes of the Plotly network are labelled
        await Expect(profile.Graph).ToContainTextAsync(userId);
        await Screenshots.SaveAsync(page, "30-profile-graph");

        // Clicking a node lists the messages that carried that identifier.
        await profile.Graph.Locator(".scatterlayer .point").Last.ClickAsync(new() { Force = true });
        await Expect(page.GetByTestId("selected-identity")).ToContainTextAsync(new Regex($"{anonymousId}|{userId}"));

        var insights = new InsightsPage(page);
        await insights.GotoAsync();
        await insights.Kind("merged").ClickAsync();
        await Expect(insights.Grid).ToContainTextAsync($"now belongs to user_id:{userId}");
        await Expect(insights.Grid).ToContainTextAsync($"anonymous_id:{anonymousId}");
        await Screenshots.SaveAsync(page, "31-insights-merge");

        // The admin decides the anonymous browsing was someone else: remove it from the profile.
        await page.GotoInteractiveAsync(profileUrl);
        await profile.ShowAsync();
        await profile.RemoveAsync(anonymousId);
        await Expect(profile.SplitStatus).ToContainTextAsync("split into", new() { Timeout = 15_000 });
        await Expect(profile.IdentityValues).ToHaveCountAsync(1);
        await Expect(profile.Identities).ToContainTextAsync(userId);
        await Expect(profile.Identities).Not.ToContainTextAsync(anonymousId);
        await Screenshots.SaveAsync(page, "32-profile-split");

        await profile.SplitOffLinks.First.ClickAsync();
        await Expect(page).Not.ToHaveURLAsync(profileUrl);
        await Expect(profile.IdentityValues).ToHaveCountAsync(1);
        await Expect(profile.Identities).ToContainTextAsync(anonymousId);
        Assert.NotEqual(profileUrl, page.Url);

        // Two profiles now, each found by its own identifier; the split is in the audit log and on the Unification page.
        await profiles.GotoAsync();
        await profiles.SearchAsync($"user_id:{userId}");
        await Expect(profiles.Results).ToContainTextAsync($"user_id:{userId}");
        await Expect(profiles.ProfileLinks).ToHaveCountAsync(1);
        var userProfile = await profiles.ProfileLinks.TextContentAsync();
        await profiles.SearchAsync($"anonymous_id:{anonymousId}");
        await Expect(profiles.Results).ToContainTextAsync($"anonymous_id:{anonymousId}");
        await Expect(profiles.ProfileLinks).ToHaveCountAsync(1);
        Assert.NotEqual(userProfile, await profiles.ProfileLinks.TextContentAsync());

        var unification = new UnificationPage(page);
        await unification.GotoAsync();
        await Expect(unification.Jobs).ToContainTextAsync($"Remove anonymous_id:{anonymousId}");
        await Expect(unification.NeverLinkRules).ToContainTextAsync($"anonymous_id:{anonymousId}");
        await Screenshots.SaveAsync(page, "33-unification");
        var audit = await Studio.Server.Services.GetRequiredService<AuditLog>().QueryAsync(new AuditFilter(Action: AuditActions.ProfileSplit), 0, 50);
        Assert.Contains(audit.Entries, e => e.Details.Contains(anonymousId, StringComparison.Ordinal) && e.ActorName == StudioServer.AdminEmail);
    });

    [Fact]
    public Task AdminRerunsUnification_ProgressThenDone_ProfilesStillThere() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var created = await registry.CreateAsync(AuditActor.System, $"App {run}", SourceKind.Streaming, "");
        using var http = new HttpClient { BaseAddress = Studio.Server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{created.WriteKey}:")));
        await PostAsync(http, "/v1/identify", $$$"""{"userId":"rebuilt-{{{run}}}","traits":{"email":"Rebuilt-{{{run}}}@Example.com"}}""");

        await new LoginPage(page).GotoAsync();
        await new LoginPage(page).SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();

        var unification = new UnificationPage(page);
        await unification.GotoAsync();
        await unification.RebuildAsync();
        await Expect(unification.Jobs.Locator("tbody tr").First).ToContainTextAsync("succeeded", new() { Timeout = 30_000 });
        await Expect(unification.Jobs.Locator("tbody tr").First).ToContainTextAsync("rebuilt every profile from");
        await Screenshots.SaveAsync(page, "34-rebuild-done");

        // The rebuilt store was swapped in: the person is still found by any identifier, and the worker goes on from there.
        var profiles = new ProfilesPage(page);
        await profiles.GotoAsync();
        await profiles.SearchAsync($"email:rebuilt-{run}@example.com");
        await Expect(profiles.ProfileLinks).ToHaveCountAsync(1);
        await PostAsync(http, "/v1/identify", $$$"""{"userId":"after-{{{run}}}"}""");
        await profiles.SearchUntilFoundAsync($"user_id:after-{run}");
    });

    /// <summary>
    /// Two colleagues tell the website they belong to their company, whose group traits carry the
    /// company's billing e-mail: they stay two people, and each timeline shows the company.
    /// </summary>
    [Fact]
    public Task TwoColleaguesJoinTheirCompany_StayTwoPeople_WithTheGroupOnTheirTimelines() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var created = await registry.CreateAsync(AuditActor.System, $"B2B shop {run}", SourceKind.Streaming, "");
        Assert.True(created.Succeeded, created.Error);
        using var http = new HttpClient { BaseAddress = Studio.Server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{created.WriteKey}:")));
        foreach (var person in new[] { "ada", "grace" })
        {
            await PostAsync(http, "/v1/identify", $$$"""{"userId":"{{{person}}}-{{{run}}}","traits":{"email":"{{{person}}}-{{{run}}}@acme.example"}}""");
            await PostAsync(http, "/v1/group", $$$"""{"userId":"{{{person}}}-{{{run}}}","groupId":"acme-{{{run}}}","traits":{"name":"Acme {{{run}}}","email":"billing-{{{run}}}@acme.example","employees":120}}""");
        }

        await new LoginPage(page).GotoAsync();
        await new LoginPage(page).SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();
        var profiles = new ProfilesPage(page);
        await profiles.GotoAsync();
        await profiles.SearchUntilFoundAsync($"user_id:ada-{run}");
        var ada = await profiles.ProfileLinks.TextContentAsync();
        await profiles.SearchUntilFoundAsync($"user_id:grace-{run}");
        Assert.NotEqual(ada, await profiles.ProfileLinks.TextContentAsync());

        // Grace's group call, the last message sent, on her timeline (the page updates as it is unified).
        await profiles.ProfileLinks.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/profiles/\d+$"));
        await new ShellPage(page).WaitForInteractiveAsync();
        var explorer = new ProfileExplorerPage(page);
        await explorer.Tab("Timeline").ClickAsync();
        var group = explorer.TimelineEvents.Filter(new() { HasText = $"acme-{run}" });
        await Expect(group).ToHaveCountAsync(1);
        await Expect(group).ToContainTextAsync("group");
        await group.ClickAsync();
        // Expanded: the group's traits as the event's properties (and again in the raw message below them).
        await Expect(group.GetByTestId("json-view").First).ToContainTextAsync($"billing-{run}@acme.example");
        await Expect(group.GetByTestId("json-view").First).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "35-group-on-timeline");

        // Everything is unified now, and the company's e-mail identifies nobody: Ada and Grace are still two people.
        await profiles.GotoAsync();
        await profiles.SearchAsync($"email:billing-{run}@acme.example");
        await Expect(page.GetByText("No profile matches.")).ToBeVisibleAsync();
        await profiles.SearchAsync($"user_id:ada-{run}");
        await Expect(profiles.ProfileLinks).ToHaveTextAsync(ada!);
    });

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
