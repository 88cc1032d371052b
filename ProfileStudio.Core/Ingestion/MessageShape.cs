using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ProfileStudio.Core.Ingestion;

/// <summary>
/// The shape of every field the unification engine reads from a tracking message, in one table, and
/// the limits that hold for the message as a whole (text, nesting, numbers, event time). A message
/// that passes these checks can be unified and read back; one that does not is rejected with a reason
/// naming the field (HTTP 400 <c>validation_error</c>, a rejected file line).
/// </summary>
public static partial class MessageShape
{
    /// <summary>Objects and arrays nest at most this deep; the message itself is level 1.</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// Longest identifier in characters: a value that percent-encodes to fit a Profile API URL
    /// (Kestrel refuses request lines over 8 KB).
    /// </summary>
    public const int MaxIdentifierLength = 512;

    /// <summary>Longest <c>messageId</c> (the lake's column).</summary>
    public const int MaxMessageIdLength = 256;

    /// <summary>Event times before this are a client's unset clock (year 1, the Unix epoch's zero or less), not an event.</summary>
    public static readonly DateTime EarliestTime = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Dates a message may carry at all; also keeps every time computation clear of <see cref="DateTime.MaxValue"/>.</summary>
    public static readonly DateTime LatestTime = new(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>How far after its receipt an event may have happened: clock differences, not a date in the future.</summary>
    public static readonly TimeSpan MaxTimeAhead = TimeSpan.FromDays(1);

    /// <summary>The keys whose values are identifiers in the built-in namespaces (traits, context.traits, properties).</summary>
    public static IReadOnlySet<string> DefaultIdentifierKeys { get; } =
        Identity.IdentityRules.Default.Namespaces.SelectMany(n => n.Keys).ToHashSet(StringComparer.Ordinal);

    private enum Shape
    {
        /// <summary>An identity value: a string, or a number taken as its text; no control characters; at most <see cref="MaxIdentifierLength"/>.</summary>
        Identifier,

        /// <summary>A string, or a number taken as its text.</summary>
        Id,

        /// <summary>A string.</summary>
        Text,

        /// <summary>A name people read and filter by (an event, a page or screen): a string without control characters.</summary>
        Name,

        /// <summary>A JSON object.</summary>
        Object,

        /// <summary>An ISO-8601 date and time between <see cref="EarliestTime"/> and <see cref="LatestTime"/>.</summary>
        Time,

        /// <summary>An array of objects with a string <c>type</c>, an identifier <c>id</c>, and <c>collection</c>/<c>encoding</c> strings.</summary>
        ExternalIds,
    }

    /// <summary>A dotted path from the message; <paramref name="Types"/> limits it to the message types whose engine step reads it.</summary>
    private sealed record Field(string Path, Shape Shape, params string[] Types);

    /// <summary>
    /// Every field unification reads (MessageReadStage, IdentityExtractor). Null is always
    /// allowed and means "not sent". Anything not listed is kept as sent.
    /// </summary>
    private static readonly Field[] Fields =
    [
        new("messageId", Shape.Id),
        new("userId", Shape.Identifier),
        new("anonymousId", Shape.Identifier),
        new("previousId", Shape.Identifier),
        new("groupId", Shape.Identifier),
        new("event", Shape.Name, "track"),
        new("name", Shape.Name, "page", "screen"),
        new("category", Shape.Text, "page", "screen"),
        new("properties", Shape.Object),
        new("properties.path", Shape.Text, "page", "screen"),
        new("traits", Shape.Object),
        new("context", Shape.Object),
        new("context.traits", Shape.Object),
        new("context.externalIds", Shape.ExternalIds),
        new("integrations", Shape.Object),
        new("timestamp", Shape.Time),
        new("originalTimestamp", Shape.Time),
        new("sentAt", Shape.Time),
    ];

    /// <summary>The objects whose identifier keys (email, phone, …) hold identities.</summary>
    private static readonly string[] IdentifierHolders = ["traits", "context.traits", "properties"];

    /// <summary>
    /// Checks and coerces the fields of <paramref name="message"/> (numbers given as ids become their
    /// text, nulls given as ids are removed); the first problem found, or null.
    /// </summary>
    public static string? Check(JsonObject message, string type, IReadOnlySet<string>? identifierKeys = null)
    {
        foreach (var field in Fields)
        {
            if (field.Types.Length > 0 && !field.Types.Contains(type))
            {
                continue;
            }
            var (parent, name) = Locate(message, field.Path);
            if (parent?[name] is not { } value)
            {
                if (field.Shape is Shape.Id or Shape.Identifier && parent?.ContainsKey(name) == true)
                {
                    parent.Remove(name); // "userId": null is "not sent"
                }
                continue;
            }
            if (CheckField(parent, name, field.Path, value, field.Shape) is { } problem)
            {
                return problem;
            }
        }
        foreach (var holder in IdentifierHolders)
        {
            var (parent, name) = Locate(message, holder);
            if (parent?[name] is not JsonObject values)
            {
                continue;
            }
            foreach (var key in identifierKeys ?? DefaultIdentifierKeys)
            {
                if (values[key] is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
                    && IdentifierProblem($"{holder}.{key}", v.GetValueKind() == JsonValueKind.String ? (string)v! : v.ToJsonString()) is { } problem)
                {
                    return problem; // other kinds are kept as ordinary values: the engine takes only text and numbers as identifiers
                }
            }
        }
        return WholeMessage(message);
    }

    private static string? CheckField(JsonObject parent, string name, string path, JsonNode value, Shape shape)
    {
        var kind = value.GetValueKind();
        switch (shape)
        {
            case Shape.Id or Shape.Identifier:
                if (kind == JsonValueKind.Number)
                {
                    if (!double.IsFinite(value.GetValue<double>()))
                    {
                        // Refused as the same number anywhere else in the message is (checked before it becomes text).
                        return OutsideDouble(path, value.ToJsonString());
                    }
                    parent[name] = value.ToJsonString(); // Segment takes numeric ids as their text, and so do we
                }
                else if (kind != JsonValueKind.String)
                {
                    return $"\"{path}\" must be a string.";
                }
                if (shape == Shape.Id)
                {
                    var id = (string)parent[name]!;
                    if (string.IsNullOrWhiteSpace(id))
                    {
                        parent.Remove(name); // a blank messageId is "not sent": one is assigned (a shared blank would dedupe other messages away)
                        return null;
                    }
                    return id.Length > MaxMessageIdLength ? $"\"{path}\" is {id.Length:N0} characters long; at most {MaxMessageIdLength}." : null;
                }
                return IdentifierProblem(path, (string)parent[name]!);
            case Shape.Text:
                return kind == JsonValueKind.String ? null : $"\"{path}\" must be a string, not {Describe(kind)}.";
            case Shape.Name:
                return kind == JsonValueKind.String ? ControlCharacterProblem(path, (string)value!, "a name") : $"\"{path}\" must be a string, not {Describe(kind)}.";
            case Shape.Object:
                return kind == JsonValueKind.Object ? null : $"\"{path}\" must be a JSON object.";
            case Shape.Time:
                return TryReadTime(value, path, out _, out var timeProblem) ? null : timeProblem;
            case Shape.ExternalIds:
                return ExternalIdsProblem(path, value);
            default:
                throw new ArgumentOutOfRangeException(nameof(shape));
        }
    }

    private static string? ExternalIdsProblem(string path, JsonNode value)
    {
        if (value is not JsonArray entries)
        {
            return $"\"{path}\" must be an array of {{\"id\", \"type\"}} objects.";
        }
        for (var i = 0; i < entries.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (entries[i] is not JsonObject entry)
            {
                return $"\"{at}\" must be an object with \"id\" and \"type\".";
            }
            if (entry["type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String)
            {
                return $"\"{at}.type\" must be a string (an identity namespace, e.g. email).";
            }
            foreach (var text in new[] { "collection", "encoding" })
            {
                if (entry[text] is { } v && v.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    return $"\"{at}.{text}\" must be a string.";
                }
            }
            switch (entry["id"]?.GetValueKind())
            {
                case JsonValueKind.String:
                    if (IdentifierProblem($"{at}.id", (string)entry["id"]!) is { } problem)
                    {
                        return problem;
                    }
                    break;
                case JsonValueKind.Number:
                    if (IdentifierProblem($"{at}.id", entry["id"]!.ToJsonString()) is { } numberProblem)
                    {
                        return numberProblem; // a number's text is the identifier
                    }
                    break;
                default:
                    return $"\"{at}.id\" must be a string or a number.";
            }
        }
        return null;
    }

    /// <summary>Why a text cannot be an identifier: one that could never be looked up again, or too long to put in a URL.</summary>
    public static string? IdentifierProblem(string path, string value)
    {
        if (value.Length > MaxIdentifierLength)
        {
            return $"\"{path}\" is {value.Length:N0} characters long; an identifier has at most {MaxIdentifierLength}.";
        }
        return ControlCharacterProblem(path, value, "an identifier");
    }

    /// <summary>Why a text cannot be an event or page name (the tracking API's rule for <c>event</c> and <c>name</c>), or null.</summary>
    public static string? NameProblem(string path, string value) => ControlCharacterProblem(path, value, "a name");

    /// <summary>
    /// Why a key made of dotted parts (a file column's attribute or property name, <c>address.city</c>) would nest its value
    /// too deep under <c>traits</c> or <c>properties</c>: each part is a level, as a dot in a tracking key counts as one.
    /// </summary>
    public static string? NestedKeyProblem(string key)
    {
        var depth = 2 + key.Split('.').Length; // the message, traits or properties, then one level per part
        return depth > MaxDepth
            ? $"\"{(key.Length <= 40 ? key : key[..40] + "…")}\" nests {depth} levels deep (each part between dots is a level); a message nests at most {MaxDepth}."
            : null;
    }

    /// <summary>Why a text cannot be shown and searched as one: a control character (NUL, a line break, an escape…).</summary>
    private static string? ControlCharacterProblem(string path, string value, string what)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsControl(value[i]))
            {
                return $"\"{path}\" holds a control character (U+{(int)value[i]:X4} at position {i + 1}); {what} is printable text.";
            }
        }
        return null;
    }

