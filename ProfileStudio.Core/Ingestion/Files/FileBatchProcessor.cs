using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>
/// Streams queued files row by row into the lake through the <see cref="LakeWriter"/> (whose
/// back-pressure keeps memory flat whatever the file size), and records progress as it goes. A batch
/// interrupted by a crash is processed again from the start at the next start-up; rows carry stable
/// message ids (<c>file-{batch}-{line}</c>), so nothing is stored twice.
/// </summary>
public sealed class FileBatchProcessor(
    IDbContextFactory<ProfileStudioDbContext> dbFactory,
    FileBatches batches,
    FileBatchQueue queue,
    LakeWriter lake,
    FileBatchNotifications notifications,
    TimeProvider time,
    ILogger<FileBatchProcessor> logger) : BackgroundService
{
    private const int ChunkSize = 2000;
    private const int MaxChunksInFlight = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await BackgroundRetry.RunAsync(logger, "Resuming unfinished file batches", ResumeAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        await foreach (var batchId in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await ProcessAsync(batchId, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return; // resumed at the next start
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "File batch {BatchId} failed.", batchId);
                try
                {
                    await UpdateAsync(batchId, b =>
                    {
                        b.Status = FileBatchStatus.Failed;
                        b.Error = ex.Message;
                        b.CompletedAt = time.GetUtcNow().UtcDateTime;
                    }, CancellationToken.None);
                    if (await batches.GetAsync(batchId, CancellationToken.None) is { } failed)
                    {
                        batches.DeleteUpload(failed); // not retried: the rows stored so far are in the lake
                    }
                }
                catch (Exception recordFailed)
                {
                    // The batch stays "processing" and is resumed at the next start; the next batch goes on.
                    logger.LogError(recordFailed, "Could not record the failure of file batch {BatchId}.", batchId);
                }
            }
        }
    }

    /// <summary>Deletes uploads no batch needs and queues the batches a stop interrupted.</summary>
    private async Task ResumeAsync(CancellationToken ct)
    {
        // Files' times are the real clock's, so the injected TimeProvider is not the one to compare with.
        var stale = await batches.DeleteStaleUploadsAsync(DateTime.UtcNow, ct);
        if (stale > 0)
        {
            logger.LogInformation("Deleted {Count} uploaded file(s) that no batch needs any more.", stale);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var unfinished = await db.FileBatches.AsNoTracking()
            .Where(b => b.Status == FileBatchStatus.Queued || b.Status == FileBatchStatus.Processing)
            .OrderBy(b => b.Id).Select(b => b.Id).ToListAsync(ct);
        unfinished.ForEach(queue.Enqueue);
    }

    private async Task ProcessAsync(long batchId, CancellationToken ct)
    {
        var batch = await batches.GetAsync(batchId, ct);
        if (batch is null || batch.Status is not (FileBatchStatus.Queued or FileBatchStatus.Processing))
        {
            return;
        }
        var progress = new Progress();
        await UpdateAsync(batchId, b =>
        {
            b.Status = FileBatchStatus.Processing;
            b.StartedAt = time.GetUtcNow().UtcDateTime;
            b.BytesRead = b.RowsRead = b.RowsAccepted = b.RowsRejected = b.RowsDuplicate = 0;
            b.Error = null;
        }, ct);

        await using var stream = new FileStream(batches.PathOf(batch), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var receivedAt = time.GetUtcNow().UtcDateTime;
        // Reading and converting overlap with the writer's commits: a few chunks are in flight at once
        // (the writer keeps their order), and each completed chunk moves the progress bar.
        var inFlight = new Queue<(Task<LakeWriteResult> Written, int Rows, long Bytes)>();
        var lastProgress = DateTime.MinValue;
        async Task CompleteOldestAsync()
        {
            var (written, rows, bytes) = inFlight.Dequeue();
            var result = await written;
            progress.Accepted += result.Accepted; // this batch's own lines stored before a restart count here (see LakeBatchWriter)
            progress.Duplicates += result.Duplicates;
            progress.Rejected += result.Rejected;
            progress.Read += rows;
            if (DateTime.UtcNow - lastProgress > TimeSpan.FromMilliseconds(250))
            {
                lastProgress = DateTime.UtcNow;
                await UpdateAsync(batchId, b =>
                {
                    b.BytesRead = bytes;
                    b.RowsRead = progress.Read;
                    b.RowsAccepted = progress.Accepted;
                    b.RowsRejected = progress.Rejected;
                    b.RowsDuplicate = progress.Duplicates;
                }, ct);
            }
        }
        async Task SendAsync(List<IncomingMessage> chunk)
        {
            Task<LakeWriteResult> written;
            if (chunk.Count > lake.Capacity)
            {
                written = Task.FromResult(await lake.WriteAsync(batch.SourceId, chunk, batchId, ct)); // a tiny queue: written in pieces
            }
            else
            {
                while (true)
                {
                    var freed = lake.RoomFreed; // taken before trying, so room freed in between is not missed
                    if (lake.TryWrite(batch.SourceId, chunk, batchId, out written))
                    {
                        break;
                    }
                    await freed.WaitAsync(ct); // the writer's queue is full: wait for room
                }
            }
            inFlight.Enqueue((written, chunk.Count, stream.Position));
            while (inFlight.Count > MaxChunksInFlight)
            {
                await CompleteOldestAsync();
            }
        }

        var chunk = new List<IncomingMessage>(ChunkSize);
        foreach (var message in batch.Format == FileFormat.Csv
                     ? ReadCsv(stream, FileBatches.ReadMapping(batch.MappingJson!), batchId, receivedAt)
                     : ReadNdjson(stream, batchId, receivedAt))
        {
            chunk.Add(message);
            if (chunk.Count == ChunkSize)
            {
                await SendAsync(chunk);
                chunk = new List<IncomingMessage>(ChunkSize);
            }
        }
        if (chunk.Count > 0)
        {
            await SendAsync(chunk);
        }
        while (inFlight.Count > 0)
        {
            await CompleteOldestAsync();
        }
        await UpdateAsync(batchId, b =>
        {
            b.Status = FileBatchStatus.Completed;
            b.BytesRead = b.SizeBytes;
            b.RowsRead = progress.Read;
            b.RowsAccepted = progress.Accepted;
            b.RowsRejected = progress.Rejected;
            b.RowsDuplicate = progress.Duplicates;
            b.CompletedAt = time.GetUtcNow().UtcDateTime;
        }, ct);
        await stream.DisposeAsync();
        batches.DeleteUpload(batch); // the lake holds the rows now; the file would only outlive an erase
        logger.LogInformation("File batch {BatchId} ({File}): {Read} rows, {Accepted} accepted, {Rejected} rejected, {Duplicates} already in the lake.",
            batchId, batch.FileName, progress.Read, progress.Accepted, progress.Rejected, progress.Duplicates);
    }

    /// <summary>
    /// The rows of a CSV file as lake messages, each with the line it starts on, read by <see cref="CsvRecords"/> (as every step
    /// that shows the file before the import reads it). A row that cannot be read is rejected with its reason and the file goes on.
    /// </summary>
    public static IEnumerable<IncomingMessage> ReadCsv(Stream stream, FileMapping mapping, long batchId, DateTime receivedAt)
    {
        RowPlan? plan = null;
        foreach (var record in CsvRecords.Read(stream))
        {
            IncomingMessage message;
            switch (record.Kind)
            {
                case CsvRecordKind.Header:
                    plan = new RowPlan(record.Fields!, mapping);
                    continue;
                case CsvRecordKind.Unreadable:
                    message = FileRowConverter.Unreadable(record.Raw, record.Problem!, batchId, record.Line, receivedAt);
                    break;
                default:
                    try
                    {
                        message = plan!.Convert(record.Fields, batchId, record.Line, receivedAt);
                        if (!message.IsValid)
                        {
                            message = FileRowConverter.KeepLine(message, record.Raw.TrimEnd('\r', '\n'));
                        }
                    }
                    catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or InvalidOperationException)
                    {
                        // A value the checks did not foresee: this row is rejected with the reason, the file goes on.
                        message = FileRowConverter.Unreadable(record.Raw.TrimEnd('\r', '\n'), $"the row could not be converted: {ex.Message}", batchId, record.Line, receivedAt);
                    }
                    break;
            }
            yield return message;
        }
    }

    /// <summary>
    /// The lines of an NDJSON file as lake messages, each with its line number. Lines are split on the raw bytes, so a
    /// line holding bytes that are not UTF-8 is rejected with that reason (a text reader would store them altered, as U+FFFD).
    /// </summary>
    public static IEnumerable<IncomingMessage> ReadNdjson(Stream stream, long batchId, DateTime receivedAt)
    {
        var line = 0;
        foreach (var bytes in Utf8Lines.Read(stream))
        {
            line++;
            var span = bytes.Span;
            if (line == 1 && span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                span = span[3..];
            }
            if (span.EndsWith((ReadOnlySpan<byte>)[(byte)'\r']))
            {
                span = span[..^1];
            }
            if (!System.Text.Unicode.Utf8.IsValid(span))
            {
                yield return FileRowConverter.Unreadable(TrackingMessageParser.RedactWriteKeys(Encoding.UTF8.GetString(span)),
                    $"the line {InvalidUtf8Watch.Problem}", batchId, line, receivedAt);
                continue;
            }
            var text = Encoding.UTF8.GetString(span);
            if (!string.IsNullOrWhiteSpace(text))
            {
                yield return ReadNdjsonLine(text, batchId, line, receivedAt);
            }
        }
    }

    /// <summary>One NDJSON line as a lake message: read like a Tracking API message, or rejected with its line number and reason.</summary>
    public static IncomingMessage ReadNdjsonLine(string text, long batchId, int line, DateTime receivedAt)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, LineOptions);
        }
        catch (JsonException ex)
        {
            return FileRowConverter.Unreadable(text, $"not valid JSON: {TrackingMessageParser.JsonProblem(ex, lines: false)}", batchId, line, receivedAt);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return FileRowConverter.Unreadable(text, "each line must be one JSON object (a tracking message)", batchId, line, receivedAt);
            }
            if (MessageShape.UnreadableJson(document.RootElement) is { } unreadable)
            {
                return FileRowConverter.Unreadable(TrackingMessageParser.RedactWriteKeys(text), $"the message cannot be read: {unreadable}", batchId, line, receivedAt);
            }
            try
            {
                var message = JsonObject.Create(document.RootElement)!;
                var hadWriteKey = WriteKeyRedaction.MayHold(document.RootElement) && WriteKeyRedaction.RemoveFrom(message); // before anything is stored, rejected lines too
                var type = (message["type"] as JsonValue)?.TryGetValue(out string? t) == true ? t.ToLowerInvariant() : null;
                if (type is null || !TrackingMessageParser.MessageTypes.Contains(type))
                {
                    return FileRowConverter.Unreadable(hadWriteKey ? message.ToJsonString(StoredJson.Options) : text,
                        $"\"type\" must be one of {string.Join(", ", TrackingMessageParser.MessageTypes)}", batchId, line, receivedAt);
                }
                if (message["messageId"] is null || message["messageId"] is JsonValue blank && blank.GetValueKind() == System.Text.Json.JsonValueKind.String && string.IsNullOrWhiteSpace((string?)blank))
                {
                    message["messageId"] = $"file-{batchId}-{line}"; // a blank id is no id: a shared one would dedupe other lines away
                }
                var read = TrackingMessageParser.Read(message, type, null, receivedAt, line);
                // A rejected line is kept as it was uploaded, for the rejected-rows report to give back.
                return read.IsValid ? read : read with { Payload = new JsonObject { ["row"] = FileRowConverter.Kept(hadWriteKey ? TrackingMessageParser.RedactWriteKeys(text) : text) }.ToJsonString() };
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or InvalidOperationException)
            {
                // A value the checks did not foresee: this line is rejected with the reason, the file goes on.
                return FileRowConverter.Unreadable(TrackingMessageParser.RedactWriteKeys(text), $"the message could not be read: {ex.Message}", batchId, line, receivedAt);
            }
        }
    }

    /// <summary>Deeper than a message may nest, so a too-deep line is rejected with that reason rather than as "not JSON".</summary>
    private static readonly JsonDocumentOptions LineOptions = new() { MaxDepth = 256 };

    private async Task UpdateAsync(long batchId, Action<FileBatch> change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.FileBatches.FindAsync([batchId], ct) is { } batch)
        {
            change(batch);
            await db.SaveChangesAsync(ct);
        }
        notifications.Publish(batchId);
    }

    private sealed class Progress
    {
        public long Read;
        public long Accepted;
        public long Rejected;
        public long Duplicates;
    }
}
