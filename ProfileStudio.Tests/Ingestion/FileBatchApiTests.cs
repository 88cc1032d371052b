using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;
using ProfileStudio.Tests.Hosting;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>File uploads over HTTP to a batch source, processed by the background processor on real SQLite.</summary>
public sealed class FileBatchApiTests : IClassFixture<FileBatchApiTests.App>
{
    private const string BatchKey = "wk_file_batch_tests_0123456789ab";
    private const string StreamingKey = "wk_file_batch_stream_0123456789a";
    private const string Csv = "Email;Name;Points\nada@example.com;Ada;120\n;No Id;5\nbob@example.com;\"Bo\"b\";7\ncarol@example.com;Carol;NULL\n";
    private readonly App _app;

    public FileBatchApiTests(App app) => _app = app;

    public sealed class App : StudioAppFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Name", "CRM");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Kind", "batch");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:WriteKey", BatchKey);
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:Name", "Web");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:Kind", "streaming");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:WriteKey", StreamingKey);
        }
    }

    private HttpClient Client(string? key = BatchKey)
    {
        var client = _app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));
        }
        return client;
    }

    private async Task<int> SourceIdAsync(string key) => (await _app.Services.GetRequiredService<SourceRegistry>().FindByWriteKeyAsync(key))!.Id;

    private async Task<JsonNode> WaitCompletedAsync(HttpClient client, Uri location)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var status = JsonNode.Parse(await client.GetStringAsync(location))!;
            if ((string?)status["status"] is "Completed" or "Failed" || DateTime.UtcNow > deadline)
            {
                return status;
            }
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Upload_CsvWithAutoMapping_IsProcessedWithRowLevelRejections()
    {
        var client = Client();
        var source = await SourceIdAsync(BatchKey);

        var response = await client.PostAsync($"/api/v1/sources/{source}/batches?kind=profiles&mapping=auto&filename=crm.csv", new StringContent(Csv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = await WaitCompletedAsync(client, response.Headers.Location!);
        Assert.Equal("Completed", (string?)status["status"]);
        Assert.Equal(4, (long)status["rowsRead"]!);
        Assert.Equal(2, (long)status["rowsAccepted"]!);
        Assert.Equal(2, (long)status["rowsRejected"]!);

        var report = await client.GetStringAsync($"/api/v1/batches/{status["id"]}/rejected.csv");
        var lines = report.Trim().Split('\n');
        Assert.Equal("line,reason,row", lines[0].Trim());
        Assert.StartsWith("3,", lines[1]);
        Assert.Contains("has no identifier", lines[1]);
        Assert.StartsWith("4,", lines[2]);
        Assert.Contains("stray quote", lines[2]);

        // Upsert semantics: the NULL token removes Carol's points; the stored message says so explicitly.
        var carol = (await _app.Services.GetRequiredService<LakeReader>().QueryAsync(new LakeFilter(source, MessageStatus.Accepted), 0, 50)).Messages
            .Select(m => JsonNode.Parse(m.Payload)!).Single(p => (string?)p["traits"]?["name"] == "Carol");
        Assert.True(carol["traits"]!.AsObject().ContainsKey("points"));
        Assert.Null(carol["traits"]!["points"]);
    }

    [Fact]
    public async Task Upload_MultipartWithSavedMapping_UsesItsTypes()
    {
        var source = await SourceIdAsync(BatchKey);
        await _app.Services.GetRequiredService<FileBatches>().SaveMappingAsync(source, "typed", new FileMapping(FileKind.ProfileRecords,
            [new("Email", ColumnTarget.Identity, "email"), new("Name", ColumnTarget.Attribute, "name"), new("Points", ColumnTarget.Attribute, "points", AttributeType.Number)]));
        var form = new MultipartFormDataContent { { new StringContent("Email,Name,Points\nzoe@example.com,Zoë,42\n"), "file", "typed.csv" } };
        var client = Client();

        var response = await client.PostAsync($"/api/v1/sources/{source}/batches?mapping=typed", form);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = await WaitCompletedAsync(client, response.Headers.Location!);
        Assert.Equal(1, (long)status["rowsAccepted"]!);
        var stored = (await _app.Services.GetRequiredService<LakeReader>().QueryAsync(new LakeFilter(source, MessageStatus.Accepted), 0, 50)).Messages
            .Select(m => JsonNode.Parse(m.Payload)!).Single(p => (string?)p["traits"]?["name"] == "Zoë");
        Assert.Equal(42, (double)stored["traits"]!["points"]!);
    }

    [Fact]
    public async Task Upload_Ndjson_AcceptsMessagesAndRejectsBadLinesWithLineNumbers()
    {
        var client = Client();
        var source = await SourceIdAsync(BatchKey);
        var body = "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Bought\"}\nnot json\n{\"type\":\"track\",\"event\":\"no id\"}\n";

        var response = await client.PostAsync($"/api/v1/sources/{source}/batches", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));

        var status = await WaitCompletedAsync(client, response.Headers.Location!);
        Assert.Equal(1, (long)status["rowsAccepted"]!);
        Assert.Equal(2, (long)status["rowsRejected"]!);
        var report = await client.GetStringAsync($"/api/v1/batches/{status["id"]}/rejected.csv");
        Assert.Contains("\n2,", report);
        Assert.Contains("\n3,", report);
    }

    [Theory]
    [InlineData("", "A CSV needs a mapping")]
    [InlineData("&mapping=nope", "no saved mapping")]
    [InlineData("&mapping=auto&kind=bogus", "kind must be")]
    public async Task Upload_BadRequest_Is400WithTheReason(string query, string reason)
    {
        var source = await SourceIdAsync(BatchKey);

        var response = await Client().PostAsync($"/api/v1/sources/{source}/batches?filename=x.csv{query}", new StringContent(Csv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Upload_ToAStreamingSourceOrWithTheWrongKey_IsRefused()
    {
        var batchSource = await SourceIdAsync(BatchKey);
        var streamingSource = await SourceIdAsync(StreamingKey);
        var content = () => new StringContent(Csv, Encoding.UTF8, "text/csv");

        var streaming = await Client(StreamingKey).PostAsync($"/api/v1/sources/{streamingSource}/batches?mapping=auto&filename=a.csv", content());
        var wrongKey = await Client(StreamingKey).PostAsync($"/api/v1/sources/{batchSource}/batches?mapping=auto&filename=a.csv", content());
        var noKey = await Client(key: null).PostAsync($"/api/v1/sources/{batchSource}/batches?mapping=auto&filename=a.csv", content());

        Assert.Equal(HttpStatusCode.BadRequest, streaming.StatusCode);
        Assert.Contains("upload files to a batch source", await streaming.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
    }

    [Fact]
    public async Task StudioReport_RequiresSignIn()
    {
        var response = await Client(key: null).GetAsync("/data/batches/1/rejected.csv");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/Login", response.Headers.Location!.ToString());
    }
}
