using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
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
    /// The line ends in a record as read (<c>\n</c>, <c>\r\n</c> or a lone <c>\r</c>, as the reader splits lines): the physical
    /// lines it took from the file, its own line end included. Counted here rather than taken from the reader's line count,
    /// which does not count the blank lines it skips (a row after one was reported a line early) and counts one line too many
    /// for a quote left open at the end of the file.
    /// </summary>
    internal static int LineEnds(string raw)
    {
        var ends = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n' || (raw[i] == '\r' && (i + 1 >= raw.Length || raw[i + 1] != '\n')))
            {
                ends++;
            }
        }
        return ends;
    }

    private static bool Blank(string raw) => raw.AsSpan().Trim("\r\n").IsEmpty;

    /// <summary>
    /// The rows of a CSV file as lake messages, each with the line it starts on. A row that cannot be read is
    /// rejected with its reason and the file goes on. A quote that is never closed would make the rest of the
    /// file (or everything up to the next quote) one field: a row that spans lines and is broken (a stray
    /// quote, the wrong number of fields, or still open at the end) is rejected as its first line alone, and
    /// reading starts again on the line after it (the stream is seeked there; files are seekable).
    /// </summary>
    public static IEnumerable<IncomingMessage> ReadCsv(Stream stream, FileMapping mapping, long batchId, DateTime receivedAt)
    {
        string[]? headers = null;
        RowPlan? plan = null;
        string? delimiter = null;
        var segmentStart = stream.CanSeek ? stream.Position : 0;
        var lineOffset = 0; // physical lines before the current segment
        // A seekable file is checked for bytes that are not UTF-8 line by line first, so exactly the rows on those lines are
        // rejected (the decoder's flag alone cannot tell them from a U+FFFD written on purpose nearby); else the flag is used.
        var notUtf8Lines = stream.CanSeek ? LinesNotUtf8(stream) : null;
        while (true)
        {
            long? restartAt = null;
            // Blank lines are read as records (and skipped here) so every physical line is counted.
            var (csv, takeBadData, utf8) = CsvFiles.Open(stream, delimiter, keepBlankLines: true);
            using (csv)
            {
                var consumed = 0; // physical lines of this segment read so far
                if (headers is null)
                {
                    while (true)
                    {
                        if (!csv.Read())
                        {
                            yield break;
                        }
                        consumed += LineEnds(csv.Parser.RawRecord);
                        if (!Blank(csv.Parser.RawRecord))
                        {
                            break;
                        }
                    }
                    if (!csv.ReadHeader())
                    {
                        yield break;
                    }
                    headers = csv.HeaderRecord!;
                    plan = new RowPlan(headers, mapping);
                    delimiter = csv.Parser.Delimiter;
                }
                var values = new string?[headers.Length];
                while (restartAt is null)
                {
                    IncomingMessage? message;
                    var start = lineOffset + consumed + 1; // the line the next record starts on
                    int line; // the last line holding the record's text, within the segment
                    try
                    {
                        if (!csv.Read())
                        {
                            break;
                        }
                        var raw = csv.Parser.RawRecord;
                        var took = LineEnds(raw);
                        consumed += took;
                        if (Blank(raw))
                        {
                            continue;
                        }
                        // The lines it spans: one per line end, and one more for text after the last (the file's last line without a newline).
                        var spans = took + (raw.Length > 0 && raw[^1] is not ('\r' or '\n') ? 1 : 0);
                        line = start - lineOffset + Math.Max(0, spans - 1);
                        var count = csv.Parser.Count;
                        for (var i = 0; i < headers.Length; i++)
                        {
                            values[i] = i < count ? csv.Parser[i] : null; // fields are parsed here, which is when bad data is found
                        }
                        var bad = takeBadData();
                        if (stream.CanSeek && SpansLines(raw, out var firstLineLength)
                            && (bad is not null || count != headers.Length || raw.Count(c => c == '"') % 2 == 1))
                        {
                            // Restart on the next line: the rows after a broken one are read as if it were not there. Its position is
                            // found by counting line ends in the file's bytes (the reader's own byte count is off for characters
                            // outside the BMP: an emoji on the next line cost that row its first two characters).
                            restartAt = PositionAfterLines(stream, segmentStart, start - lineOffset);
                            var firstLine = raw[..firstLineLength].TrimEnd('\r', '\n');
                            lineOffset = start; // the next segment's first line is the one after it
                            message = FileRowConverter.Unreadable(firstLine,
                                "the row has a quote that is not closed on its line; quote whole fields and double quotes inside them", batchId, start, receivedAt);
                        }
                        else if (bad is not null)
                        {
                            message = FileRowConverter.Unreadable(raw.TrimEnd('\r', '\n'), bad, batchId, start, receivedAt);
                        }
                        else if (notUtf8Lines is not null ? notUtf8Lines.GetViewBetween(start, lineOffset + line).Count > 0 : utf8.Seen && raw.Contains('\uFFFD'))
                        {
                            message = FileRowConverter.Unreadable(raw.TrimEnd('\r', '\n'), $"the row {InvalidUtf8Watch.Problem}", batchId, start, receivedAt);
                        }
                        else if (count != headers.Length)
                        {
                            message = FileRowConverter.Unreadable(raw.TrimEnd('\r', '\n'),
                                $"the row has {count} field{(count == 1 ? "" : "s")}; the header has {headers.Length}", batchId, start, receivedAt);
                        }
                        else
                        {
                            message = plan!.Convert(values, batchId, start, receivedAt);
                            if (!message.IsValid)
                            {
                                message = FileRowConverter.KeepLine(message, raw.TrimEnd('\r', '\n'));
                            }
                        }
                    }
                    catch (CsvHelperException ex)
                    {
                        consumed = start - lineOffset - 1 + LineEnds(csv.Parser.RawRecord);
                        message = FileRowConverter.Unreadable(csv.Parser.RawRecord.TrimEnd('\r', '\n'), ex.Message.Split('\n')[0], batchId, start, receivedAt);
                    }
                    catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or InvalidOperationException)
                    {
                        // A value the checks did not foresee: this row is rejected with the reason, the file goes on.
                        message = FileRowConverter.Unreadable(csv.Parser.RawRecord.TrimEnd('\r', '\n'), $"the row could not be converted: {ex.Message}", batchId, start, receivedAt);
                    }
                    yield return message;
                }
            }
            if (restartAt is not { } position)
            {
                yield break;
            }
            stream.Position = segmentStart = position;
        }
    }

    /// <summary>
    /// The physical lines (1-based, counted as the CSV reader counts them: <c>\n</c>, <c>\r\n</c> or a lone <c>\r</c>) from the
    /// stream's position that hold bytes that are not UTF-8; the position is restored. The file is read once more, a line at a
    /// time with vectorized searches (a small cost beside parsing it). Null for UTF-16/32 (a byte-order mark).
    /// </summary>
    internal static SortedSet<int>? LinesNotUtf8(Stream stream)
    {
        var at = stream.Position;
        try
        {
            Span<byte> head = stackalloc byte[2];
            if (stream.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && (head.SequenceEqual((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.SequenceEqual((ReadOnlySpan<byte>)[0xFE, 0xFF])))
            {
                return null;
            }
            stream.Position = at;
            var found = new SortedSet<int>();
            var line = 1;
            foreach (var bytes in Utf8Lines.Read(stream, 1 << 20))
            {
                var span = bytes.Span;
                if (System.Text.Unicode.Utf8.IsValid(span))
                {
                    line += 1 + span[..^(span.EndsWith((ReadOnlySpan<byte>)[(byte)'\r']) ? 1 : 0)].Count((byte)'\r');
                    continue;
                }
                // Lone \r inside the line are line ends too.
                var part = span.EndsWith((ReadOnlySpan<byte>)[(byte)'\r']) ? span[..^1] : span;
                while (true)
                {
                    var cr = part.IndexOf((byte)'\r');
                    var piece = cr < 0 ? part : part[..cr];
                    if (!System.Text.Unicode.Utf8.IsValid(piece))
                    {
                        found.Add(line);
                    }
                    if (cr < 0)
                    {
                        break;
                    }
                    line++;
                    part = part[(cr + 1)..];
                }
                line++;
            }
            return found;
        }
        finally
        {
            stream.Position = at;
        }
    }

    /// <summary>Whether a raw record holds a line break before its end; the length of its first line with its line break.</summary>
    private static bool SpansLines(string raw, out int firstLineLength)
    {
        var body = raw.TrimEnd('\r', '\n');
        var end = body.IndexOfAny(['\r', '\n']);
        if (end < 0)
        {
            firstLineLength = raw.Length;
            return false;
        }
        firstLineLength = end + (body[end] == '\r' && end + 1 < body.Length && body[end + 1] == '\n' ? 2 : 1);
        return true;
    }

    /// <summary>
    /// The position just after the <paramref name="lines"/>-th line end from <paramref name="from"/>, counting line ends as the CSV
    /// reader does (<c>\n</c>, <c>\r\n</c> or a lone <c>\r</c>); the stream is left there.
    /// </summary>
    internal static long PositionAfterLines(Stream stream, long from, int lines)
    {
        stream.Position = from;
        var buffer = new byte[1 << 16];
        var position = from;
        var pendingCr = false; // a \r ended the last block: it is a line end, with the \n after it if there is one
        int read;
        while (lines > 0 && (read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var b = buffer[i];
                if (pendingCr)
                {
                    pendingCr = false;
                    if (--lines == 0)
                    {
                        return stream.Position = position + i + (b == '\n' ? 1 : 0);
                    }
                    if (b == '\n')
                    {
                        continue;
                    }
                }
                if (b == '\n')
                {
                    if (--lines == 0)
                    {
                        return stream.Position = position + i + 1;
                    }
                }
                else if (b == '\r')
                {
                    pendingCr = true;
                }
            }
            position += read;
        }
        return stream.Position = position; // the file ended first (or on a \r)
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
