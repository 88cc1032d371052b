using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>
/// A file's mapping worked out once against its header: which cell is which identity, where each
/// attribute goes in the (possibly nested) traits. Rows are then written straight to UTF-8 JSON,
/// with no per-row object tree, which is what lets a million-row export go through in seconds.
/// </summary>
public sealed class RowPlan
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly IReadOnlyList<string> _headers;
    private readonly FileMapping _mapping;
    private readonly (int Index, string Namespace)[] _identities;
    private readonly int _eventName = -1;
    private readonly int _timestamp = -1;
    private readonly Node _body = new("");
    private readonly ColumnMapping?[] _columns;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    public RowPlan(IReadOnlyList<string> headers, FileMapping mapping)
    {
        _headers = headers;
        _mapping = mapping;
        _columns = headers.Select(h => mapping.Columns.FirstOrDefault(c => c.Column == h)).ToArray();
        var identities = new List<(int, string)>();
        for (var i = 0; i < _columns.Length; i++)
        {
            if (FileMapping.HoldsWriteKeys(headers[i]) || FileMapping.HoldsWriteKeys(_columns[i]?.Name))
            {
                continue; // a saved mapping is checked for this; a secret is never written, whatever reached here
            }
            switch (_columns[i])
            {
                case { Target: ColumnTarget.Identity, Name: { } ns }:
                    identities.Add((i, ns));
                    break;
                case { Target: ColumnTarget.EventName }:
                    _eventName = i;
                    break;
                case { Target: ColumnTarget.EventTimestamp }:
                    _timestamp = i;
                    break;
                case { Target: ColumnTarget.Attribute or ColumnTarget.EventProperty, Name: { } name }:
                    _body.Add(name.Split('.', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), i, _columns[i]!.Type);
                    break;
            }
        }
        _identities = [.. identities];
        _tooDeep = _columns.Where(c => c is { Target: ColumnTarget.Attribute or ColumnTarget.EventProperty, Name: not null })
            .Select(c => MessageShape.NestedKeyProblem(c!.Name!.Trim()) is { } problem ? $"column \"{c.Column}\": {problem}" : null)
            .FirstOrDefault(p => p is not null);
    }

    /// <summary>A column whose name nests deeper than a message may (a saved mapping is checked, so only older ones): every row is rejected with it.</summary>
    private readonly string? _tooDeep;

    public IncomingMessage Convert(IReadOnlyList<string?> values, long batchId, int line, DateTime receivedAt)
    {
        // First pass: everything that can make the row invalid, before a byte is written.
        if (_tooDeep is not null)
        {
            return Reject(values, batchId, line, receivedAt, $"Line {line}: {_tooDeep}");
        }
        var identities = 0;
        foreach (var (index, _) in _identities)
        {
            if (Present(values, index))
            {
                identities++;
            }
        }
        foreach (var (index, ns) in _identities)
        {
            if (Present(values, index) && MessageShape.IdentifierProblem(_headers[index], values[index]!.Trim()) is { } problem)
            {
                return Reject(values, batchId, line, receivedAt, $"Line {line}: {problem}");
            }
        }
        if (identities == 0)
        {
            return Reject(values, batchId, line, receivedAt,
                $"Line {line} has no identifier: fill at least one identity column ({string.Join(", ", _identities.Select(i => _headers[i.Index]))}).");
        }
        var eventName = _eventName >= 0 && Present(values, _eventName) ? values[_eventName]!.Trim() : _mapping.EventName;
        if (_mapping.Kind == FileKind.Events && string.IsNullOrWhiteSpace(eventName))
        {
            return Reject(values, batchId, line, receivedAt, $"Line {line} has no event name.");
        }
        if (_mapping.Kind == FileKind.Events && MessageShape.NameProblem(_eventName >= 0 ? _headers[_eventName] : "event", eventName!) is { } nameProblem)
        {
            return Reject(values, batchId, line, receivedAt, $"Line {line}: {nameProblem}");
        }
        var eventAt = receivedAt;
        if (_timestamp >= 0 && Present(values, _timestamp))
        {
            var text = values[_timestamp]!.Trim();
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return Reject(values, batchId, line, receivedAt,
                    $"Line {line}: \"{text}\" in column \"{_headers[_timestamp]}\" is not a date and time (use ISO-8601, e.g. 2026-11-23T14:05:00Z).");
            }
            eventAt = at.UtcDateTime;
            if ((MessageShape.RangeProblem(_headers[_timestamp], eventAt) ?? MessageShape.EventTimeProblem(eventAt, receivedAt)) is { } problem)
            {
                return Reject(values, batchId, line, receivedAt, $"Line {line}: {problem}");
            }
        }
        if (_body.FirstInvalid(values, _mapping.NullToken) is { } bad)
        {
            return Reject(values, batchId, line, receivedAt,
                $"Line {line}: \"{values[bad.Index]!.Trim()}\" in column \"{_headers[bad.Index]}\" is not {Describe(bad.Type)}.");
        }

        // Second pass: write the message.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var type = _mapping.Kind == FileKind.Events ? "track" : "identify";
        var messageId = $"file-{batchId}-{line}";
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("messageId", messageId);
            foreach (var (index, ns) in _identities)
            {
                if (ns is "user_id" && Present(values, index))
                {
                    json.WriteString("userId", values[index]!.Trim());
                }
                else if (ns is "anonymous_id" && Present(values, index))
                {
                    json.WriteString("anonymousId", values[index]!.Trim());
                }
            }
            if (_mapping.Kind == FileKind.Events)
            {
                json.WriteString("event", eventName);
            }
            json.WritePropertyName(_mapping.Kind == FileKind.Events ? "properties" : "traits");
            _body.Write(json, values, _mapping.NullToken);
            var external = _identities.Where(i => i.Namespace is not ("user_id" or "anonymous_id") && Present(values, i.Index)).ToList();
            if (external.Count > 0)
            {
                json.WriteStartObject("context");
                json.WriteStartArray("externalIds");
                foreach (var (index, ns) in external)
                {
                    json.WriteStartObject();
                    json.WriteString("id", values[index]!.Trim());
                    json.WriteString("type", ns);
                    json.WriteString("collection", "users");
                    json.WriteString("encoding", "none");
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteString("timestamp", eventAt.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("receivedAt", receivedAt.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }
        if (buffer.WrittenCount > TrackingLimits.MaxMessageBytes
            && TrackingLimits.SizeAsSent(Encoding.UTF8.GetString(buffer.WrittenSpan)) is var size && size > TrackingLimits.MaxMessageBytes)
        {
            return Reject(values, batchId, line, receivedAt,
                $"Line {line} makes a message of {size / 1024.0:N1} KB; the limit is {TrackingLimits.MaxMessageBytes / 1024} KB.");
        }
        return new IncomingMessage(type, messageId, eventAt, Encoding.UTF8.GetString(buffer.WrittenSpan), null, line);
    }

    private IncomingMessage Reject(IReadOnlyList<string?> values, long batchId, int line, DateTime receivedAt, string reason) =>
        FileRowConverter.Rejected(_headers, values, _mapping, line, receivedAt, reason);

    internal static bool Present(IReadOnlyList<string?> values, int index) =>
        index < values.Count && !string.IsNullOrWhiteSpace(values[index]);

    internal static string Describe(AttributeType type) => type switch
    {
        AttributeType.Number => "a number (use a dot for decimals; at most ±1.8e308)",
        AttributeType.Boolean => "true or false (also yes/no, 1/0)",
        AttributeType.Date => "a date (use ISO-8601, e.g. 2026-11-23)",
        _ => "text",
    };

    internal static bool? ParseBoolean(string value) => value.ToLowerInvariant() switch
    {
        "true" or "yes" or "y" or "1" => true,
        "false" or "no" or "n" or "0" => false,
        _ => null,
    };

    /// <summary>One level of the traits (or properties) object: leaves are cells, branches nest (address.city).</summary>
    private sealed class Node(string name)
    {
        private readonly List<Node> _children = [];
        private int _index = -1;
        private AttributeType _type;

        public void Add(string[] path, int index, AttributeType type, int depth = 0)
        {
            if (depth == path.Length)
            {
                _index = index;
                _type = type;
                return;
            }
            var child = _children.FirstOrDefault(c => c.Name == path[depth]);
            if (child is null)
            {
                child = new Node(path[depth]);
                _children.Add(child);
            }
            child.Add(path, index, type, depth + 1);
        }

        private string Name { get; } = name;

        public (int Index, AttributeType Type)? FirstInvalid(IReadOnlyList<string?> values, string nullToken)
        {
            if (_index >= 0 && Present(values, _index))
            {
                var text = values[_index]!.Trim();
                if (!string.Equals(text, nullToken, StringComparison.OrdinalIgnoreCase) && !Valid(text, _type))
                {
                    return (_index, _type);
                }
            }
            foreach (var child in _children)
            {
                if (child.FirstInvalid(values, nullToken) is { } bad)
                {
                    return bad;
                }
            }
            return null;
        }

        private bool AnyPresent(IReadOnlyList<string?> values) =>
            (_index >= 0 && Present(values, _index)) || _children.Any(c => c.AnyPresent(values));

        /// <summary>Writes this object: leaves with a value (an empty cell leaves the attribute out), branches with any.</summary>
        public void Write(Utf8JsonWriter json, IReadOnlyList<string?> values, string nullToken)
        {
            json.WriteStartObject();
            foreach (var child in _children)
            {
                if (child._children.Count > 0)
                {
                    if (child.AnyPresent(values))
                    {
                        json.WritePropertyName(child.Name);
                        child.Write(json, values, nullToken);
                    }
                    continue;
                }
                if (!Present(values, child._index))
                {
                    continue;
                }
                var text = values[child._index]!.Trim();
                json.WritePropertyName(child.Name);
                if (string.Equals(text, nullToken, StringComparison.OrdinalIgnoreCase))
                {
                    json.WriteNullValue(); // explicit null: remove the attribute
                    continue;
                }
                switch (child._type)
                {
                    case AttributeType.Number:
                        json.WriteNumberValue(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
                        break;
                    case AttributeType.Boolean:
                        json.WriteBooleanValue(ParseBoolean(text)!.Value);
                        break;
                    case AttributeType.Date:
                        json.WriteStringValue(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                        break;
                    default:
                        json.WriteStringValue(text);
                        break;
                }
            }
            json.WriteEndObject();
        }

        private static bool Valid(string text, AttributeType type) => type switch
        {
            // NaN, Infinity and 1e400 parse, but are no JSON number.
            AttributeType.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number),
            AttributeType.Boolean => ParseBoolean(text) is not null,
            AttributeType.Date => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
            _ => true,
        };
    }
}
