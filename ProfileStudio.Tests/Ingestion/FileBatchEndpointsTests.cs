using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Security;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// Batch files over HTTP end to end: upload, the background processor, the lake, the status and the
/// rejected-rows report, with the answers the README documents.
/// </summary>
public sealed class FileBatchEndpointsTests(IngestionAppFactory factory) : IClassFixture<IngestionAppFactory>
{
    private static readonly string CrmKey = IngestionAppFactory.WriteKeyOf("CRM");
    private static readonly string PosKey = IngestionAppFactory.WriteKeyOf("POS");

    /// <summary>Line 3 has no identifier, line 4 a stray quote; lines 2 and 5 are fine.</summary>
    private const string CrmCsv = """
        user_id,email,first_name,lifetime_total
        u-1,ada@example.com,Ada,120.5
        ,,Nobody,3
        u-3,bob@example.com,"Bo"b",7
        u-4,cy@example.com,Cy,NULL

        """;

    private sealed record Batch(long Id, string Status, long RowsRead, long RowsAccepted, long RowsRejected, string? Error, long RowsDuplicate);

    private sealed record ReportRow(int Line, string Reason, string Row);

    private static Batch ReadBatch(JsonElement json) => new(
        json.GetProperty("id").GetInt64(),
        json.GetProperty("status").GetString()!,
        json.GetProperty("rowsRead").GetInt64(),
        json.GetProperty("rowsAccepted").GetInt64(),
        json.GetProperty("rowsRejected").GetInt64(),
        json.GetProperty("error").GetString(),
        json.GetProperty("rowsDuplicate").GetInt64());

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? messageContains = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        if (messageContains is not null)
        {
            Assert.Contains(messageContains, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient client, long sourceId, string body, string mediaType, string query) =>
        client.PostAsync($"/api/v1/sources/{sourceId}/batches?{query}", new StringContent(body, Encoding.UTF8, mediaType));

    /// <summary>Checks the 202 and its Location, then polls the status until the processor is done.</summary>
    private static async Task<Batch> AcceptedAndProcessedAsync(HttpClient client, HttpResponseMessage upload)
    {
        var text = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)upload.StatusCode}: {text}");
        var queued = ReadBatch(await ReadJsonAsync(upload));
        Assert.Equal($"/api/v1/batches/{queued.Id}", upload.Headers.Location?.OriginalString);
        return await ProcessedAsync(client, queued.Id);
    }

    private static async Task<Batch> ProcessedAsync(HttpClient client, long batchId)
    {
        var batch = await Poll.UntilAsync(async () =>
        {
            using var response = await client.GetAsync($"/api/v1/batches/{batchId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return ReadBatch(await ReadJsonAsync(response));
        }, b => b.Status is nameof(FileBatchStatus.Completed) or nameof(FileBatchStatus.Failed), $"file batch {batchId} to be processed");
        Assert.True(batch.Status == nameof(FileBatchStatus.Completed), $"the batch failed: {batch.Error}");
        return batch;
    }

    private static async Task<List<ReportRow>> ReportAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StringReader(await response.Content.ReadAsStringAsync());
        using var csv = new CsvReader(reader, CultureInfo.InvariantCulture);
        Assert.True(csv.Read() && csv.ReadHeader());
        Assert.Equal(["line", "reason", "row"], csv.HeaderRecord!);
        var rows = new List<ReportRow>();
        while (csv.Read())
        {
            rows.Add(new ReportRow(csv.GetField<int>("line"), csv.GetField("reason")!, csv.GetField("row")!));
        }
        return rows;
    }

    private async Task<IReadOnlyList<RawMessage>> LakeRowsOfAsync(long batchId)
    {
        await using var db = await factory.DbAsync();
        return await db.RawMessages.AsNoTracking().Where(m => m.BatchId == batchId).OrderBy(m => m.LineNumber).ThenBy(m => m.Id).ToListAsync();
    }

    private static JsonObject PayloadOf(RawMessage message) => JsonNode.Parse(message.Payload)!.AsObject();

    private async Task<int> BatchCountAsync()
    {
        await using var db = await factory.DbAsync();
        return await db.FileBatches.CountAsync();
    }

    [Fact]
    public async Task Upload_WithAWriteKey_IsAuditedAsThatSourcesKey_ByName()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        var file = $"audited-{Guid.NewGuid():N}.csv";

        var batch = await AcceptedAndProcessedAsync(client, await UploadAsync(client, crm, "user_id,first_name\nu-audit,Ada\n", "text/csv", $"kind=profiles&mapping=auto&filename={file}"));

        var entries = await factory.Services.GetRequiredService<AuditLog>().QueryAsync(new AuditFilter(Action: AuditActions.FileUploaded), 0, 100);
        var uploaded = Assert.Single(entries.Entries, e => e.Target == $"file #{batch.Id} {file}");
        Assert.Equal("write key of CRM", uploaded.ActorName);
    }

    [Fact]
    public async Task RejectedReport_ALineASpreadsheetWouldRunAsAFormula_IsWrittenAsText()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        const string formula = "=HYPERLINK(\"http://evil.example\"),,\"Ev\"il\",2";
        using var content = new StringContent($"user_id,email,first_name,lifetime_total\nu-1,ada@example.com,Ada,1\n{formula}\n", Encoding.UTF8, "text/csv");

        using var response = await client.PostAsync($"/api/v1/sources/{crm}/batches?kind=profiles&mapping=auto", content);

        var batch = await AcceptedAndProcessedAsync(client, response);
        using var reportResponse = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        var row = Assert.Single(await ReportAsync(reportResponse));
        Assert.Equal(3, row.Line);
        Assert.Equal("'" + formula, row.Row); // a spreadsheet shows the line; it does not run it
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("multipart")]
    public async Task Upload_CsvWithAutoMapping_IsProcessedWithCountsAndARejectedReport(string upload)
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        HttpContent content = new StringContent(CrmCsv, Encoding.UTF8, "text/csv");
        if (upload == "multipart")
        {
            content = new MultipartFormDataContent { { content, "file", "crm.csv" } };
        }

        using var response = await client.PostAsync($"/api/v1/sources/{crm}/batches?kind=profiles&mapping=auto", content);

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((4, 2, 2), (batch.RowsRead, batch.RowsAccepted, batch.RowsRejected));
        using var reportResponse = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        var report = await ReportAsync(reportResponse);
        Assert.Equal([3, 4], report.Select(r => r.Line));
        Assert.Contains("no identifier", report[0].Reason);
        // The lines as they were uploaded, not the stored JSON (which escaped every quote as \u0022).
        Assert.Equal(",,Nobody,3", report[0].Row);
        Assert.Contains("stray quote", report[1].Reason);
        Assert.Equal("u-3,bob@example.com,\"Bo\"b\",7", report[1].Row);
        var stored = await LakeRowsOfAsync(batch.Id);
        Assert.All(stored, m => Assert.Equal(crm, m.SourceId));
        var ada = PayloadOf(stored.Single(m => m.LineNumber == 2));
        Assert.Equal("identify", (string?)ada["type"]);
        Assert.Equal("u-1", (string?)ada["userId"]);
        Assert.Equal(JsonValueKind.Number, ada["traits"]!["lifetime_total"]!.GetValueKind());
        Assert.Equal(120.5, (double)ada["traits"]!["lifetime_total"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upload_CsvWithSavedMapping_UsesItsColumnsAndTypes(bool byId)
    {
        var crm = await factory.SourceIdAsync("CRM");
        var name = "crm-export-" + Guid.NewGuid().ToString("N")[..8];
        var saved = await factory.Services.GetRequiredService<FileBatches>().SaveMappingAsync(AuditActor.System, crm, name, new FileMapping(FileKind.ProfileRecords,
        [
            new("CustomerNo", ColumnTarget.Identity, "crm_id"),
            new("Points", ColumnTarget.Attribute, "loyalty_points", AttributeType.Number),
            new("City", ColumnTarget.Attribute, "address.city"),
            new("Internal", ColumnTarget.Ignore),
        ]));
        using var client = factory.CreateWriteKeyClient(CrmKey);
        var mapping = byId ? saved.Id.ToString(CultureInfo.InvariantCulture) : Uri.EscapeDataString(name);

        using var response = await UploadAsync(client, crm, "CustomerNo;Points;City;Internal\nC-1;1200;Paris;secret\n", "text/csv", $"mapping={mapping}&filename=crm.csv");

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((1, 1, 0), (batch.RowsRead, batch.RowsAccepted, batch.RowsRejected));
        var payload = PayloadOf(Assert.Single(await LakeRowsOfAsync(batch.Id)));
        var points = payload["traits"]!["loyalty_points"]!;
        Assert.Equal(JsonValueKind.Number, points.GetValueKind());
        Assert.Equal(1200, (double)points);
        Assert.Equal("Paris", (string?)payload["traits"]!["address"]!["city"]);
        Assert.DoesNotContain("secret", payload.ToJsonString());
        var externalId = Assert.Single(payload["context"]!["externalIds"]!.AsArray());
        Assert.Equal(("crm_id", "C-1"), ((string?)externalId!["type"], (string?)externalId["id"]));
    }

    [Theory]
    [InlineData("kind=profiles", "mapping")]
    [InlineData("mapping=no-such-mapping", "no-such-mapping")]
    [InlineData("kind=bogus&mapping=auto", "kind")]
    public async Task Upload_CsvWithoutAUsableRequest_IsInvalidRequestAndStoresNothing(string query, string messageContains)
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        var before = await BatchCountAsync();

        using var response = await UploadAsync(client, crm, CrmCsv, "text/csv", query);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", messageContains);
        Assert.Equal(before, await BatchCountAsync());
    }

    [Fact]
    public async Task Upload_CsvWithoutIdentityColumn_IsValidationError()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);

        using var response = await UploadAsync(client, crm, "name,city\nAda,Paris\n", "text/csv", "mapping=auto");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "validation_error", "identity");
    }

    [Theory]
    [InlineData("user_id,email\n", "text/csv", "mapping=auto", "The file has a header but no rows: there is nothing to import.")]
    [InlineData("\n\n", "application/x-ndjson", "", "The file holds no messages (it is empty, or only blank lines): there is nothing to import.")]
    public async Task Upload_AFileWithNoRows_IsAValidationErrorSayingSo_AndStoresNothing(string body, string mediaType, string query, string says)
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        var before = await BatchCountAsync();

        using var response = await UploadAsync(client, crm, body, mediaType, query);

        // As the studio's upload says it: not a batch "completed" with every one of its no rows accepted.
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "validation_error", says);
        Assert.Equal(before, await BatchCountAsync());
    }

    [Fact]
    public async Task Upload_LinesWhoseMessageIdTheLakeAlreadyHas_CountAsDuplicatesNotAccepted()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        var run = Guid.NewGuid().ToString("N");
        string Line(string messageId) => $$"""{"type":"track","userId":"u-{{run}}","event":"Ordered","messageId":"{{messageId}}"}""";
        using var firstResponse = await UploadAsync(client, crm, Line($"a-{run}") + "\n", "application/x-ndjson", "");
        var first = await AcceptedAndProcessedAsync(client, firstResponse);

        // The same export again with one new line: its old line is in the lake from the first upload.
        using var secondResponse = await UploadAsync(client, crm, Line($"a-{run}") + "\n" + Line($"b-{run}") + "\n", "application/x-ndjson", "");
        var second = await AcceptedAndProcessedAsync(client, secondResponse);

        Assert.Equal((1L, 1L, 0L, 0L), (first.RowsRead, first.RowsAccepted, first.RowsRejected, first.RowsDuplicate));
        Assert.Equal((2L, 1L, 0L, 1L), (second.RowsRead, second.RowsAccepted, second.RowsRejected, second.RowsDuplicate));
        Assert.Equal([2], (await LakeRowsOfAsync(second.Id)).Select(m => m.LineNumber ?? 0));
    }

    [Fact]
    public async Task Upload_Ndjson_AcceptsValidLinesAndRejectsTheOthersWithTheirLineNumbers()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        var ndjson = string.Join('\n',
            """{"type":"track","userId":"u-1","event":"Signed Up"}""",
            "not json",
            $$"""{"userId":"u-2","event":"No Type","writeKey":"{{CrmKey}}"}""",
            "",
            $$"""{"type":"identify","userId":"u-3","traits":{"plan":"pro"},"writeKey":"{{CrmKey}}"}""") + "\n";

        using var response = await UploadAsync(client, crm, ndjson, "application/x-ndjson", "");

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((4, 2, 2), (batch.RowsRead, batch.RowsAccepted, batch.RowsRejected));
        using var reportResponse = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        var report = await ReportAsync(reportResponse);
        Assert.Equal([2, 3], report.Select(r => r.Line));
        // In people's words, without the parser's guess ("Expected the literal 'null'") or its 0-based "LineNumber: 0" inside a file line.
        Assert.Equal("Line 2: not valid JSON: 'not json' is not JSON (text goes in double quotes). (byte 2)", report[0].Reason);
        Assert.Equal("not json", report[0].Row);
        Assert.Contains("\"type\"", report[1].Reason);
        Assert.StartsWith("{\"userId\":\"u-2\",\"event\":\"No Type\"", report[1].Row); // as uploaded (less the write key), not escaped
        Assert.DoesNotContain(CrmKey, report[1].Row);
        var accepted = (await LakeRowsOfAsync(batch.Id)).Where(m => m.Status == MessageStatus.Accepted).ToList();
        Assert.Equal([("track", 1), ("identify", 5)], accepted.Select(m => (m.Type, m.LineNumber ?? 0)));
        Assert.Equal([$"file-{batch.Id}-1", $"file-{batch.Id}-5"], accepted.Select(m => m.MessageId));
        Assert.All(await LakeRowsOfAsync(batch.Id), m => Assert.DoesNotContain(CrmKey, m.Payload));
    }

    /// <summary>
    /// Values that parse but are no JSON number, dates outside what an event time can be, control
    /// characters in identifiers, a cell too long for a message: each bad row is rejected with its line and
    /// reason, and every other row is stored (the old code failed the whole file with 0 rows stored).
    /// </summary>
    [Fact]
    public async Task Upload_CsvWithHostileCells_RejectsThoseRowsAndStoresTheRest()
    {
        var pos = await factory.SourceIdAsync("POS");
        using var client = factory.CreateWriteKeyClient(PosKey);
        var now = factory.Now.ToString("O", CultureInfo.InvariantCulture);
        var csv = string.Join('\n',
            "user_id,event,timestamp,total,is_gift,shipped_at",
            $"u-1,Order,{now},10.5,yes,2026-01-02",
            $"u-2,Order,{now},NaN,no,2026-01-02",
            $"u-3,Order,{now},Infinity,no,2026-01-02",
            $"u-4,Order,{now},1e400,no,2026-01-02",
            "u-5,Order,0001-01-01T00:00:00Z,1,no,2026-01-02",
            "u-6,Order,9999-12-31T23:59:59Z,1,no,2026-01-02",
            $"u-7,Order,not a date,1,no,2026-01-02",
            $"u-8,Order,{now},1,maybe,2026-01-02",
            $"u-9,Order,{now},1,no,garbage",
            $"\"u-\u0001\",Order,{now},1,no,2026-01-02",
            $"u-11,Order,{now},1,no,0001-01-01",
            $"u-12,\"{new string('x', 40 * 1024)}\",{now},1,no,2026-01-02",
            $"u-13,Order,{now},-0,no,9999-12-31",
            $"u-14,Order,{now},1e308,no,2026-01-02") + "\n";

        using var response = await UploadAsync(client, pos, csv, "text/csv", "kind=events&mapping=auto");

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((14L, 4L, 10L), (batch.RowsRead, batch.RowsAccepted, batch.RowsRejected));
        using var reportResponse = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        var report = (await ReportAsync(reportResponse)).ToDictionary(r => r.Line, r => r.Reason);
        Assert.Equal([3, 4, 5, 6, 7, 8, 9, 10, 11, 13], report.Keys.Order());
        Assert.Contains("\"NaN\" in column \"total\" is not a number", report[3]);
        Assert.Contains("\"1e400\"", report[5]);
        Assert.Contains("dates must be from 1970-01-01", report[6]);
        Assert.Contains("dates must be from 1970-01-01", report[7]);
        Assert.Contains("is not a date and time", report[8]);
        Assert.Contains("true or false", report[9]);
        Assert.Contains("is not a date", report[10]);
        Assert.Contains("control character", report[11]);
        Assert.Contains("the limit is 32 KB", report[13]);
        var stored = (await LakeRowsOfAsync(batch.Id)).Where(m => m.Status == MessageStatus.Accepted).ToList();
        Assert.Equal([2, 12, 14, 15], stored.Select(m => m.LineNumber ?? 0));
        Assert.All(stored, m => JsonDocument.Parse(m.Payload).Dispose());
    }

    [Fact]
    public async Task Upload_CsvRowOfAMegabyte_IsRejectedAndKeptOnlyInPart()
    {
        var pos = await factory.SourceIdAsync("POS");
        using var client = factory.CreateWriteKeyClient(PosKey);
        var now = factory.Now.ToString("O", CultureInfo.InvariantCulture);
        var huge = "y" + new string('x', 1024 * 1024);
        var csv = string.Join('\n', "user_id,event,timestamp,note", $"u-1,Order,{now},{huge}", $"u-2,Order,{now},fine") + "\n";

        using var response = await UploadAsync(client, pos, csv, "text/csv", "kind=events&mapping=auto");

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((2L, 1L, 1L), (batch.RowsRead, batch.RowsAccepted, batch.RowsRejected));
        var rejected = (await LakeRowsOfAsync(batch.Id)).Single(m => m.Status != MessageStatus.Accepted);
        Assert.InRange(rejected.Payload.Length, 64 * 1024, 70 * 1024); // was 2 MB: the row cell by cell and the line
        using var reportResponse = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        var row = Assert.Single(await ReportAsync(reportResponse));
        Assert.Contains("the limit is 32 KB", row.Reason);
        Assert.StartsWith($"u-1,Order,{now},yxxx", row.Row);
        Assert.EndsWith("…", row.Row);
    }

    /// <summary>An extreme timestamp/sentAt pair or unreadable text rejects its line; the old code failed the whole file.</summary>
    [Fact]
    public async Task Upload_NdjsonWithHostileLines_RejectsThoseLinesAndStoresTheRest()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        var ndjson = string.Join('\n',
            """{"type":"track","userId":"u-1","event":"first"}""",
            """{"type":"identify","userId":"u-2","timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}""",
            """{"type":"identify","userId":"u-3","originalTimestamp":"9999-12-31T23:59:59Z","sentAt":"0001-01-01T00:00:00Z"}""",
            """{"type":"track","userId":"u-4","event":"\ud800"}""",
            """{"type":"page","userId":"u-5","name":12345}""",
            """{"type":"identify","userId":"u-6","traits":{"a":1,"a":2}}""",
            """{"type":"track","userId":"u-7","event":"e","properties":""" + string.Concat(Enumerable.Repeat("{\"a\":", 62)) + "1" + new string('}', 63),
            """{"type":"track","userId":"u-8","event":"last"}""") + "\n";

        using var response = await UploadAsync(client, crm, ndjson, "application/x-ndjson", "");

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((8L, 2L, 6L), (batch.RowsRead, batch.RowsAccepted, batch.RowsRejected));
        using var reportResponse = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        var report = await ReportAsync(reportResponse);
        Assert.Equal([2, 3, 4, 5, 6, 7], report.Select(r => r.Line));
        Assert.Contains("dates must be from 1970-01-01", report[0].Reason);
        Assert.Contains("not valid text", report[2].Reason);
        Assert.Contains("\"name\" must be a string", report[3].Reason);
        Assert.Equal("""{"type":"page","userId":"u-5","name":12345}""", report[3].Row); // the line as uploaded, no messageId or receivedAt added
        Assert.Contains("appears twice", report[4].Reason);
        Assert.Contains("at most 32", report[5].Reason);
        var accepted = (await LakeRowsOfAsync(batch.Id)).Where(m => m.Status == MessageStatus.Accepted).ToList();
        Assert.Equal([1, 8], accepted.Select(m => m.LineNumber ?? 0));
    }

    [Fact]
    public async Task Upload_NdjsonWithBytesThatAreNotUtf8_RejectsThoseLinesThroughTheRealUpload()
    {
        // The upload was stored through a text reader, which turned the bytes into U+FFFD: the import then accepted "M\uFFFDller".
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        byte[] body =
        [
            .. """{"type":"identify","userId":"nd-1","traits":{"name":"Ada"}}"""u8, (byte)'\n',
            .. """{"type":"identify","userId":"nd-2","traits":{"name":"M"""u8, 0xFC, .. "ller\"}}\n"u8,
            .. "{\"type\":\"identify\",\"userId\":\"nd-3"u8, 0xC0, 0x80, .. "\",\"writeKey\":\""u8, .. Encoding.UTF8.GetBytes(CrmKey), .. "\"}\r\n"u8,
            .. """{"type":"identify","userId":"nd-4","traits":{"name":"a"""u8, 0xEF, 0xBF, 0xBD, .. "b\"}}\n"u8,
        ];

        using var response = await client.PostAsync($"/api/v1/sources/{crm}/batches", new ByteArrayContent(body) { Headers = { ContentType = new("application/x-ndjson") } });

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((4L, 2L, 2L), (batch.RowsRead, batch.RowsAccepted, batch.RowsRejected));
        using var reportResponse = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        var report = await ReportAsync(reportResponse);
        Assert.Equal([2, 3], report.Select(r => r.Line));
        Assert.All(report, r => Assert.Contains("not UTF-8", r.Reason));
        Assert.DoesNotContain(CrmKey, string.Concat(report.Select(r => r.Row)));
        var rows = await LakeRowsOfAsync(batch.Id);
        Assert.All(rows, r => Assert.DoesNotContain(CrmKey, r.Payload));
        // U+FFFD written in the file on purpose (its UTF-8 bytes) is kept.
        Assert.Contains(rows, r => r.Status == MessageStatus.Accepted
            && System.Text.Json.Nodes.JsonNode.Parse(r.Payload)?["traits"]?["name"]?.GetValue<string>() == "a\uFFFDb");
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-16BE")]
    [InlineData("utf-32")]
    public async Task Upload_CsvInUtf16Or32WithABrokenRow_RejectsThatRowAndReadsTheRest(string encoding)
    {
        // Reading restarts after a broken row at a byte position counted in UTF-8: in a UTF-16 file the rows after it were
        // read misaligned (NULs, "not UTF-8") and u-3 was lost. Such files are stored as UTF-8.
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        var text = Encoding.GetEncoding(encoding);
        byte[] body = [.. text.GetPreamble(), .. text.GetBytes("user_id,name\nu-1,Müller\nu-2,\"broken\nu-3,ok\nu-4,Zoë 🚀\n")];

        using var response = await client.PostAsync($"/api/v1/sources/{crm}/batches?mapping=auto&filename=people.csv",
            new ByteArrayContent(body) { Headers = { ContentType = new("text/csv") } });

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((3L, 1L), (batch.RowsAccepted, batch.RowsRejected));
        var accepted = (await LakeRowsOfAsync(batch.Id)).Where(m => m.Status == MessageStatus.Accepted)
            .Select(m => (string?)System.Text.Json.Nodes.JsonNode.Parse(m.Payload)!["traits"]!["name"]).ToList();
        Assert.Equal(["Müller", "ok", "Zoë 🚀"], accepted);
    }

    [Fact]
    public async Task Upload_MultipartWithTwoFiles_IsRefused_NotHalfTaken()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("user_id,first_name\nmf-1,One\n", Encoding.UTF8, "text/csv"), "file", "one.csv" },
            { new StringContent("user_id,first_name\nmf-2,Two\n", Encoding.UTF8, "text/csv"), "file", "two.csv" },
        };

        using var response = await client.PostAsync($"/api/v1/sources/{crm}/batches?kind=profiles&mapping=auto", form);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "send one file per request");
    }

    [Theory]
    [InlineData("x%0Afail%3A%20Forged%0Ay.csv")]
    [InlineData("a%00b.csv")]
    [InlineData("tab%09bed.csv")]
    public async Task Upload_AFileNameWithAControlCharacter_IsRefused(string filename)
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);

        using var response = await UploadAsync(client, crm, "user_id,first_name\nu-1,Ada\n", "text/csv", $"kind=profiles&mapping=auto&filename={filename}");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "validation_error", "control character");
    }

    [Fact]
    public async Task Upload_ToStreamingSource_IsValidationError()
    {
        var web = await factory.SourceIdAsync("Web");
        using var client = factory.CreateWriteKeyClient(IngestionAppFactory.WriteKeyOf("Web"));

        using var response = await UploadAsync(client, web, CrmCsv, "text/csv", "mapping=auto");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "validation_error", "upload files to a batch source");
    }

    [Theory]
    [InlineData("token")]
    [InlineData("write key")]
    public async Task Upload_ToASourceThatDoesNotExist_IsNotFoundSayingSo_AndStoresNothing(string credential)
    {
        using var client = credential == "token" ? factory.CreateBearerClient(IngestionAppFactory.ApiTokenOf("Batch loader")) : factory.CreateWriteKeyClient(CrmKey);
        var before = await BatchCountAsync();

        using var csv = await UploadAsync(client, 999999, CrmCsv, "text/csv", "mapping=auto");
        using var saved = await UploadAsync(client, 999999, CrmCsv, "text/csv", "mapping=no-such-mapping");
        using var ndjson = await UploadAsync(client, 999999, """{"type":"track","userId":"u","event":"E"}""" + "\n", "application/x-ndjson", "");

        foreach (var response in new[] { csv, saved, ndjson })
        {
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found", "There is no source 999999.");
        }
        Assert.Equal(before, await BatchCountAsync());
    }

    [Theory]
    [InlineData("token", -1, "")]
    [InlineData("token", 999999, "")]
    [InlineData("token", -1, "kind=bogus")]
    [InlineData("token", 0, "mapping=no-such-mapping")]
    [InlineData("write key", -1, "")]
    [InlineData("write key", 999999, "kind=bogus")]
    [InlineData("token", 3_000_000_000, "")] // beyond int: it was "There is no API at POST /api/v1/sources/3000000000/batches."
    [InlineData("write key", -3_000_000_000, "kind=bogus")]
    public async Task Upload_ToASourceThatDoesNotExist_WithAnUnusableRequest_IsNotFoundNamingTheSource(string credential, long sourceId, string query)
    {
        using var client = credential == "token" ? factory.CreateBearerClient(IngestionAppFactory.ApiTokenOf("Batch loader")) : factory.CreateWriteKeyClient(CrmKey);
        var before = await BatchCountAsync();

        // A CSV without a mapping (or with a kind or a mapping that cannot be used), and a form without its file field.
        using var csv = await UploadAsync(client, sourceId, CrmCsv, "text/csv", query);
        using var form = await client.PostAsync($"/api/v1/sources/{sourceId}/batches?{query}", new MultipartFormDataContent { { new StringContent("x"), "not-file" } });

        foreach (var response in new[] { csv, form })
        {
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found", $"There is no source {sourceId}.");
        }
        Assert.Equal(before, await BatchCountAsync());
    }

    [Fact]
    public async Task Upload_ToASourceThatDoesNotExist_WithAnUnknownKey_IsStillUnauthorized()
    {
        using var unknown = factory.CreateWriteKeyClient("wk_not_a_key_of_this_server");

        using var response = await UploadAsync(unknown, 999999, CrmCsv, "text/csv", "mapping=auto");

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error"); // no answer about sources to a stranger
    }

    [Fact]
    public async Task Requests_WithoutTheSourcesKey_AreUnauthorized()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var owner = factory.CreateWriteKeyClient(CrmKey);
        using var other = factory.CreateWriteKeyClient(PosKey);
        using var anonymous = factory.CreateWriteKeyClient(null);
        using var unknown = factory.CreateWriteKeyClient("wk_not_a_key_of_this_server");
        using var upload = await UploadAsync(owner, crm, """{"type":"track","userId":"u","event":"E"}""" + "\n", "application/x-ndjson", "");
        var batch = await AcceptedAndProcessedAsync(owner, upload);

        foreach (var client in new[] { other, anonymous, unknown })
        {
            using var post = await UploadAsync(client, crm, CrmCsv, "text/csv", "mapping=auto");
            using var status = await client.GetAsync($"/api/v1/batches/{batch.Id}");
            using var report = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
            await AssertErrorAsync(post, HttpStatusCode.Unauthorized, "authentication_error");
            await AssertErrorAsync(status, HttpStatusCode.Unauthorized, "authentication_error");
            await AssertErrorAsync(report, HttpStatusCode.Unauthorized, "authentication_error");
        }
        using var missing = await owner.GetAsync("/api/v1/batches/999999");
        await AssertErrorAsync(missing, HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("basic")]
    public async Task Requests_WithAnIngestBatchToken_WorkForEveryBatchSource(string scheme)
    {
        var token = IngestionAppFactory.ApiTokenOf("Batch loader");
        using var client = scheme == "bearer" ? factory.CreateBearerClient(token) : factory.CreateWriteKeyClient(token);
        var crm = await factory.SourceIdAsync("CRM");
        var pos = await factory.SourceIdAsync("POS");

        using var csv = await UploadAsync(client, crm, CrmCsv, "text/csv", "mapping=auto");
        using var ndjson = await UploadAsync(client, pos, """{"type":"track","userId":"u-9","event":"Purchase"}""" + "\n", "application/x-ndjson", "");

        var crmBatch = await AcceptedAndProcessedAsync(client, csv);
        var posBatch = await AcceptedAndProcessedAsync(client, ndjson);
        Assert.Equal((4, 2, 2), (crmBatch.RowsRead, crmBatch.RowsAccepted, crmBatch.RowsRejected));
        Assert.Equal((1, 1, 0), (posBatch.RowsRead, posBatch.RowsAccepted, posBatch.RowsRejected));
        using var report = await client.GetAsync($"/api/v1/batches/{crmBatch.Id}/rejected.csv");
        Assert.Equal([3, 4], (await ReportAsync(report)).Select(r => r.Line));
        Assert.All(await LakeRowsOfAsync(posBatch.Id), m => Assert.Equal(pos, m.SourceId));
        await using var db = await factory.DbAsync();
        Assert.Equal("API token Batch loader", (await db.FileBatches.SingleAsync(b => b.Id == crmBatch.Id)).UploadedBy);
    }

    [Fact]
    public async Task Requests_WithATokenWithoutIngestBatch_AreForbiddenNamingTheScope()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var owner = factory.CreateWriteKeyClient(CrmKey);
        using var upload = await UploadAsync(owner, crm, """{"type":"track","userId":"u","event":"E"}""" + "\n", "application/x-ndjson", "");
        var batch = await AcceptedAndProcessedAsync(owner, upload);
        using var reader = factory.CreateBearerClient(IngestionAppFactory.ApiTokenOf("Profile reader"));
        var before = await BatchCountAsync();

        using var post = await UploadAsync(reader, crm, CrmCsv, "text/csv", "mapping=auto");
        using var status = await reader.GetAsync($"/api/v1/batches/{batch.Id}");
        using var report = await reader.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");

        foreach (var response in new[] { post, status, report })
        {
            await AssertErrorAsync(response, HttpStatusCode.Forbidden, "permission_error", "lacks the scope \"ingest:batch\"");
        }
        Assert.Equal(before, await BatchCountAsync());
    }

    [Fact]
    public async Task Requests_WithAnUnknownOrRevokedToken_AreUnauthorized()
    {
        var crm = await factory.SourceIdAsync("CRM");
        var tokens = factory.Services.GetRequiredService<ApiTokenStore>();
        var created = await tokens.CreateAsync(AuditActor.System, $"revoked-{Guid.NewGuid():N}", [ApiScopes.IngestBatch]);
        await tokens.RevokeAsync(AuditActor.System, created.Token!.Id);
        using var revokedBearer = factory.CreateBearerClient(created.Secret!);
        using var revokedBasic = factory.CreateWriteKeyClient(created.Secret!);
        using var unknown = factory.CreateBearerClient("pst_not_a_token_of_this_server_00000000");

        foreach (var client in new[] { revokedBearer, revokedBasic, unknown })
        {
            using var post = await UploadAsync(client, crm, CrmCsv, "text/csv", "mapping=auto");
            await AssertErrorAsync(post, HttpStatusCode.Unauthorized, "authentication_error", "API token");
        }
    }

    [Fact]
    public async Task Upload_ProfileRecords_EmptyCellLeavesTheTraitOutAndNullRemovesIt()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);

        using var response = await UploadAsync(client, crm, "user_id,first_name,city,plan\nu-7,,NULL,gold\n", "text/csv", "mapping=auto");

        var batch = await AcceptedAndProcessedAsync(client, response);
        var traits = PayloadOf(Assert.Single(await LakeRowsOfAsync(batch.Id)))["traits"]!.AsObject();
        Assert.False(traits.ContainsKey("first_name"), traits.ToJsonString());
        Assert.True(traits.ContainsKey("city"), traits.ToJsonString());
        Assert.Null(traits["city"]);
        Assert.Equal("gold", (string?)traits["plan"]);
    }

    [Fact]
    public async Task Process_AgainAfterACrash_StoresNoRowTwice()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(CrmKey);
        using var response = await UploadAsync(client, crm, CrmCsv, "text/csv", "mapping=auto");
        var batch = await AcceptedAndProcessedAsync(client, response);
        var first = await LakeRowsOfAsync(batch.Id);
        Assert.All(first.Where(m => m.Status == MessageStatus.Accepted), m => Assert.Equal($"file-{batch.Id}-{m.LineNumber}", m.MessageId));

        // A crash before the end leaves the batch Processing and its file in place (the file is deleted only
        // once the batch is done); the next start queues it again from the first row.
        await using (var db = await factory.DbAsync())
        {
            await db.FileBatches.Where(b => b.Id == batch.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, FileBatchStatus.Processing));
            var stored = await db.FileBatches.Where(b => b.Id == batch.Id).Select(b => b.StoredPath).SingleAsync();
            await File.WriteAllTextAsync(Path.Combine(factory.DataDirectory, stored), CrmCsv);
        }
        factory.Services.GetRequiredService<FileBatchQueue>().Enqueue(batch.Id);
        var again = await ProcessedAsync(client, batch.Id);

        Assert.Equal((4, 2, 2, 0), (again.RowsRead, again.RowsAccepted, again.RowsRejected, again.RowsDuplicate)); // its own rows are not duplicates
        var second = await LakeRowsOfAsync(batch.Id);
        Assert.Equal(first.Select(m => (m.Id, m.LineNumber, m.Status)), second.Select(m => (m.Id, m.LineNumber, m.Status)));
        using var reportResponse = await client.GetAsync($"/api/v1/batches/{batch.Id}/rejected.csv");
        Assert.Equal([3, 4], (await ReportAsync(reportResponse)).Select(r => r.Line));
    }

    [Fact]
    public async Task StudioReport_Anonymous_RedirectsToSignInAndADataEngineerGetsIt()
    {
        var crm = await factory.SourceIdAsync("CRM");
        using var api = factory.CreateWriteKeyClient(CrmKey);
        using var upload = await UploadAsync(api, crm, CrmCsv, "text/csv", "mapping=auto");
        var batch = await AcceptedAndProcessedAsync(api, upload);
        var url = $"/data/batches/{batch.Id}/rejected.csv";

        using var anonymous = factory.CreateStudioClient();
        using var refused = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.Found, refused.StatusCode);
        Assert.StartsWith("/Account/Login", anonymous.LocationOf(refused));

        var engineer = await factory.CreateUserAsync(Roles.DataEngineer);
        using var studio = factory.CreateStudioClient();
        using (var signIn = await studio.SignInAsync(engineer, "User-Pass-2026!"))
        {
            Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
        }
        using var report = await studio.GetAsync(url);
        Assert.Equal([3, 4], (await ReportAsync(report)).Select(r => r.Line));
    }

    [Fact]
    public async Task Upload_FileLargerThanTheLakeQueue_IsStillProcessed()
    {
        // The lake writer's queue bounds tracking requests (429); a file must wait for room, not forever.
        await using var small = new IngestionAppFactory { MaxQueuedMessages = 1 };
        var crm = await small.SourceIdAsync("CRM");
        using var client = small.CreateWriteKeyClient(CrmKey);

        using var response = await UploadAsync(client, crm, CrmCsv, "text/csv", "mapping=auto");

        var batch = await AcceptedAndProcessedAsync(client, response);
        Assert.Equal((4, 2, 2), (batch.RowsRead, batch.RowsAccepted, batch.RowsRejected));
    }
}
