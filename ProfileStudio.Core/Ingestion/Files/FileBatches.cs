using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Auditing;
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
/// <see cref="FileBatchProcessor"/>. Also the saved mappings and the rejected-rows report. Uploads, saved
/// mappings, starts and cancellations are in the audit log: a file is personal data coming in.
/// </summary>
public sealed class FileBatches(
    IDbContextFactory<ProfileStudioDbContext> dbFactory,
    IOptions<ProfileStudioOptions> options,
    FileBatchQueue queue,
    AuditLog audit,
    FileBatchNotifications notifications,
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
    public async Task<FileBatchResult> UploadAsync(int sourceId, string fileName, Stream content, AuditActor uploadedBy, FileKind kind, FileMapping? mapping, CancellationToken ct = default)
    {
        if (fileName.Any(char.IsControl))
        {
            // A line break in a name would forge lines in the log and break the list; nobody names a file so on purpose.
            return FileBatchResult.Fail("The file name holds a control character (a line break, a tab or a NUL); rename the file and upload it again.");
        }
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

        PrivateFiles.CreateDirectory(UploadsFolder);
        var relative = Path.Combine(UploadsFolderName, $"{Guid.CreateVersion7():N}{Path.GetExtension(fileName).ToLowerInvariant()}");
        var path = Path.Combine(options.Value.DataDirectoryFullPath, relative);
        long? size;
        try
        {
            size = format == FileFormat.Ndjson ? await StoreNdjsonAsync(content, path, ct) : await StoreAsync(content, path, ct);
        }
        catch
        {
            DeleteFile(path); // a cancelled or broken upload leaves no part of the file behind
            throw;
        }
        if (size is null)
        {
            DeleteFile(path);
            return FileBatchResult.Fail($"The file is larger than {MaxFileBytes / (1024 * 1024 * 1024)} GB.");
        }

        if (CompressedProblem(path) is { } compressed)
        {
            DeleteFile(path);
            return FileBatchResult.Fail(compressed);
        }
        if (format == FileFormat.Ndjson && !HoldsALine(path))
        {
            DeleteFile(path);
            return FileBatchResult.Fail(NoLines);
        }
        if (format == FileFormat.Csv)
        {
            // A file no mapping can ever fit is refused now, so no batch waits for a mapping that cannot come.
            CsvFiles.Preview preview;
            await using (var stream = File.OpenRead(path))
            {
                preview = CsvFiles.ReadPreview(stream, 0);
            }
            var headers = preview.Headers;
            IReadOnlyList<string> problems = preview.HeaderNotUtf8
                ? ["The header row holds bytes that are not UTF-8 text (shown as �), so its column names would be stored altered; save the file as UTF-8 and upload it again."]
                : HeaderProblems(headers);
            if (problems.Count == 0 && !preview.HasRows)
            {
                // Refused rather than "completed" with nothing in it: an export that lost its rows should fail loudly, in the studio and the API alike.
                problems = [HeaderOnly];
            }
            if (problems.Count == 0 && mapping is not null)
            {
                problems = mapping.Problems(headers);
            }
            if (problems.Count > 0)
            {
                DeleteFile(path);
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
            SizeBytes = size.Value,
            MappingJson = mapping is null ? null : JsonSerializer.Serialize(mapping, MappingJson),
            UploadedBy = uploadedBy.Name,
            UploadedAt = time.GetUtcNow().UtcDateTime,
        };
        db.FileBatches.Add(batch);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch
        {
            DeleteFile(path);
            throw;
        }
        await audit.RecordAsync(uploadedBy, AuditActions.FileUploaded, Target(batch),
            $"{source.Name}: {SizeText(batch.SizeBytes)}, {(ready ? "queued" : "waiting for its column mapping")}", CancellationToken.None);
        if (ready)
        {
            queue.Enqueue(batch.Id);
        }
        return new FileBatchResult(true, batch);
    }

    public static string SizeText(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:N1} KB",
        < 1024L * 1024 * 1024 => $"{bytes / 1024.0 / 1024:N1} MB",
        _ => $"{bytes / 1024.0 / 1024 / 1024:N2} GB",
    };

    /// <summary>How the audit log names a batch.</summary>
    private static string Target(FileBatch batch) => $"file #{batch.Id} {batch.FileName}";

    private const string UploadsFolderName = "uploads";

    private string UploadsFolder => Path.Combine(options.Value.DataDirectoryFullPath, UploadsFolderName);

    /// <summary>
    /// The upload as it came, or as UTF-8 when a byte-order mark says UTF-16 or UTF-32 (the reader restarts after a broken
    /// row at a byte position counted in UTF-8, which lost the rest of a UTF-16 file); null when it passes <see cref="MaxFileBytes"/>.
    /// </summary>
    private static async Task<long?> StoreAsync(Stream content, string path, CancellationToken ct)
    {
        (content, var otherUnicode) = await PeekEncodingAsync(content, ct);
        await using var file = new FileStream(path, PrivateFiles.NewFile());
        if (otherUnicode)
        {
            using var reader = new StreamReader(content, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
            await using var writer = new StreamWriter(file, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            var chars = new char[1 << 15];
            int count;
            while ((count = await reader.ReadAsync(chars.AsMemory(), ct)) > 0)
            {
                await writer.WriteAsync(chars.AsMemory(0, count), ct);
                if (file.Length > MaxFileBytes)
                {
                    return null;
                }
            }
            await writer.FlushAsync(ct);
            file.Flush(flushToDisk: true);
            return file.Length;
        }
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await content.ReadAsync(buffer, ct)) > 0)
        {
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
            if (file.Length > MaxFileBytes)
            {
                return null;
            }
        }
        file.Flush(flushToDisk: true); // the upload is acknowledged only once it is on disk
        return file.Length;
    }

    /// <summary>
    /// An NDJSON upload line by line with any write key removed (<see cref="WriteKeyRedaction"/>), so the
    /// stored file holds no secret, not even in a line that will not parse. Lines are split on the raw bytes as the
    /// processor splits them, so line numbers (and the message ids made from them) stay the same, and a line holding
    /// bytes that are not UTF-8 is stored as uploaded, for the import to reject it with that reason (a text reader
    /// had stored it altered, as U+FFFD, and the import accepted it). A file in UTF-16 or UTF-32 (a byte-order mark
    /// says so) is stored as UTF-8.
    /// </summary>
    private static async Task<long?> StoreNdjsonAsync(Stream content, string path, CancellationToken ct)
    {
        var (source, otherUnicode) = await PeekEncodingAsync(content, ct);
        await using var file = new FileStream(path, PrivateFiles.NewFile());
        long size = 0;
        if (otherUnicode)
        {
            await using var writer = new StreamWriter(file, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            using var reader = new StreamReader(source, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                var redacted = WriteKeyRedaction.Redact(line);
                size += System.Text.Encoding.UTF8.GetByteCount(redacted) + 1;
                if (size > MaxFileBytes)
                {
                    return null;
                }
                await writer.WriteAsync(redacted.AsMemory(), ct);
                await writer.WriteAsync("\n".AsMemory(), ct);
            }
        }
        else
        {
            var newline = "\n"u8.ToArray();
            await foreach (var line in Utf8Lines.ReadAsync(source, ct))
            {
                var text = System.Text.Encoding.UTF8.GetString(line.Span); // bytes that are not UTF-8 become U+FFFD here only
                var redacted = WriteKeyRedaction.Redact(text);
                ReadOnlyMemory<byte> stored = ReferenceEquals(redacted, text)
                    ? line // as uploaded, invalid bytes included
                    : System.Text.Unicode.Utf8.IsValid(line.Span)
                        ? System.Text.Encoding.UTF8.GetBytes(redacted)
                        // A key was in a line that is not UTF-8: stored redacted, and still not UTF-8, so the import rejects it as before.
                        : System.Text.Encoding.UTF8.GetBytes(redacted).Append((byte)0xFF).ToArray();
                size += stored.Length + 1;
                if (size > MaxFileBytes)
                {
                    return null;
                }
                await file.WriteAsync(stored, ct);
                await file.WriteAsync(newline, ct);
            }
        }
        file.Flush(flushToDisk: true);
        return file.Length;
    }

    /// <summary>
    /// Reads an upload's first bytes to see whether a byte-order mark says UTF-16 or UTF-32; returns a stream that gives those
    /// bytes again before the rest (an upload cannot be seeked).
    /// </summary>
    private static async Task<(Stream Content, bool OtherUnicode)> PeekEncodingAsync(Stream content, CancellationToken ct)
    {
        var head = new byte[4];
        var length = 0;
        int got;
        while (length < head.Length && (got = await content.ReadAsync(head.AsMemory(length), ct)) > 0)
        {
            length += got;
        }
        return (new PrefixedStream(head.AsMemory(0, length), content), OtherUnicodeEncoding(head.AsSpan(0, length)) is not null);
    }

    /// <summary>The UTF-16 or UTF-32 encoding a byte-order mark names, or null (UTF-8, with or without its mark).</summary>
    private static System.Text.Encoding? OtherUnicodeEncoding(ReadOnlySpan<byte> head) => head switch
    {
        [0xFF, 0xFE, 0x00, 0x00, ..] => System.Text.Encoding.UTF32,
        [0x00, 0x00, 0xFE, 0xFF, ..] => new System.Text.UTF32Encoding(bigEndian: true, byteOrderMark: true),
        [0xFF, 0xFE, ..] => System.Text.Encoding.Unicode,
        [0xFE, 0xFF, ..] => System.Text.Encoding.BigEndianUnicode,
        _ => null,
    };

    /// <summary>A stream that gives some bytes already read, then the rest of another stream.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty)
            {
                return rest.Read(buffer);
            }
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_prefix.IsEmpty)
            {
                return await rest.ReadAsync(buffer, cancellationToken);
            }
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer.Span);
            _prefix = _prefix[n..];
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Why a stored upload is an archive rather than text (its first bytes say so), or null.</summary>
    private static string? CompressedProblem(string path)
    {
        Span<byte> start = stackalloc byte[4];
        int read;
        using (var file = File.OpenRead(path))
        {
            read = file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        }
        return start[..read] switch
        {
            [0x1F, 0x8B, ..] => "The file is compressed (gzip); upload it uncompressed.",
            [0x50, 0x4B, 0x03, 0x04] => "The file is a ZIP archive; upload the file inside it.",
            _ => null,
        };
    }

    /// <summary>Why a CSV with a header and no row under it is refused.</summary>
    public const string HeaderOnly = "The file has a header but no rows: there is nothing to import. Add the rows under the header and upload it again.";

    /// <summary>Why an NDJSON file without a line to read is refused.</summary>
    public const string NoLines = "The file holds no messages (it is empty, or only blank lines): there is nothing to import. An NDJSON file holds one message, a JSON object, per line.";

    /// <summary>Whether a stored NDJSON file has a line the import would read (not blank as <see cref="FileBatchProcessor.ReadNdjson"/> skips them); stops at the first.</summary>
    private static bool HoldsALine(string path)
    {
        using var file = File.OpenRead(path);
        var first = true;
        foreach (var line in Utf8Lines.Read(file))
        {
            var span = line.Span;
            if (first && span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                span = span[3..];
            }
            first = false;
            if (!System.Text.Unicode.Utf8.IsValid(span) || !string.IsNullOrWhiteSpace(System.Text.Encoding.UTF8.GetString(span)))
            {
                return true; // a line that is not UTF-8 is read too (and rejected with that reason)
            }
        }
        return false;
    }

    private static List<string> HeaderProblems(IReadOnlyList<string> headers)
    {
        if (headers.Count <= 1 && headers.All(string.IsNullOrWhiteSpace))
        {
            return ["The file is empty: a CSV needs a header row naming its columns."];
        }
        if (headers.All(string.IsNullOrWhiteSpace))
        {
            return ["The header row names no columns (it holds only separators or spaces): a CSV needs a header row naming its columns."];
        }
        return headers.GroupBy(h => h.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1)
            .Select(g => $"The column name \"{g.Key}\" appears {g.Count()} times; give every column its own name.")
            .ToList();
    }

    /// <summary>
    /// Removes the stored upload of a batch that is done with it (processed, failed, refused): the lake holds
    /// its rows, the rejected-rows report reads them there, and a file left behind would keep personal data
    /// that a privacy erase cannot reach.
    /// </summary>
    public void DeleteUpload(FileBatch batch) => DeleteFile(PathOf(batch));

    /// <summary>
    /// Cancels a batch still waiting for its mapping: the batch and its uploaded file are gone, and the audit
    /// log says who did it. False when the batch is not waiting (any more): a queued or running import is
    /// not cut off half-way, and a finished one is in the lake.
    /// </summary>
    public async Task<bool> DiscardAsync(AuditActor actor, long batchId, string reason = "cancelled before its mapping", CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.FileBatches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == batchId && b.Status == FileBatchStatus.AwaitingMapping, ct) is not { } batch)
        {
            return false;
        }
        // Only a batch still waiting is removed: a start that won the race keeps its batch and its file.
        if (await db.FileBatches.Where(b => b.Id == batchId && b.Status == FileBatchStatus.AwaitingMapping).ExecuteDeleteAsync(ct) == 0)
        {
            return false;
        }
        DeleteUpload(batch);
        await audit.RecordAsync(actor, AuditActions.FileCancelled, Target(batch), reason, CancellationToken.None);
        notifications.Publish(batchId);
        return true;
    }

    /// <summary>
    /// At start-up: removes upload files no batch still needs: those of finished batches (from versions that
    /// kept them, or a crash between the batch's end and the deletion) and those without a batch (an upload
    /// cut off by a crash). Files written since <paramref name="startedAt"/> may be uploads in progress.
    /// </summary>
    public async Task<int> DeleteStaleUploadsAsync(DateTime startedAt, CancellationToken ct = default)
    {
        if (!Directory.Exists(UploadsFolder))
        {
            return 0;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var needed = (await db.FileBatches.AsNoTracking()
                .Where(b => b.Status == FileBatchStatus.AwaitingMapping || b.Status == FileBatchStatus.Queued || b.Status == FileBatchStatus.Processing)
                .Select(b => b.StoredPath).ToListAsync(ct))
            .Select(p => Path.GetFullPath(Path.Combine(options.Value.DataDirectoryFullPath, p)))
            .ToHashSet(StringComparer.Ordinal);
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(UploadsFolder))
        {
            if (!needed.Contains(Path.GetFullPath(file)) && File.GetLastWriteTimeUtc(file) < startedAt)
            {
                DeleteFile(file);
                deleted++;
            }
        }
        return deleted;
    }

    private static void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
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
    public async Task<FileBatchResult> StartAsync(AuditActor actor, long batchId, FileMapping mapping, CancellationToken ct = default)
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
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return FileBatchResult.Fail("The file was cancelled meanwhile."); // the batch row is gone
        }
        await audit.RecordAsync(actor, AuditActions.FileImportStarted, Target(batch), DescribeMapping(mapping), CancellationToken.None);
        queue.Enqueue(batch.Id);
        return new FileBatchResult(true, batch);
    }

    public async Task<FileBatch?> GetAsync(long batchId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.FileBatches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == batchId, ct);
    }

    /// <summary>The file names of these batches, for lists of rows that name the file each came from.</summary>
    public async Task<IReadOnlyDictionary<long, string>> FileNamesAsync(IEnumerable<long> batchIds, CancellationToken ct = default)
    {
        var ids = batchIds.Distinct().ToList();
        if (ids.Count == 0)
        {
            return new Dictionary<long, string>();
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.FileBatches.AsNoTracking().Where(b => ids.Contains(b.Id)).ToDictionaryAsync(b => b.Id, b => b.FileName, ct);
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
    public async Task<SavedFileMapping> SaveMappingAsync(AuditActor actor, int sourceId, string name, FileMapping mapping, CancellationToken ct = default)
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
        var source = await db.Sources.AsNoTracking().Where(s => s.Id == sourceId).Select(s => s.Name).FirstOrDefaultAsync(ct);
        await audit.RecordAsync(actor, AuditActions.FileMappingSaved,
            source is null ? $"mapping \"{saved.Name}\" of source #{sourceId}" : $"mapping \"{saved.Name}\" of {source}", DescribeMapping(mapping), CancellationToken.None);
        return saved;
    }

    /// <summary>The mapping in a line of the audit log: where each used column goes.</summary>
    private static string DescribeMapping(FileMapping mapping) => string.Join(", ", mapping.Columns
        .Where(c => c.Target != ColumnTarget.Ignore)
        .Select(c => c.Target switch
        {
            ColumnTarget.Identity => $"{c.Column} → identity {c.Name}",
            ColumnTarget.EventName => $"{c.Column} → event name",
            ColumnTarget.EventTimestamp => $"{c.Column} → event time",
            _ => $"{c.Column} → {c.Name} ({c.Type.ToString().ToLowerInvariant()})",
        }));

    public static FileMapping ReadMapping(string json) =>
        JsonSerializer.Deserialize<FileMapping>(json, MappingJson) ?? throw new InvalidOperationException("Empty mapping.");

    public string PathOf(FileBatch batch) => Path.Combine(options.Value.DataDirectoryFullPath, batch.StoredPath);
}
