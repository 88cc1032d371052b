using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Ingestion.Files;

public sealed record FileBatchResult(bool Succeeded, FileBatch? Batch = null, IReadOnlyList<string>? Problems = null)
{
    public static FileBatchResult Fail(params string[] problems) => new(false, null, problems);
}

/// <summary>
/// Uploaded files: stored durably under the data directory first, then mapped (CSV) and queued for the
/// <see cref="FileBatchProcessor"/>. Also the saved mappings and the rejected-rows report.
/// </summary>
public sealed class FileBatches(
    IDbContextFactory<ProfileStudioDbContext> dbFactory,
    IOptions<ProfileStudioOptions> options,
    FileBatchQueue queue,
    TimeProvider time)
{
    public static readonly JsonSerializerOptions MappingJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public const long MaxFileBytes = 4L * 1024 * 1024 * 1024;

    public static FileFormat? FormatOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".csv" or ".tsv" or ".txt" => FileFormat.Csv,
        ".ndjson" or ".jsonl" or ".json" => FileFormat.Ndjson,
        _ => null,
    };

    /// <summary>
    /// Stores an upload. A CSV with a mapping, and any NDJSON file, is queued at once; a CSV without one
    /// waits for the mapping step.
    /// </summary>
    public async Task<FileBatchResult> UploadAsync(int sourceId, string fileName, Stream content, string uploadedBy, FileKind kind, FileMapping? mapping, CancellationToken ct = default)
    {
        if (FormatOf(fileName) is not { } format)
        {
            return FileBatchResult.Fail($"\"{fileName}\" is neither CSV (.csv, .tsv, .txt) nor NDJSON (.ndjson, .jsonl).");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Sources.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sourceId, ct) is not { } source)
        {
            return FileBatchResult.Fail("The source does not exist.");
        }
        if (source.Kind != SourceKind.Batch)
        {
            return FileBatchResult.Fail($"\"{source.Name}\" is a streaming source; upload files to a batch source.");
        }
        if (!source.Enabled)
        {
            return FileBatchResult.Fail($"\"{source.Name}\" is disabled.");
        }

        var folder = Path.Combine(options.Value.DataDirectoryFullPath, "uploads");
        Directory.CreateDirectory(folder);
        var relative = Path.Combine("uploads", $"{Guid.CreateVersion7():N}{Path.GetExtension(fileName).ToLowerInvariant()}");
        var path = Path.Combine(options.Value.DataDirectoryFullPath, relative);
        long size;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await content.ReadAsync(buffer, ct)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
                if (file.Length > MaxFileBytes)
                {
                    file.Close();
                    File.Delete(path);
                    return FileBatchResult.Fail($"The file is larger than {MaxFileBytes / (1024 * 1024 * 1024)} GB.");
                }
            }
            file.Flush(flushToDisk: true); // the upload is acknowledged only once it is on disk
            size = file.Length;
        }

        if (format == FileFormat.Csv && mapping is not null)
        {
            await using var stream = File.OpenRead(path);
            var problems = mapping.Problems(CsvFiles.ReadPreview(stream, 0).Headers);
            if (problems.Count > 0)
            {
                File.Delete(path);
                return FileBatchResult.Fail([.. problems]);
            }
        }
        var ready = format == FileFormat.Ndjson || mapping is not null;
        var batch = new FileBatch
        {
            SourceId = sourceId,
            FileName = Path.GetFileName(fileName),
            Format = format,
            Kind = format == FileFormat.Ndjson ? FileKind.Events : kind,
            Status = ready ? FileBatchStatus.Queued : FileBatchStatus.AwaitingMapping,
            StoredPath = relative,
            SizeBytes = size,
            MappingJson = mapping is null ? null : JsonSerializer.Serialize(mapping, MappingJson),
            UploadedBy = uploadedBy,
            UploadedAt = time.GetUtcNow().UtcDateTime,
        };
        db.FileBatches.Add(batch);
        await db.SaveChangesAsync(ct);
        if (ready)
        {
            queue.Enqueue(batch.Id);
        }
        return new FileBatchResult(true, batch);
    }

    public async Task<CsvFiles.Preview?> PreviewAsync(long batchId, int rows, CancellationToken ct = default)
    {
        if (await GetAsync(batchId, ct) is not { Format: FileFormat.Csv } batch)
        {
            return null;
        }
        await using var stream = File.OpenRead(PathOf(batch));
        return CsvFiles.ReadPreview(stream, rows);
    }

    /// <summary>
    /// The first rows of a CSV as the import will store them: the same reader and converter, so line
    /// numbers (quoted fields may span lines) and verdicts are exactly what the import will give.
    /// </summary>
    public async Task<IReadOnlyList<IncomingMessage>> PreviewMessagesAsync(long batchId, FileMapping mapping, int rows, CancellationToken ct = default)
    {
        if (await GetAsync(batchId, ct) is not { Format: FileFormat.Csv } batch)
        {
            return [];
        }
        await using var stream = File.OpenRead(PathOf(batch));
        return FileBatchProcessor.ReadCsv(stream, mapping, batchId, time.GetUtcNow().UtcDateTime).Take(rows).ToList();
    }

    /// <summary>Applies a mapping to a CSV waiting for one and queues it.</summary>
    public async Task<FileBatchResult> StartAsync(long batchId, FileMapping mapping, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.FileBatches.FindAsync([batchId], ct) is not { } batch)
        {
            return FileBatchResult.Fail("The file no longer exists.");
        }
        if (batch.Status != FileBatchStatus.AwaitingMapping)
        {
            return FileBatchResult.Fail("This file is already being processed.");
        }
        CsvFiles.Preview preview;
        await using (var stream = File.OpenRead(PathOf(batch)))
        {
            preview = CsvFiles.ReadPreview(stream, 0);
        }
        var problems = mapping.Problems(preview.Headers);
        if (problems.Count > 0)
        {
            return FileBatchResult.Fail([.. problems]);
        }
        batch.Kind = mapping.Kind;
        batch.MappingJson = JsonSerializer.Serialize(mapping, MappingJson);
        batch.Status = FileBatchStatus.Queued;
        await db.SaveChangesAsync(ct);
        queue.Enqueue(batch.Id);
        return new FileBatchResult(true, batch);
    }

    public async Task<FileBatch?> GetAsync(long batchId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.FileBatches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == batchId, ct);
    }

    public async Task<IReadOnlyList<FileBatch>> ListAsync(int? sourceId = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.FileBatches.AsNoTracking();
        if (sourceId is { } id)
        {
            query = query.Where(b => b.SourceId == id);
        }
        return await query.OrderByDescending(b => b.Id).Take(500).ToListAsync(ct);
    }

    /// <summary>The rejected rows of a batch in line order, for the downloadable report.</summary>
    public async IAsyncEnumerable<RawMessage> RejectedRowsAsync(long batchId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await foreach (var row in db.RawMessages.AsNoTracking()
                           .Where(m => m.BatchId == batchId && m.Status == MessageStatus.Rejected)
                           .OrderBy(m => m.LineNumber)
                           .AsAsyncEnumerable()
                           .WithCancellation(ct))
        {
            yield return row;
        }
    }

    public async Task<IReadOnlyList<SavedFileMapping>> SavedMappingsAsync(int sourceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SavedFileMappings.AsNoTracking().Where(m => m.SourceId == sourceId).OrderBy(m => m.Name).ToListAsync(ct);
    }

    public async Task<SavedFileMapping?> FindSavedMappingAsync(int sourceId, string idOrName, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var byId = int.TryParse(idOrName, out var id) ? id : -1;
        return await db.SavedFileMappings.AsNoTracking()
            .FirstOrDefaultAsync(m => m.SourceId == sourceId && (m.Id == byId || m.Name == idOrName), ct);
    }

    /// <summary>Saves (or replaces) a mapping under a name for this source.</summary>
    public async Task<SavedFileMapping> SaveMappingAsync(int sourceId, string name, FileMapping mapping, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var saved = await db.SavedFileMappings.FirstOrDefaultAsync(m => m.SourceId == sourceId && m.Name == name, ct);
        if (saved is null)
        {
            saved = new SavedFileMapping { SourceId = sourceId, Name = name.Trim(), CreatedAt = time.GetUtcNow().UtcDateTime };
            db.SavedFileMappings.Add(saved);
        }
        saved.Kind = mapping.Kind;
        saved.MappingJson = JsonSerializer.Serialize(mapping, MappingJson);
        await db.SaveChangesAsync(ct);
        return saved;
    }

    public static FileMapping ReadMapping(string json) =>
        JsonSerializer.Deserialize<FileMapping>(json, MappingJson) ?? throw new InvalidOperationException("Empty mapping.");

    public string PathOf(FileBatch batch) => Path.Combine(options.Value.DataDirectoryFullPath, batch.StoredPath);
}
