using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Ingestion;

/// <summary>
/// Issue 10's data engineer and support agent: a CRM export whose columns are spelled differently from
/// the profiles' attributes lands on them; a waiting upload can be cancelled; a bare phone number finds its person.
/// </summary>
public sealed class FileMappingStoryTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    [Fact]
    public Task EngineerUploadsCsvWithOtherSpellings_ColumnsLandOnExistingAttributes_ProfileHasOneFirstNameAndTheEmailIdentity() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var email = $"ada-{run}@example.com";
        // The website already knows Ada as firstName (camelCase), with her e-mail.
        using (var http = await StreamingClientAsync($"Website {run}"))
        {
            await PostAsync(http, "/v1/identify", $$$"""{"userId":"web-{{{run}}}","traits":{"firstName":"Ada","email":"{{{email}}}"}}""");
        }
        var engineer = $"engineer-{run}@e2e.test";
        await CreateUserAsync(engineer, "Engineer-Passw0rd!", Roles.DataEngineer, Roles.Support);
        await BatchSourceAsync($"Loyalty {run}");
        // Points: three numbers and one mistake, which is a row to reject rather than a reason to map the column as text.
        var csv = await TempFileAsync($"loyalty-{run}.csv",
            $"First Name,Last Name,Customer Email,Points\nAda,Lovelace,{email},120\nGrace,Hopper,grace-{run}@example.com,7\nCy,\"O'Neil, Jr.\",cy-{run}@example.com,12\nBob,Builder,bob-{run}@example.com,lots\n");
        try
        {
            await SignInAsync(page, engineer, "Engineer-Passw0rd!");
            var profiles = new ProfilesPage(page);
            await profiles.GotoAsync();
            await profiles.SearchUntilFoundAsync(email); // unified before the file comes: firstName exists

            var files = new FilesPage(page);
            await files.GotoAsync();
            await files.UploadAsync(csv);
            await Expect(page).ToHaveURLAsync(new Regex("/data/batches/\\d+/mapping$"));
            await Expect(files.Lands("First Name")).ToContainTextAsync(new Regex("→ firstName \\(existing, [\\d,]+ profiles?\\)"));
            await Expect(files.Lands("Last Name")).ToContainTextAsync("lastName");
            await Expect(files.Lands("Customer Email")).ToHaveTextAsync("→ identity email");
            await Expect(files.SelectValue("type-Points")).ToHaveValueAsync("Number");
            await Expect(files.PreviewRows).ToContainTextAsync("\"points\": 120");
            await ThemeShots.SaveAsync(page, "25-csv-mapping-lands-on-existing");
            // The sample values (e-mails, a file's hyphenated names) stay whole in their narrow column.
            Assert.Empty(await LayoutChecks.CutWordsAsync(page));
            Assert.Empty(await LayoutChecks.OverflowingTablesAsync(page));

            await files.StartImport.ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/data/batches/\\d+$"));
            await Expect(files.Status).ToHaveTextAsync("completed");
            // The rejected row as it was in the file, not escaped JSON.
            await Expect(page.GetByTestId("rejected-line")).ToHaveTextAsync($"Bob,Builder,bob-{run}@example.com,lots");
            await ThemeShots.SaveAsync(page, "25b-csv-status-rejected-line");
            await page.GotoInteractiveAsync("/data/rejected");
            var rejectedRow = page.GetByTestId("rejected-grid").Locator("tbody tr").Filter(new() { HasText = Path.GetFileName(csv) });
            await Expect(rejectedRow.GetByTestId("rejected-file")).ToHaveTextAsync(Path.GetFileName(csv));
            await Expect(rejectedRow).ToContainTextAsync("line 5");
            await ThemeShots.SaveAsync(page, "25c-rejected-names-the-file");
            Assert.Empty(await LayoutChecks.CutWordsAsync(page)); // the file's name is not broken at its hyphen

            // The profile: one firstName, the e-mail as an identity, points as a number.
            await profiles.GotoAsync();
            await profiles.SearchUntilFoundAsync(email);
            await profiles.ProfileLinks.First.ClickAsync();
            var profile = new ProfileExplorerPage(page);
            await Expect(profile.AttributeRow("lastName")).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await Expect(profile.AttributeRow("firstName")).ToHaveCountAsync(1);
            await Expect(profile.AttributeRow("first_name")).ToHaveCountAsync(0);
            await Expect(profile.AttributeRow("Customer Email")).ToHaveCountAsync(0);
            await Expect(profile.AttributeValue("points")).ToHaveTextAsync("120");
            await profile.JsonToggle.ClickAsync();
            await Expect(profile.JsonView).ToContainTextAsync("\"points\": 120");
            await new ProfileGraphPage(page).ShowAsync();
            await Expect(new ProfileGraphPage(page).IdentityValues.GetByText(email, new() { Exact = true })).ToHaveCountAsync(1);
        }
        finally
        {
            File.Delete(csv);
        }
    });

    [Fact]
    public Task EngineerCancelsAnUploadWaitingForItsMapping_BatchAndFileAreGoneAndAudited() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var engineer = $"engineer-{run}@e2e.test";
        await CreateUserAsync(engineer, "Engineer-Passw0rd!", Roles.DataEngineer);
        await BatchSourceAsync($"Wrong export {run}");
        var csv = await TempFileAsync($"wrong-file-{run}.csv", "Customer Email,Notes\nada@example.com,oops\n");
        try
        {
            await SignInAsync(page, engineer, "Engineer-Passw0rd!");
            var files = new FilesPage(page);
            await files.GotoAsync();
            await files.UploadAsync(csv);
            await Expect(page).ToHaveURLAsync(new Regex("/data/batches/\\d+/mapping$"));
            var batchId = long.Parse(Regex.Match(page.Url, "/data/batches/(\\d+)/mapping").Groups[1].Value);
            var batches = Studio.Server.Services.GetRequiredService<FileBatches>();
            var stored = batches.PathOf((await batches.GetAsync(batchId))!);
            Assert.True(File.Exists(stored));

            await files.CancelUpload.ClickAsync();
            await Expect(files.ConfirmCancel).ToBeVisibleAsync();
            await Screenshots.SaveAsync(page, "26a-cancel-upload-confirm"); // the dialog covers the theme toggle
            await files.ConfirmCancel.ClickAsync();

            await Expect(page).ToHaveURLAsync(new Regex("/data/batches$"));
            await Expect(page.GetByText($"The upload of {Path.GetFileName(csv)} was cancelled")).ToBeVisibleAsync();
            await Expect(page.GetByText(Path.GetFileName(csv), new() { Exact = true })).ToHaveCountAsync(0);
            Assert.Null(await batches.GetAsync(batchId));
            Assert.False(File.Exists(stored));
            var audit = await Studio.Server.Services.GetRequiredService<AuditLog>().QueryAsync(new AuditFilter(engineer), 0, 20);
            Assert.Equal([AuditActions.FileCancelled, AuditActions.FileUploaded],
                audit.Entries.Where(e => e.Action.StartsWith("file.", StringComparison.Ordinal)).Select(e => e.Action));
            await Expect(page.GetByText($"The upload of {Path.GetFileName(csv)} was cancelled")).ToHaveCSSAsync("opacity", "1");
            await ThemeShots.SaveAsync(page, "26-upload-cancelled");
        }
        finally
        {
            File.Delete(csv);
        }
    });

    [Fact]
    public Task SupportAgentPastesABarePhoneNumber_FindsThePerson() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var digits = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using (var http = await StreamingClientAsync($"App {run}"))
        {
            await PostAsync(http, "/v1/identify", $$$"""{"userId":"app-{{{run}}}","traits":{"name":"Phone Caller {{{run}}}","phone":"07779 {{{digits}}}"}}""");
        }
        var agent = $"support-{run}@e2e.test";
        await CreateUserAsync(agent, "Support-Passw0rd!", Roles.Support);
        await SignInAsync(page, agent, "Support-Passw0rd!");

        var profiles = new ProfilesPage(page);
        await profiles.GotoAsync();
        await profiles.SearchUntilFoundAsync($"0777 9{digits}"); // pasted as the customer said it, no namespace
        await Expect(profiles.ProfileLinks).ToHaveTextAsync($"Phone Caller {run}");
        await profiles.SearchAsync($"+44 7779 {digits}");
        await Expect(profiles.ProfileLinks).ToHaveTextAsync($"Phone Caller {run}");
        await ThemeShots.SaveAsync(page, "27-explorer-bare-phone");
    });

    private async Task SignInAsync(IPage page, string email, string password)
    {
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(email, password);
        await new ShellPage(page).ExpectHomeAsync();
    }

    private async Task<HttpClient> StreamingClientAsync(string name)
    {
        var created = await Studio.Server.Services.GetRequiredService<SourceRegistry>().CreateAsync(AuditActor.System, name, SourceKind.Streaming, "");
        Assert.True(created.Succeeded, created.Error);
        var http = new HttpClient { BaseAddress = Studio.Server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{created.WriteKey}:")));
        return http;
    }

    private async Task BatchSourceAsync(string name)
    {
        var created = await Studio.Server.Services.GetRequiredService<SourceRegistry>().CreateAsync(AuditActor.System, name, SourceKind.Batch, "");
        Assert.True(created.Succeeded, created.Error);
    }

    private static async Task<string> TempFileAsync(string name, string content)
    {
        var path = Path.Combine(Path.GetTempPath(), name);
        await File.WriteAllTextAsync(path, content);
        return path;
    }

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
