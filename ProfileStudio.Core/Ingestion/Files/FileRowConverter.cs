using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>
/// Turns CSV rows into lake messages under a <see cref="FileMapping"/>: a profile record becomes an
/// <c>identify</c> (identities as <c>userId</c>/<c>anonymousId</c>/<c>context.externalIds</c>, attributes as
/// traits), an event row a <c>track</c>. A row that cannot be converted becomes a rejected message that
/// carries the row as it was and the reason, with its line number. Files use one <see cref="RowPlan"/>
/// for all their rows; this is the one-row entry point.
/// </summary>
public static class FileRowConverter
{
    public static IncomingMessage Convert(
        IReadOnlyList<string> headers, IReadOnlyList<string?> values, FileMapping mapping, long batchId, int line, DateTime receivedAt) =>
        new RowPlan(headers, mapping).Convert(values, batchId, line, receivedAt);

    /// <summary>The most characters of a rejected line the lake keeps for the report (a row is refused past 32 KB; a 15 MB line was kept whole, twice).</summary>
    internal const int MaxKeptChars = 64 * 1024;

    /// <summary>A rejected line as kept: whole up to <see cref="MaxKeptChars"/>, else its start and an ellipsis.</summary>
    internal static string Kept(string text) =>
        text.Length <= MaxKeptChars ? text : text[..(char.IsHighSurrogate(text[MaxKeptChars - 1]) ? MaxKeptChars - 1 : MaxKeptChars)] + "…";

    /// <summary>A row the CSV reader itself could not read (bad quoting, wrong number of fields).</summary>
    public static IncomingMessage Unreadable(string rawRow, string reason, long batchId, int line, DateTime receivedAt) =>
        new("unknown", null, receivedAt, new JsonObject { ["row"] = Kept(rawRow) }.ToJsonString(), $"Line {line}: {reason}", line);

    /// <summary>A readable row that breaks the mapping: kept as it was, column by column, with the reason.</summary>
    internal static IncomingMessage Rejected(
        IReadOnlyList<string> headers, IReadOnlyList<string?> values, FileMapping mapping, int line, DateTime receivedAt, string reason)
    {
        var row = new JsonObject();
        for (var i = 0; i < headers.Count; i++)
        {
            row[headers[i]] = i < values.Count ? values[i] : null;
        }
        var type = mapping.Kind == FileKind.Events ? "track" : "identify";
        return new IncomingMessage(type, null, receivedAt, new JsonObject { ["row"] = row }.ToJsonString(), reason, line);
    }

    /// <summary>Adds the row's line as it was in the file to a rejected row (kept column by column for reading).</summary>
    internal static IncomingMessage KeepLine(IncomingMessage rejected, string rawLine)
    {
        if (rawLine.Length > MaxKeptChars)
        {
            // Too long to keep twice (cells and line): the start of the line alone, which the report gives back.
            return rejected with { Payload = new JsonObject { ["row"] = Kept(rawLine) }.ToJsonString() };
        }
        var payload = JsonNode.Parse(rejected.Payload)!.AsObject();
        payload["line"] = rawLine;
        return rejected with { Payload = payload.ToJsonString() };
    }

    /// <summary>
    /// The line of the file a rejected row was, as it was uploaded (a CSV line, an NDJSON line): what the
    /// rejected-rows report gives back, so the rows can be fixed and sent again. Rows stored before the line
    /// was kept give their cells joined as CSV.
    /// </summary>
    public static string OriginalLine(string payload)
    {
        try
        {
            if (JsonNode.Parse(payload) is JsonObject stored)
            {
                if (stored["row"] is JsonValue row && row.TryGetValue(out string? text))
                {
                    return text;
                }
                if (stored["line"] is JsonValue line && line.TryGetValue(out string? raw))
                {
                    return raw;
                }
                if (stored["row"] is JsonObject cells)
                {
                    return string.Join(",", cells.Select(c => CsvField(c.Value is JsonValue v && v.TryGetValue(out string? cell) ? cell : c.Value?.ToJsonString() ?? "")));
                }
            }
        }
        catch (JsonException)
        {
        }
        return payload;
    }

    private static string CsvField(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
}
