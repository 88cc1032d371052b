using System.Globalization;
using System.Text.Json.Nodes;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>
/// Turns one CSV row into a lake message under a <see cref="FileMapping"/>: a profile record becomes an
/// <c>identify</c> (identities as <c>userId</c>/<c>anonymousId</c>/<c>context.externalIds</c>, attributes as
/// traits), an event row a <c>track</c>. A row that cannot be converted becomes a rejected message that
/// carries the row as it was and the reason, with its line number.
/// </summary>
public static class FileRowConverter
{
    public static IncomingMessage Convert(
        IReadOnlyList<string> headers, IReadOnlyList<string?> values, FileMapping mapping, long batchId, int line, DateTime receivedAt)
    {
        var message = new JsonObject
        {
            ["type"] = mapping.Kind == FileKind.Events ? "track" : "identify",
            ["messageId"] = $"file-{batchId}-{line}",
        };
        var body = new JsonObject();
        var externalIds = new JsonArray();
        var identities = 0;
        DateTime? timestamp = null;
        string? eventName = mapping.EventName;

        for (var i = 0; i < headers.Count; i++)
        {
            var column = mapping.Columns.FirstOrDefault(c => c.Column == headers[i]);
            var raw = i < values.Count ? values[i] : null;
            if (column is null || column.Target == ColumnTarget.Ignore || string.IsNullOrEmpty(raw?.Trim()))
            {
                continue; // an empty cell means "no value here": the stored value stays
            }
            var value = raw!.Trim();
            switch (column.Target)
            {
                case ColumnTarget.Identity:
                    identities++;
                    switch (column.Name)
                    {
                        case "user_id":
                            message["userId"] = value;
                            break;
                        case "anonymous_id":
                            message["anonymousId"] = value;
                            break;
                        default:
                            externalIds.Add(new JsonObject { ["id"] = value, ["type"] = column.Name, ["collection"] = "users", ["encoding"] = "none" });
                            break;
                    }
                    break;
                case ColumnTarget.EventName:
                    eventName = value;
                    break;
                case ColumnTarget.EventTimestamp:
                    if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                    {
                        return Rejected(headers, values, mapping, batchId, line, receivedAt,
                            $"Line {line}: \"{value}\" in column \"{column.Column}\" is not a date and time (use ISO-8601, e.g. 2026-11-23T14:05:00Z).");
                    }
                    timestamp = at.UtcDateTime;
                    break;
                case ColumnTarget.Attribute or ColumnTarget.EventProperty:
                    if (string.Equals(value, mapping.NullToken, StringComparison.OrdinalIgnoreCase))
                    {
                        SetPath(body, column.Name!, null); // explicit null: remove the attribute
                        break;
                    }
                    if (!TryTyped(value, column.Type, out var typed))
                    {
                        return Rejected(headers, values, mapping, batchId, line, receivedAt,
                            $"Line {line}: \"{value}\" in column \"{column.Column}\" is not {Describe(column.Type)}.");
                    }
                    SetPath(body, column.Name!, typed);
                    break;
            }
        }

        if (identities == 0)
        {
            return Rejected(headers, values, mapping, batchId, line, receivedAt,
                $"Line {line} has no identifier: fill at least one identity column ({string.Join(", ", mapping.Columns.Where(c => c.Target == ColumnTarget.Identity).Select(c => c.Column))}).");
        }
        if (mapping.Kind == FileKind.Events && string.IsNullOrWhiteSpace(eventName))
        {
            return Rejected(headers, values, mapping, batchId, line, receivedAt, $"Line {line} has no event name.");
        }

        if (mapping.Kind == FileKind.Events)
        {
            message["event"] = eventName;
            message["properties"] = body;
        }
        else
        {
            message["traits"] = body;
        }
        if (externalIds.Count > 0)
        {
            message["context"] = new JsonObject { ["externalIds"] = externalIds };
        }
        var eventAt = timestamp ?? receivedAt;
        message["timestamp"] = eventAt.ToString("O", CultureInfo.InvariantCulture);
        message["receivedAt"] = receivedAt.ToString("O", CultureInfo.InvariantCulture);
        return new IncomingMessage((string)message["type"]!, (string)message["messageId"]!, eventAt, message.ToJsonString(), null, line);
    }

    /// <summary>A row the CSV reader itself could not read (bad quoting, …).</summary>
    public static IncomingMessage Unreadable(string rawRow, string reason, long batchId, int line, DateTime receivedAt) =>
        new("unknown", null, receivedAt, new JsonObject { ["row"] = rawRow }.ToJsonString(), $"Line {line}: {reason}", line);

    private static IncomingMessage Rejected(
        IReadOnlyList<string> headers, IReadOnlyList<string?> values, FileMapping mapping, long batchId, int line, DateTime receivedAt, string reason)
    {
        var row = new JsonObject();
        for (var i = 0; i < headers.Count; i++)
        {
            row[headers[i]] = i < values.Count ? values[i] : null;
        }
        var type = mapping.Kind == FileKind.Events ? "track" : "identify";
        return new IncomingMessage(type, null, receivedAt, new JsonObject { ["row"] = row }.ToJsonString(), reason, line);
    }

    private static bool TryTyped(string value, AttributeType type, out JsonNode? typed)
    {
        typed = null;
        switch (type)
        {
            case AttributeType.Number when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number):
                typed = JsonValue.Create(number);
                return true;
            case AttributeType.Boolean when ParseBoolean(value) is { } flag:
                typed = JsonValue.Create(flag);
                return true;
            case AttributeType.Date when DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date):
                typed = JsonValue.Create(date.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                return true;
            case AttributeType.Text:
                typed = JsonValue.Create(value);
                return true;
            default:
                return false;
        }
    }

    private static bool? ParseBoolean(string value) => value.ToLowerInvariant() switch
    {
        "true" or "yes" or "y" or "1" => true,
        "false" or "no" or "n" or "0" => false,
        _ => null,
    };

    private static string Describe(AttributeType type) => type switch
    {
        AttributeType.Number => "a number (use a dot for decimals)",
        AttributeType.Boolean => "true or false (also yes/no, 1/0)",
        AttributeType.Date => "a date (use ISO-8601, e.g. 2026-11-23)",
        _ => "text",
    };

    /// <summary>Sets <paramref name="path"/> (dots nest: address.city) in <paramref name="target"/>.</summary>
    private static void SetPath(JsonObject target, string path, JsonNode? value)
    {
        var parts = path.Split('.', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var current = target;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (current[parts[i]] is not JsonObject next)
            {
                next = new JsonObject();
                current[parts[i]] = next;
            }
            current = next;
        }
        current[parts[^1]] = value;
    }
}
