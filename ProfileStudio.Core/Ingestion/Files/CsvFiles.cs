using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>CsvHelper set up for exports as people have them: `,` `;` tab or `|`, quoted fields with newlines, a BOM or none.</summary>
public static class CsvFiles
{
    /// <param name="delimiter">Known from an earlier read of the same file (reading on after a broken row): not detected again.</param>
    /// <param name="keepBlankLines">Blank lines read as records (one empty field), for a reader that counts physical lines; skipped otherwise.</param>
    /// <returns>The reader; what it found wrong in the last row's quoting, taken once; whether it met bytes that are not UTF-8.</returns>
    public static (CsvReader Reader, Func<string?> TakeBadData, InvalidUtf8Watch Utf8) Open(Stream stream, string? delimiter = null, bool keepBlankLines = false)
    {
        var utf8 = new InvalidUtf8Watch();
        string? badData = null;
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = delimiter is null,
            Delimiter = delimiter ?? ",",
            Encoding = utf8.Encoding,
            DetectDelimiterValues = [",", ";", "\t", "|"],
            MissingFieldFound = null,
            HeaderValidated = null,
            BadDataFound = args => badData ??= $"the row has a stray quote near \"{Shorten(args.Field)}\"; quote whole fields and double quotes inside them",
            IgnoreBlankLines = !keepBlankLines,
        };
        var reader = new StreamReader(stream, utf8.Encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024, leaveOpen: true);
        var csv = new CsvReader(reader, config);
        return (csv, () =>
        {
            var taken = badData;
            badData = null;
            return taken;
        }, utf8);
    }

    /// <param name="HeaderNotUtf8">The header row holds bytes that are not UTF-8 (read as U+FFFD): its names would be stored altered.</param>
    /// <param name="HasRows">A row follows the header (readable or not; blank lines are no rows): false for a header-only file.</param>
    public sealed record Preview(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string?>> Rows, string Delimiter, bool HeaderNotUtf8 = false, bool HasRows = false);

    /// <summary>
    /// The header and the values of the first rows, read as the import reads them (<see cref="CsvRecords"/>): a row the import
    /// rejects as unreadable counts among <paramref name="rows"/> but gives no values, so a quote left open on one row does not
    /// turn the rest of the file into one value of it. Whether any row follows the header is read too (<see cref="Preview.HasRows"/>).
    /// </summary>
    public static Preview ReadPreview(Stream stream, int rows)
    {
        CsvRecord? header = null;
        var sample = new List<IReadOnlyList<string?>>();
        var read = 0;
        // With no rows asked for, only whether there is one: its values are not used, so the file is not read a second time for them.
        foreach (var record in CsvRecords.Read(stream, utf8ByLine: rows > 0))
        {
            if (record.Kind == CsvRecordKind.Header)
            {
                header = record;
                continue;
            }
            if (read++ < rows && record.Kind == CsvRecordKind.Row)
            {
                sample.Add([.. record.Fields]); // a copy: the reader reuses the array for the next row
            }
            if (read >= Math.Max(rows, 1))
            {
                break;
            }
        }
        return header is { } h ? new Preview([.. h.Fields!], sample, h.Delimiter, h.HeaderNotUtf8, HasRows: read > 0) : new Preview([], [], ",");
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
