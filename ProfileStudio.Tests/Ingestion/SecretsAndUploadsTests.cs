using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// No write key is kept in the lake or in an uploaded file, whatever its spelling; an uploaded file lives
/// only as long as its batch needs it; a refused upload leaves nothing behind.
/// </summary>
public sealed class SecretsAndUploadsTests(IngestionAppFactory factory) : IClassFixture<IngestionAppFactory>
{
    private static readonly string WebKey = IngestionAppFactory.WriteKeyOf("Web");
    private static readonly string CrmKey = IngestionAppFactory.WriteKeyOf("CRM");

    private string UploadsFolder => Path.Combine(factory.DataDirectory, "uploads");

    private string[] UploadFiles() => Directory.Exists(UploadsFolder) ? Directory.GetFiles(UploadsFolder) : [];

    private async Task<int> BatchCountAsync()
    {
        await using var db = await factory.DbAsync();
        return await db.FileBatches.CountAsync();
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient client, int sourceId, string body, string mediaType, string query) =>
        client.PostAsync($"/api/v1/sources/{sourceId}/batches?{query}", new StringContent(body, Encoding.UTF8, mediaType));

    private async Task<FileBatch> ProcessedAsync(HttpResponseMessage upload)
    {
        var text = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)upload.StatusCode}: {text}");
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
        var batches = factory.Services.GetRequiredService<FileBatches>();
        return (await Poll.UntilAsync(() => batches.GetAsync(id), b => b?.Status is FileBatchStatus.Completed or FileBatchStatus.Failed, $"batch {id}"))!;
    }

    [Theory]
    [InlineData("{{\"write\\u004bey\":\"{0}\",\"userId\":\"u-1\",\"event\":\"x\",\"messageId\":\"{1}\" oops")]
    [InlineData("{{\"WriteKey\" : \"{0}\", \"userId\":\"u-1\",\"messageId\":\"{1}\",")]
    [InlineData("{{\"messageId\":\"{1}\",'writeKey':'{0}")]
    public async Task Track_MalformedBodyWithTheKeyInAnySpelling_KeepsTheBodyWithoutTheKey(string template)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var marker = Guid.NewGuid().ToString("N");

        using var response = await client.PostAsync("/v1/track",
            new StringContent(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, WebKey, marker), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var sourceId = await factory.SourceIdAsync("Web");
        var stored = await Poll.UntilAsync(
            async () => (await factory.LakeAsync(sourceId)).Where(m => m.Payload.Contains(marker)).ToList(),
            rows => rows.Count > 0, "the malformed request in the lake");
        Assert.DoesNotContain(WebKey, Assert.Single(stored).Payload);
    }

    [Theory]
    [InlineData("/v1/track", "{{\"WriteKey\":\"{0}\",\"userId\":\"u-1\",\"event\":\"x\",\"messageId\":\"{1}\",\"context\":{{\"write_key\":\"{0}\"}}}}")]
    [InlineData("/v1/batch", "{{\"batch\":[{{\"type\":\"track\",\"Write-Key\":\"{0}\",\"userId\":\"u-1\",\"event\":\"x\",\"messageId\":\"{1}\"}}]}}")]
    // Deeper than context: a key sent as an event property, a trait or inside an array was stored as data.
    [InlineData("/v1/track", "{{\"userId\":\"u-1\",\"event\":\"x\",\"messageId\":\"{1}\",\"properties\":{{\"writeKey\":\"{0}\",\"a\":{{\"write_key\":\"{0}\"}}}}}}")]
    [InlineData("/v1/identify", "{{\"userId\":\"u-1\",\"messageId\":\"{1}\",\"traits\":{{\"a\":{{\"WriteKey\":\"{0}\"}},\"list\":[{{\"writeKey\":\"{0}\"}}]}}}}")]
    public async Task Track_ValidBodyWithTheKeyInAnotherSpelling_IsStoredWithoutTheKey(string path, string template)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var marker = Guid.NewGuid().ToString("N");

        using var response = await client.PostAsync(path,
            new StringContent(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, WebKey, marker), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = Assert.Single(await factory.LakeAsync(await factory.SourceIdAsync("Web"), marker));
        Assert.DoesNotContain(WebKey, stored.Payload);
    }

    [Fact]
    public async Task Ndjson_KeysInAnySpellingAndBrokenLines_ReachNeitherTheLakeNorTheStoredFile()
    {
        var crm = await factory.SourceIdAsync("CRM");
        var ndjson = string.Join('\n',
            $$"""{"type":"track","userId":"u-1","event":"A","WriteKey":"{{CrmKey}}"}""",
            $$"""{"type":"track","userId":"u-2","event":"B","write\u004bey":"{{CrmKey}}"}""",
            $$"""{"type":"track","userId":"u-3","event":"C","writeKey":"{{CrmKey}}" broken""",
            $$"""{"type":"track","userId":"u-4","event":"D"}""") + "\n";
        var batches = factory.Services.GetRequiredService<FileBatches>();

        // Stored through the same code as an HTTP upload, without the processor racing to read and delete it.
        var stored = await batches.UploadAsync(crm, "keys.ndjson", new MemoryStream(Encoding.UTF8.GetBytes(ndjson)), AuditActor.System, FileKind.Events, null);
        Assert.True(stored.Succeeded);
        var batch = await Poll.UntilAsync(() => batches.GetAsync(stored.Batch!.Id), b => b?.Status == FileBatchStatus.Completed, "the batch");

        await using var db = await factory.DbAsync();
        var rows = await db.RawMessages.AsNoTracking().Where(m => m.BatchId == batch!.Id).ToListAsync();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.DoesNotContain(CrmKey, r.Payload));
        Assert.Equal(3, rows.Count(r => r.Status == MessageStatus.Accepted));
    }

    [Fact]
    public async Task Ndjson_StoredUpload_HoldsNoKeyAndIsOwnerOnly()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false); // no processor: the file stays
        var sources = studio.Services.GetRequiredService<SourceRegistry>();
        var source = (await sources.EnsureAsync("Files", SourceKind.Batch, "wk_files_source_key_0000000000000001")).Source!;
        var line = $$"""{"type":"track","userId":"u-1","event":"A","write\u004bey":"{{CrmKey}}"} broken""";

        var stored = await studio.Services.GetRequiredService<FileBatches>()
            .UploadAsync(source.Id, "keys.ndjson", new MemoryStream(Encoding.UTF8.GetBytes(line + "\r\nnext line\n")), AuditActor.System, FileKind.Events, null);

        var path = Path.Combine(studio.DataDirectory, stored.Batch!.StoredPath);
        var text = await File.ReadAllTextAsync(path);
        Assert.DoesNotContain(CrmKey, text);
        Assert.Equal(2, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // line numbers unchanged
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(PrivateFiles.FileMode, File.GetUnixFileMode(path));
            Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
    }

    [Theory]
    [InlineData("text/csv", "id,email\nu-1,ada@example.com\nu-2,bob@example.com\n", "mapping=auto&filename=people.csv")]
    [InlineData("application/x-ndjson", "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"A\"}\nnot json\n", "filename=events.ndjson")]
    public async Task Upload_OnceProcessed_LeavesNoFileAndTheRejectedReportStillWorks(string mediaType, string body, string query)
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);

        using var response = await UploadAsync(client, crm, body, mediaType, query);
        var batch = await ProcessedAsync(response);

        Assert.Equal(FileBatchStatus.Completed, batch.Status);
        // The processor deletes the upload right after committing the batch's completion: a reader can see the status first.
        var path = Path.Combine(factory.DataDirectory, batch.StoredPath);
        Assert.False(await Poll.UntilAsync(() => Task.FromResult(File.Exists(path)), exists => !exists, "the upload to be deleted", TimeSpan.FromSeconds(10)),
            "the upload outlived its batch");
        using var report = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        var lines = (await report.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + batch.RowsRejected, lines.Length);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("\n", "empty")]
    [InlineData("user_id,email,email\nu-1,a@example.com,b@example.com\n", "appears 2 times")]
    [InlineData("user_id,Email,EMAIL \nu-1,a@example.com,b@example.com\n", "appears 2 times")]
    [InlineData(",,,\nu-1,a@example.com,b,c\n", "The header row names no columns")]
    public async Task Upload_RefusedCsv_LeavesNoBatchAndNoFile(string csv, string reason)
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        await Poll.UntilAsync(() => Task.FromResult(UploadFiles().Length), n => n == 0, "earlier uploads to be processed");
        var before = await BatchCountAsync();

        using var response = await UploadAsync(client, crm, csv, "text/csv", "mapping=auto&filename=refused.csv");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await BatchCountAsync());
        Assert.Empty(UploadFiles());
    }

    [Theory]
    [InlineData("people.csv", new byte[] { 0x1F, 0x8B, 0x08, 0x00, 0x00 }, "compressed (gzip)")]
    [InlineData("events.ndjson", new byte[] { 0x1F, 0x8B, 0x08, 0x00, 0x00 }, "compressed (gzip)")]
    [InlineData("people.csv", new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14 }, "ZIP archive")]
    public async Task Upload_CompressedFile_IsRefusedSayingSoAndLeavesNothing(string name, byte[] start, string reason)
    {
        var crm = await factory.SourceIdAsync("CRM");
        var batches = factory.Services.GetRequiredService<FileBatches>();
        await Poll.UntilAsync(() => Task.FromResult(UploadFiles().Length), n => n == 0, "earlier uploads to be processed");
        var before = await BatchCountAsync();

        var result = await batches.UploadAsync(crm, name, new MemoryStream([.. start, .. new byte[200]]), AuditActor.System,
            name.EndsWith(".csv", StringComparison.Ordinal) ? FileKind.ProfileRecords : FileKind.Events, null);

        Assert.False(result.Succeeded);
        Assert.Contains(reason, Assert.Single(result.Problems!));
        Assert.Equal(before, await BatchCountAsync());
        Assert.Empty(UploadFiles());
    }

    [Fact]
    public async Task Upload_CsvWhoseHeaderIsNotUtf8_IsRefusedSayingSoAndLeavesNothing()
    {
        // "zq\xFFzq" was silently renamed to an attribute "zqZq"; "n\xFFame" landed on "name".
        var crm = await factory.SourceIdAsync("CRM");
        var batches = factory.Services.GetRequiredService<FileBatches>();
        await Poll.UntilAsync(() => Task.FromResult(UploadFiles().Length), n => n == 0, "earlier uploads to be processed");
        var before = await BatchCountAsync();

        var result = await batches.UploadAsync(crm, "header.csv", new MemoryStream([.. "user_id,n"u8, 0xFF, .. "ame\nu1,Ada\n"u8]), AuditActor.System, FileKind.ProfileRecords, null);

        Assert.False(result.Succeeded);
        Assert.Contains("not UTF-8", Assert.Single(result.Problems!));
        Assert.Equal(before, await BatchCountAsync());
        Assert.Empty(UploadFiles());
    }

    [Fact]
    public async Task Upload_RefusedCsvInTheStudio_LeavesNoBatchAndNoFile()
    {
        var crm = await factory.SourceIdAsync("CRM");
        var batches = factory.Services.GetRequiredService<FileBatches>();
        await Poll.UntilAsync(() => Task.FromResult(UploadFiles().Length), n => n == 0, "earlier uploads to be processed");
        var before = await BatchCountAsync();

        // The studio uploads without a mapping: the mapping step comes next, unless no mapping can fit.
        var result = await batches.UploadAsync(crm, "dupes.csv", new MemoryStream("a,a\n1,2\n"u8.ToArray()), AuditActor.System, FileKind.ProfileRecords, null);

        Assert.False(result.Succeeded);
        Assert.Equal(before, await BatchCountAsync());
        Assert.Empty(UploadFiles());
    }

    [Fact]
    public async Task DeleteStaleUploads_KeepsOnlyTheFilesOfBatchesStillWaiting()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var source = (await studio.Services.GetRequiredService<SourceRegistry>().EnsureAsync("Files", SourceKind.Batch, "wk_files_source_key_0000000000000001")).Source!;
        var batches = studio.Services.GetRequiredService<FileBatches>();
        var waiting = (await batches.UploadAsync(source.Id, "people.csv", new MemoryStream("user_id\nu-1\n"u8.ToArray()), AuditActor.System, FileKind.ProfileRecords, null)).Batch!;
        var done = (await batches.UploadAsync(source.Id, "done.csv", new MemoryStream("user_id\nu-2\n"u8.ToArray()), AuditActor.System, FileKind.ProfileRecords, null)).Batch!;
        await using (var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            await db.FileBatches.Where(b => b.Id == done.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, FileBatchStatus.Completed));
        }
        var orphan = Path.Combine(studio.DataDirectory, "uploads", "left-by-a-crash.csv");
        await File.WriteAllTextAsync(orphan, "user_id\nu-3\n");

        var deleted = await batches.DeleteStaleUploadsAsync(DateTime.UtcNow.AddSeconds(1));

        Assert.Equal(2, deleted);
        Assert.True(File.Exists(batches.PathOf(waiting)));
        Assert.False(File.Exists(batches.PathOf(done)));
        Assert.False(File.Exists(orphan));
    }
}
