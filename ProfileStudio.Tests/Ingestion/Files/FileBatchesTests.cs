using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Ingestion.Files;

/// <summary>An upload's lifecycle on real SQLite (no processor runs): cancel, and what the audit log keeps.</summary>
public sealed class FileBatchesTests : IAsyncLifetime
{
    private static readonly AuditActor Engineer = new("u-1", "engineer@example.com", "10.0.0.7");
    private StudioServices _studio = default!;
    private FileBatches Batches => _studio.Services.GetRequiredService<FileBatches>();
    private int _sourceId;

    public async Task InitializeAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        _sourceId = (await _studio.Services.GetRequiredService<SourceRegistry>().EnsureAsync("CRM export", SourceKind.Batch, "wk_files_source_key_0000000000000001")).Source!.Id;
    }

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private async Task<FileBatch> UploadWaitingAsync(string name = "people.csv") =>
        (await Batches.UploadAsync(_sourceId, name, new MemoryStream("First Name,Customer Email\nAda,ada@example.com\n"u8.ToArray()), Engineer, FileKind.ProfileRecords, null)).Batch!;

    private async Task<IReadOnlyList<AuditEntry>> AuditAsync(string action) =>
        (await _studio.Audit.QueryAsync(new AuditFilter(Action: action), 0, 50)).Entries;

    [Fact]
    public async Task Discard_WaitingUpload_RemovesTheBatchAndItsFileAndIsAudited()
    {
        var batch = await UploadWaitingAsync();
        var path = Batches.PathOf(batch);
        Assert.True(File.Exists(path));

        var cancelled = await Batches.DiscardAsync(Engineer, batch.Id);

        Assert.True(cancelled);
        Assert.Null(await Batches.GetAsync(batch.Id));
        Assert.False(File.Exists(path));
        var entry = Assert.Single(await AuditAsync(AuditActions.FileCancelled));
        Assert.Equal(("engineer@example.com", $"file #{batch.Id} people.csv"), (entry.ActorName, entry.Target));
    }

    [Fact]
    public async Task Discard_StartedImport_IsRefusedAndKeepsBatchAndFile()
    {
        var batch = await UploadWaitingAsync();
        var started = await Batches.StartAsync(Engineer, batch.Id, FileMapping.Suggest(FileKind.ProfileRecords, ["First Name", "Customer Email"]));
        Assert.True(started.Succeeded, string.Join(" ", started.Problems ?? []));

        var cancelled = await Batches.DiscardAsync(Engineer, batch.Id);

        Assert.False(cancelled);
        Assert.Equal(FileBatchStatus.Queued, (await Batches.GetAsync(batch.Id))!.Status);
        Assert.True(File.Exists(Batches.PathOf(batch)));
        Assert.Empty(await AuditAsync(AuditActions.FileCancelled));
    }

    [Fact]
    public async Task UploadSaveMappingAndStart_AreEachInTheAuditLogWithWhoAndWhat()
    {
        var batch = await UploadWaitingAsync("loyalty.csv");
        var mapping = FileMapping.Suggest(FileKind.ProfileRecords, ["First Name", "Customer Email"]);
        await Batches.SaveMappingAsync(Engineer, _sourceId, "Loyalty export", mapping);
        await Batches.StartAsync(Engineer, batch.Id, mapping);

        var uploaded = Assert.Single(await AuditAsync(AuditActions.FileUploaded));
        var saved = Assert.Single(await AuditAsync(AuditActions.FileMappingSaved));
        var started = Assert.Single(await AuditAsync(AuditActions.FileImportStarted));
        Assert.All([uploaded, saved, started], e => Assert.Equal(("engineer@example.com", "10.0.0.7"), (e.ActorName, e.IpAddress)));
        Assert.Equal($"file #{batch.Id} loyalty.csv", uploaded.Target);
        Assert.Contains("CRM export", uploaded.Details);
        Assert.Contains("waiting for its column mapping", uploaded.Details);
        Assert.Equal("mapping \"Loyalty export\" of CRM export", saved.Target); // the source by name, not its id
        Assert.Contains("Customer Email → identity email", started.Details);
        Assert.Contains("First Name → firstName (text)", started.Details);
    }

    [Fact]
    public async Task Upload_Refused_IsNotAudited()
    {
        var refused = await Batches.UploadAsync(_sourceId, "empty.csv", new MemoryStream(), Engineer, FileKind.ProfileRecords, null);

        Assert.False(refused.Succeeded);
        Assert.Empty(await AuditAsync(AuditActions.FileUploaded));
        await using var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.FileBatches.CountAsync());
    }

    private int UploadedFiles() =>
        Directory.Exists(Path.Combine(_studio.DataDirectory, "uploads")) ? Directory.GetFiles(Path.Combine(_studio.DataDirectory, "uploads")).Length : 0;

    [Theory]
    [InlineData("First Name,Customer Email\n")]
    [InlineData("First Name,Customer Email")]
    [InlineData("\uFEFFFirst Name;Customer Email\r\n\r\n\r\n")]
    public async Task Upload_CsvWithAHeaderAndNoRows_IsRefusedSayingSo(string csv)
    {
        foreach (var mapping in new FileMapping?[] { null, FileMapping.Suggest(FileKind.ProfileRecords, ["First Name", "Customer Email"]) })
        {
            var refused = await Batches.UploadAsync(_sourceId, "header-only.csv", new MemoryStream(Encoding.UTF8.GetBytes(csv)), Engineer, FileKind.ProfileRecords, mapping);

            Assert.False(refused.Succeeded);
            Assert.Equal(["The file has a header but no rows: there is nothing to import. Add the rows under the header and upload it again."], refused.Problems);
        }
        Assert.Empty(await Batches.ListAsync());
        Assert.Equal(0, UploadedFiles());
        Assert.Empty(await AuditAsync(AuditActions.FileUploaded));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("\uFEFF \r\n\t\n")]
    public async Task Upload_NdjsonWithNoLineToRead_IsRefusedSayingSo(string ndjson)
    {
        var refused = await Batches.UploadAsync(_sourceId, "events.ndjson", new MemoryStream(Encoding.UTF8.GetBytes(ndjson)), Engineer, FileKind.Events, null);

        Assert.False(refused.Succeeded);
        Assert.Equal(["The file holds no messages (it is empty, or only blank lines): there is nothing to import. An NDJSON file holds one message, a JSON object, per line."],
            refused.Problems);
        Assert.Empty(await Batches.ListAsync());
        Assert.Equal(0, UploadedFiles());
    }

    [Theory]
    [InlineData("people.csv", "First Name,Customer Email\n\nAda,\"ada@example.com\n")] // one row, broken: the import rejects it with its line
    [InlineData("events.ndjson", "\n{not json\n")]
    public async Task Upload_AFileWhoseOnlyRowIsBroken_IsAccepted_ForTheImportToRejectTheRow(string name, string content)
    {
        var upload = await Batches.UploadAsync(_sourceId, name, new MemoryStream(Encoding.UTF8.GetBytes(content)), Engineer, FileKind.ProfileRecords, null);

        Assert.True(upload.Succeeded, string.Join(" ", upload.Problems ?? []));
    }

    [Fact]
    public async Task Preview_RejectedRow_KeepsTheLineAsUploaded()
    {
        var batch = (await Batches.UploadAsync(_sourceId, "quoted.csv",
            new MemoryStream(Encoding.UTF8.GetBytes("Customer Email,Points\nada@example.com,12\nbob@example.com,\"lots, \"\"really\"\"\"\n")), Engineer, FileKind.ProfileRecords, null)).Batch!;
        var mapping = new FileMapping(FileKind.ProfileRecords,
            [new("Customer Email", ColumnTarget.Identity, "email"), new("Points", ColumnTarget.Attribute, "points", AttributeType.Number)]);

        var rows = await Batches.PreviewMessagesAsync(batch.Id, mapping, 5);

        Assert.True(rows[0].IsValid);
        Assert.False(rows[1].IsValid);
        Assert.Equal("bob@example.com,\"lots, \"\"really\"\"\"", FileRowConverter.OriginalLine(rows[1].Payload));
    }
}