    private static string OutsideDouble(string path, string number) =>
        $"\"{path}\" is the number {Shorten(number)}, outside the range of a double (±1.8e308).";

    /// <summary>Nesting and numbers, over the whole message: what readers and the engine's arithmetic can hold.</summary>
    private static string? WholeMessage(JsonNode message)
    {
        // As with unreadable text: no path string per node, only for a problem.
        if (Walk(message, 1) is not { } problem)
        {
            return null;
        }
        var path = problem.Path("");
        return problem.Kind switch
        {
            ProblemKind.TooDeep => $"\"{path}\" nests objects and arrays {problem.Depth} levels deep; a message nests at most {MaxDepth}.",
            ProblemKind.ValueTooDeep => $"\"{path}\" nests {problem.Depth} levels deep (a dot in a name counts as a level); a message nests at most {MaxDepth}.",
            _ => OutsideDouble(path, problem.Detail!),
        };

        static PathProblem? Walk(JsonNode? node, int depth)
        {
            switch (node)
            {
                case JsonObject o:
                    if (depth > MaxDepth)
                    {
                        return new(ProblemKind.TooDeep, null, depth);
                    }
                    foreach (var (key, child) in o)
                    {
                        // Trait names with dots nest in the unified view (address.city), so each dot is a level too.
                        if (Walk(child, depth + 1 + key.AsSpan().Count('.')) is { } problem)
                        {
                            return problem.Under(key);
                        }
                    }
                    return null;
                case JsonArray a:
                    if (depth > MaxDepth)
                    {
                        return new(ProblemKind.TooDeep, null, depth);
                    }
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (Walk(a[i], depth + 1) is { } problem)
                        {
                            return problem.Under(i);
                        }
                    }
                    return null;
                case JsonValue when depth > MaxDepth:
                    return new(ProblemKind.ValueTooDeep, null, depth);
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    return double.IsFinite(v.GetValue<double>()) ? null : new(ProblemKind.Number, v.ToJsonString());
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// What in <paramref name="element"/> cannot be read as JSON text: a property name or string with
    /// invalid UTF-8 bytes or an escaped half of a UTF-16 surrogate pair (<c>"\ud800"</c>), or a property
    /// name twice in one object. Nothing downstream could read such a message; null when there is none.
    /// </summary>
    public static string? UnreadableJson(JsonElement element, string path = "")
    {
        // Every message of every request is checked. Most are valid UTF-8 with no escape at all: then every name and string
        // is readable, and only a name twice in one object is left to find, on the raw bytes (nothing is decoded or
        // allocated). Anything else, or a possible repeat, gets the exact walk, which puts the path together once it finds
        // a problem.
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
        if (raw.IndexOf((byte)'\\') < 0 && System.Text.Unicode.Utf8.IsValid(raw) && NamesOnceEach(element))
        {
            return null;
        }
        if (Unreadable(element) is not { } problem)
        {
            return null;
        }
        var at = problem.Path(path);
        return problem.Kind switch
        {
            ProblemKind.UnreadableName => $"a property name in {(at.Length == 0 ? "the message" : $"\"{at}\"")} is not valid text ({problem.Detail})",
            ProblemKind.Twice => $"\"{at}\" appears twice in one object",
            _ => $"\"{at}\" is not valid text ({problem.Detail})",
        };
    }

