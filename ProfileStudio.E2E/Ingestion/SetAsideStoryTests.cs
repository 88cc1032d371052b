using System.Net.Http.Headers;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Ingestion;

/// <summary>A message unification cannot process is set aside, shown with its reason, and retried once the cause is fixed.</summary>
public sealed class SetAsideStoryTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    [Fact]
    public Task MessageUnificationCannotProcess_IsSetAsideWithItsReason_OthersGoOn_RetryAfterTheFixProcessesIt() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var created = await registry.CreateAsync(AuditActor.System, $"Checkout {run}", SourceKind.Streaming, "");
        Assert.True(created.Succeeded, created.Error);
        using var http = new HttpClient { BaseAddress = Studio.Server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{created.WriteKey}:")));

        var rejected = new RejectedMessagesPage(page);
        // The engine reads any shape of message; a failure nobody foresaw is injected where the run is written.
        Execute($"CREATE TRIGGER refuse_{run} BEFORE INSERT ON ProfileEvents WHEN NEW.Name = 'Poison {run}' BEGIN SELECT RAISE(ABORT, 'injected failure {run}'); END");
        try
        {
            await PostAsync(http, "/v1/track", $$$"""{"userId":"poisoned-{{{run}}}","event":"Poison {{{run}}}"}""");
            await PostAsync(http, "/v1/identify", $$$"""{"userId":"after-{{{run}}}","traits":{"name":"After {{{run}}}"}}""");

            await new LoginPage(page).GotoAsync();
            await new LoginPage(page).SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
            await new ShellPage(page).ExpectHomeAsync();

            // The message after the poison one reached its profile.
            var profiles = new ProfilesPage(page);
            await profiles.GotoAsync();
            await profiles.SearchUntilFoundAsync($"user_id:after-{run}");

            await rejected.GotoSetAsideAsync();
            await Expect(rejected.SetAsideRow(run)).ToContainTextAsync($"injected failure {run}");
            await Expect(rejected.SetAsideTab).ToContainTextAsync("(");
            await Screenshots.SaveAsync(page, "24-set-aside-messages");
        }
        finally
        {
            Execute($"DROP TRIGGER IF EXISTS refuse_{run}");
        }

        // Fixed: the retry processes it, and the row leaves the list without a reload.
        await page.EvaluateAsync("() => window.e2eSameDocument = true");
        await rejected.RetryButton(run).ClickAsync();
        await Expect(rejected.SetAsideRow(run)).ToHaveCountAsync(0);
        Assert.True(await page.EvaluateAsync<bool>("() => window.e2eSameDocument === true"), "the page reloaded");
    });

    private void Execute(string sql)
    {
        var directory = Studio.Server.Services.GetRequiredService<IOptions<ProfileStudioOptions>>().Value.DataDirectoryFullPath;
        using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(directory));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
