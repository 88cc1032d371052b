using CsvHelper;

namespace ProfileStudio.Core.Ingestion.Files;

public enum CsvRecordKind
{
    /// <summary>The header row: <see cref="CsvRecord.Fields"/> are the column names.</summary>
    Header,

    /// <summary>A row that was read: <see cref="CsvRecord.Fields"/> are its values, one per column.</summary>
    Row,

    /// <summary>A row that cannot be read (<see cref="CsvRecord.Problem"/> says why); the rows after it are read on.</summary>
    Unreadable,
}

/// <summary>
/// One record of a CSV file, as <see cref="CsvRecords.Read"/> gives it. <paramref name="Line"/>: the physical line it starts on.
/// <paramref name="Raw"/>: the record as read, line ends included (a row), or the text kept for it (an unreadable row: its first
/// line alone when a quote left open made it span lines). <paramref name="Fields"/>: the header's names, or a row's values, one per
/// column (null where the row has fewer); a row's array is reused by the next row, so copy it to keep it.
/// <paramref name="HeaderNotUtf8"/>: the header row holds bytes that are not UTF-8 (read as U+FFFD), so its names would be stored altered.
/// </summary>
public readonly record struct CsvRecord(
    CsvRecordKind Kind, int Line, string Raw, string?[] Fields, string? Problem = null, string Delimiter = ",", bool HeaderNotUtf8 = false);

/// <summary>
/// The one way a CSV file is read, by the import and by every step that shows a file before it (the upload's header checks, the
/// mapping step's first values, the suggested mapping's sample): the same parser, settings and recovery, so what the studio
/// shows of a file is what the import will store. A quote that is never closed would make the rest of the file (or everything
/// up to the next quote) one field: a row that spans lines and is broken (a stray quote, the wrong number of fields, or still
/// open at the end) is unreadable as its first line alone, and reading starts again on the line after it (the stream is seeked
/// there; files are seekable).
/// </summary>
public static class CsvRecords
{
    /// <summary>
    /// The header, then every row of the file, lazily. Nothing is yielded for a file without a header row (empty, or blank lines
    /// only); blank lines are skipped but counted, so line numbers are the file's. <paramref name="utf8ByLine"/> false: rows with
    /// bytes that are not UTF-8 are found by the decoder's flag alone, without reading the file once more first (for a caller that
    /// only needs to know whether there are rows).
    /// </summary>
    public static IEnumerable<CsvRecord> Read(Stream stream, bool utf8ByLine = true)
    {
        string[]? headers = null;
        string? delimiter = null;
        var origin = stream.CanSeek ? stream.Position : 0;
        var segmentStart = origin;
        var lineOffset = 0; // physical lines before the current segment
        // A seekable file is checked for bytes that are not UTF-8 line by line, so exactly the rows on those lines are unreadable
        // (the decoder's flag alone cannot tell them from a U+FFFD written on purpose nearby); else the flag is used. Done at the
        // first row, not before the header: reading the header alone (an upload's checks) does not read the whole file.
        var notUtf8Lines = stream.CanSeek && utf8ByLine ? new Lazy<SortedSet<int>?>(() => LinesNotUtf8(stream, origin), LazyThreadSafetyMode.None) : null;
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
                    delimiter = csv.Parser.Delimiter;
                    yield return new CsvRecord(CsvRecordKind.Header, consumed, csv.Parser.RawRecord, headers, null, delimiter,
                        utf8.Seen && headers.Any(h => h.Contains('\uFFFD')));
                }
                var values = new string?[headers.Length];
                while (restartAt is null)
                {
                    CsvRecord record;
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
                            record = Unreadable(firstLine, "the row has a quote that is not closed on its line; quote whole fields and double quotes inside them", start);
                        }
                        else if (bad is not null)
                        {
                            record = Unreadable(raw.TrimEnd('\r', '\n'), bad, start);
                        }
                        else if (notUtf8Lines?.Value is { } notUtf8 ? notUtf8.GetViewBetween(start, lineOffset + line).Count > 0 : utf8.Seen && raw.Contains('\uFFFD'))
                        {
                            record = Unreadable(raw.TrimEnd('\r', '\n'), $"the row {InvalidUtf8Watch.Problem}", start);
                        }
                        else if (count != headers.Length)
                        {
                            record = Unreadable(raw.TrimEnd('\r', '\n'), $"the row has {count} field{(count == 1 ? "" : "s")}; the header has {headers.Length}", start);
                        }
                        else
                        {
                            record = new CsvRecord(CsvRecordKind.Row, start, raw, values, null, delimiter!);
                        }
                    }
                    catch (CsvHelperException ex)
                    {
                        consumed = start - lineOffset - 1 + LineEnds(csv.Parser.RawRecord);
                        record = Unreadable(csv.Parser.RawRecord.TrimEnd('\r', '\n'), ex.Message.Split('\n')[0], start);
                    }
                    catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or InvalidOperationException)
                    {
                        // A value the checks did not foresee: this row is unreadable with the reason, the file goes on.
                        record = Unreadable(csv.Parser.RawRecord.TrimEnd('\r', '\n'), $"the row could not be converted: {ex.Message}", start);
                    }
                    yield return record;
                }
            }
            if (restartAt is not { } position)
            {
                yield break;
            }
            stream.Position = segmentStart = position;
        }

        CsvRecord Unreadable(string text, string problem, int start) => new(CsvRecordKind.Unreadable, start, text, [], problem, delimiter!);
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
    /// The physical lines (1-based, counted as the CSV reader counts them: <c>\n</c>, <c>\r\n</c> or a lone <c>\r</c>) from
    /// <paramref name="from"/> that hold bytes that are not UTF-8; the stream's position is restored. The file is read once more, a
    /// line at a time with vectorized searches (a small cost beside parsing it). Null for UTF-16/32 (a byte-order mark).
    /// </summary>
    internal static SortedSet<int>? LinesNotUtf8(Stream stream, long from)
    {
        var at = stream.Position;
        try
        {
            stream.Position = from;
            Span<byte> head = stackalloc byte[2];
            if (stream.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && (head.SequenceEqual((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.SequenceEqual((ReadOnlySpan<byte>)[0xFE, 0xFF])))
            {
                return null;
            }
            stream.Position = from;
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
}