    private enum ProblemKind
    {
        UnreadableName,
        Twice,
        UnreadableText,
        TooDeep,
        ValueTooDeep,
        Number,
    }

    /// <summary>
    /// What is wrong in a message and where: the steps (property names, array indexes) to it are added while the walk
    /// returns, deepest first, and turned into a path like <c>properties.items[1].name</c> once, for the message.
    /// </summary>
    private sealed class PathProblem(ProblemKind kind, string? detail, int depth = 0)
    {
        private readonly List<(string? Name, int Index)> _steps = [];

        public ProblemKind Kind => kind;

        public string? Detail => detail;

        public int Depth => depth;

        public PathProblem Under(string name)
        {
            _steps.Add((name, 0));
            return this;
        }

        public PathProblem Under(int index)
        {
            _steps.Add((null, index));
            return this;
        }

        public string Path(string start)
        {
            var path = start;
            for (var i = _steps.Count - 1; i >= 0; i--)
            {
                var (name, index) = _steps[i];
                path = name is not null ? (path.Length == 0 ? name : $"{path}.{name}") : $"{path}[{index}]";
            }
            return path;
        }
    }

    /// <summary>The most properties one object may have for <see cref="NamesOnceEach"/> to compare them on the stack.</summary>
    private const int NamesCompared = 64;

    /// <summary>
    /// True when no object in <paramref name="element"/> has a property name twice, for text without escapes (the raw
    /// bytes of a name are then its text): names are told apart by a hash of their bytes, and false means "not sure"
    /// (two hashes alike, or an object of more than <see cref="NamesCompared"/> properties), for the exact walk to decide.
    /// </summary>
    private static bool NamesOnceEach(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                Span<int> hashes = stackalloc int[NamesCompared];
                var count = 0;
                foreach (var property in element.EnumerateObject())
                {
                    if (count == NamesCompared)
                    {
                        return false;
                    }
                    var hash = new HashCode();
                    hash.AddBytes(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property));
                    var code = hash.ToHashCode();
                    if (hashes[..count].Contains(code))
                    {
                        return false;
                    }
                    hashes[count++] = code;
                    if (!NamesOnceEach(property.Value))
                    {
                        return false;
                    }
                }
                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!NamesOnceEach(item))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return true;
        }
    }

    private static PathProblem? Unreadable(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                string? first = null;
                HashSet<string>? names = null;
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException ex)
                    {
                        return new(ProblemKind.UnreadableName, ex.Message);
                    }
                    // Most objects are small: the set of names is made from the second one on.
                    if (first is null)
                    {
                        first = name;
                    }
                    else if (!(names ??= new HashSet<string>(StringComparer.Ordinal) { first }).Add(name))
                    {
                        return new PathProblem(ProblemKind.Twice, null).Under(name);
                    }
                    if (Unreadable(property.Value) is { } problem)
                    {
                        return problem.Under(name);
                    }
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Unreadable(item) is { } problem)
                    {
                        return problem.Under(i);
                    }
                    i++;
                }
                return null;
            case JsonValueKind.String:
                // Valid UTF-8 without escapes is readable text (valid UTF-8 holds no surrogate halves); only escapes and
                // invalid bytes need the decoder's verdict.
                var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
                if (raw.IndexOf((byte)'\\') < 0 && System.Text.Unicode.Utf8.IsValid(raw))
                {
                    return null;
                }
                try
                {
                    _ = element.GetString();
                    return null;
                }
                catch (InvalidOperationException ex)
                {
                    return new(ProblemKind.UnreadableText, ex.Message);
                }
            default:
                return null;
        }
    }

    /// <summary>
    /// The JSON text of an element that may hold unreadable text, for keeping a rejected message as it
    /// arrived: raw (escapes as sent) where it can be, else with invalid bytes replaced by U+FFFD.
    /// </summary>
    public static string StorableText(JsonElement element)
    {
        try
        {
            return element.GetRawText();
        }
        catch (InvalidOperationException)
        {
            return JsonSerializer.Serialize(element, StoredJson.Options);
        }
    }

    /// <summary>Reads an optional time field; false with the reason when it is not a date in range.</summary>
    public static bool TryReadTime(JsonNode? node, string field, out DateTime? value, out string? problem)
    {
        value = null;
        problem = null;
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            return true;
        }
        // ISO 8601 only (a date, or a date and time with or without a zone; no zone is UTC): the general parser also
        // read "12/06/2026" (month first, so a day-first sender's date was silently another) and RFC 1123 dates.
        if (node.GetValueKind() != JsonValueKind.String || (string?)node is not { } text || !IsoTime().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            var echo = Shorten(node.ToJsonString(EchoOptions));
            problem = node.GetValueKind() == JsonValueKind.String && (string?)node is { } iso && IsoTime().IsMatch(iso)
                && ExplainIsoTime(iso) is var (written, _, reason)
                ? reason is null ? RangeProblem(field, written) : $"\"{field}\" is {echo}, which is no time: {reason}."
                : $"\"{field}\" is not an ISO-8601 date: {echo}.";
            return false;
        }
        problem = RangeProblem(field, parsed.UtcDateTime);
        value = parsed.UtcDateTime;
        return problem is null;
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex IsoTime();

    /// <summary>
    /// Why an ISO 8601 time (date, time, zone) that does not convert to UTC is none: an offset beyond ±14:00, or a day or
    /// hour that is not in the calendar (<c>Reason</c>); or, when only the conversion failed (9999-12-31T23:00-05:00 is past
    /// the last UTC time there is), <c>Reason</c> is null, <c>Written</c> is the date and time as written and <c>Direction</c>
    /// says which way it overflowed (1: past the last time, -1: before the first). Null when the text is not ISO 8601.
    /// </summary>
    public static (DateTime Written, int Direction, string? Reason)? ExplainIsoTime(string text)
    {
        var parts = IsoTimeParts().Match(text.Trim());
        if (!parts.Success)
        {
            return null;
        }
        var sign = parts.Groups["sign"].Value;
        if (sign.Length > 0)
        {
            var (hours, minutes) = (int.Parse(parts.Groups["hh"].Value, CultureInfo.InvariantCulture),
                parts.Groups["mm"].Success ? int.Parse(parts.Groups["mm"].Value, CultureInfo.InvariantCulture) : 0);
            if (hours > 14 || minutes > 59 || (hours == 14 && minutes > 0))
            {
                return (default, 0, $"its offset from UTC, {sign}{hours:00}:{minutes:00}, is beyond ±14:00, the widest there is");
            }
        }
        if (!DateTime.TryParse(parts.Groups["local"].Value.Replace(',', '.'), CultureInfo.InvariantCulture, DateTimeStyles.None, out var written))
        {
            return (default, 0, "there is no such day or time in the calendar");
        }
        return sign.Length == 0 ? (written, 0, "there is no such day or time in the calendar") : (written, sign == "-" ? 1 : -1, null);
    }

    [GeneratedRegex(@"^(?<local>[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?)?)(?:Z|(?<sign>[+-])(?<hh>[0-9]{2})(?::?(?<mm>[0-9]{2}))?)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex IsoTimeParts();

    /// <summary>Why a date is outside what a message may carry.</summary>
    public static string? RangeProblem(string field, DateTime at) =>
        at < EarliestTime || at >= LatestTime
            ? $"\"{field}\" is {at:yyyy-MM-dd}; dates must be from {EarliestTime:yyyy-MM-dd} to {LatestTime.AddDays(-1):yyyy-MM-dd}."
            : null;

    /// <summary>Why an event time cannot be used: before 1970, or more than a day after the message was received.</summary>
    public static string? EventTimeProblem(DateTime eventAt, DateTime receivedAt)
    {
        if (eventAt < EarliestTime)
        {
            return $"The event time works out to {eventAt:O}, before {EarliestTime:yyyy-MM-dd}; check timestamp/originalTimestamp and sentAt.";
        }
        return eventAt > receivedAt + MaxTimeAhead
            ? $"The event time {eventAt:O} is more than {MaxTimeAhead.TotalHours:N0} hours after the message was received ({receivedAt:O}); an event cannot happen in the future."
            : null;
    }

    private static (JsonObject? Parent, string Name) Locate(JsonObject message, string path)
    {
        var (parent, name) = Splits.GetOrAdd(path, static p => p.IndexOf('.') is var dot and >= 0 ? (p[..dot], p[(dot + 1)..]) : (null, p));
        return parent is null ? (message, name) : (message[parent] as JsonObject, name);
    }

    /// <summary>The table's paths split once into parent and name (every message looks up every field).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string? Parent, string Name)> Splits = new(StringComparer.Ordinal);

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>A value echoed in an error as the client wrote it (<c>+</c> and <c>&lt;b&gt;</c>, not <c>\u002B</c>), quotes and control characters escaped.</summary>
    private static readonly JsonSerializerOptions EchoOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = StoredJson.MaxDepth };

    /// <summary>At most 40 characters, never cutting a character made of two (an emoji) in half.</summary>
    private static string Shorten(string text) =>
        text.Length <= 40 ? text : text[..(char.IsHighSurrogate(text[39]) ? 39 : 40)] + "…";
}
