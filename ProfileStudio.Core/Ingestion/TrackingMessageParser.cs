using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProfileStudio.Core.Ingestion;

/// <summary>
/// Reads Segment HTTP Tracking API bodies (<c>/v1/identify</c> … <c>/v1/batch</c>) into lake messages:
/// validates each message by type, merges batch-level <c>context</c>/<c>integrations</c> into each item,
/// assigns a <c>messageId</c> when the client sent none, removes the write key, and works out the event time.
/// </summary>
public static partial class TrackingMessageParser
{
    /// <summary>
    /// Removes write keys from a body that could not be parsed before it is kept for the debugger: the
    /// text may still carry the key however it was spelled (<c>"write\u004bey"</c>, <c>WriteKey</c>, single
    /// quotes, form encoding) and even cut off at the size limit; see <see cref="WriteKeyRedaction"/>.
    /// </summary>
    public static string RedactWriteKeys(string raw) => WriteKeyRedaction.Redact(raw);

    public static IReadOnlyList<string> MessageTypes { get; } = ["identify", "track", "page", "screen", "group", "alias"];

    /// <summary>
    /// Deeper than any message may nest (<see cref="MessageShape.MaxDepth"/>), so that in a batch a too-deep
    /// message is rejected on its own instead of failing the whole request.
    /// </summary>
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    /// <summary>
    /// Skew between the client's clock and ours (<c>receivedAt − sentAt</c>) that one request's time on the
    /// network explains: analytics libraries give up on a request after 10–15 s. Below it, the client's
    /// times are used as they are, so latency never reorders one client's events.
    /// </summary>
    public static readonly TimeSpan MaxNetworkLatency = TimeSpan.FromMinutes(1);

    /// <summary>
    /// What is wrong with a JSON text, for the person who sent it: the reader's reason and where, without its advice to
    /// the programmer ("Change the reader options", "when isFinalBlock is true").
    /// </summary>
    public static string JsonProblem(JsonException ex, bool lines = true)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var reason = ex.Message;
        var at = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (at >= 0)
        {
            reason = reason[..at];
        }
        reason = reason.Replace(" Change the reader options.", "", StringComparison.Ordinal)
            .Replace(", when isFinalBlock is true", "", StringComparison.Ordinal)
            .Replace("The input does not contain any JSON tokens. Expected the input to start with a valid JSON token.", "it is empty.", StringComparison.Ordinal)
            .Replace("which is not supported in this mode.", "which JSON does not allow.", StringComparison.Ordinal)
            .Trim();
        // "'n' is an invalid JSON literal. Expected the literal 'null'." for "not json": the parser guessed a word nobody wrote.
        reason = InvalidLiteral().Replace(reason, "$1 is not JSON (text goes in double quotes).");
        if (ex.BytePositionInLine is not { } column)
        {
            return reason;
        }
        // One line of a file (NDJSON) is named by the file's line number; its own "line 1" would only confuse.
        return lines && ex.LineNumber is { } line ? $"{reason} (line {line + 1}, byte {column + 1})" : $"{reason} (byte {column + 1})";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^('.*') is an invalid JSON literal\. Expected the literal '[a-z]+'\.$", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex InvalidLiteral();

    /// <summary>
    /// Why a body that is not JSON is UTF-16 text (a byte-order mark, or a NUL byte beside each ASCII character), which the
    /// reader told as "'0x00' is an invalid start of a property name"; null when it is not.
    /// </summary>
    private static string? Utf16Problem(ReadOnlySpan<byte> body)
    {
        var marked = body.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || body.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]);
        var nulBeside = body.Length >= 2 && (body[0] == 0 || body[1] == 0);
        return marked || nulBeside
            ? "The body is not UTF-8: it looks like UTF-16 text (a NUL byte beside each character, or a UTF-16 byte-order mark). Send the JSON encoded as UTF-8."
            : null;
    }

    /// <summary>Maps a URL segment (full or browser short form) to a type, <c>batch</c>, or null.</summary>
    public static string? ResolveEndpoint(string segment) => segment.ToLowerInvariant() switch
    {
        "identify" or "i" => "identify",
        "track" or "t" => "track",
        "page" or "p" => "page",
        "screen" or "s" => "screen",
        "group" or "g" => "group",
        "alias" or "a" => "alias",
        "batch" or "b" or "import" => "batch",
        _ => null,
    };

    /// <param name="identifierKeys">The trait keys that hold identifiers (the identity namespaces'); the built-in ones when null.</param>
    public static TrackingParseResult Parse(ReadOnlySpan<byte> body, string endpoint, DateTime receivedAt, IReadOnlySet<string>? identifierKeys = null)
    {
        JsonDocument document;
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..]; // a UTF-8 byte-order mark some clients write first
        }
        Dictionary<int, (string Text, int Levels)>? cut = null;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), DocumentOptions);
        }
        catch (JsonException ex)
        {
            if (Utf16Problem(body) is { } utf16)
            {
                return TrackingParseResult.Fail(utf16);
            }
            // One batch item nested too deep to read must not refuse the others: it is cut out and rejected alone.
            if (endpoint != "batch" || CutDeepItems(body) is not { } reduced)
            {
                return TrackingParseResult.Fail($"The body is not valid JSON: {JsonProblem(ex)}");
            }
            try
            {
                document = JsonDocument.Parse(reduced.Body, DocumentOptions);
                cut = reduced.Deep;
            }
            catch (JsonException)
            {
                return TrackingParseResult.Fail($"The body is not valid JSON: {JsonProblem(ex)}");
            }
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return TrackingParseResult.Fail("The body must be a JSON object.");
            }
            // A batch's items are checked one by one below; everything else applies to every message.
            if (UnreadableOutsideBatch(root, endpoint == "batch") is { } unreadable)
            {
                return TrackingParseResult.Fail($"The body cannot be read: {unreadable}.");
            }
            var request = JsonObject.Create(root)!;
            var writeKey = request["writeKey"] is JsonValue key && key.TryGetValue(out string? k) ? k : null;
            var writeKeyProblem = root.TryGetProperty("writeKey", out var sentKey) && writeKey is not { Length: > 0 }
                ? sentKey.ValueKind == JsonValueKind.String
                    ? "\"writeKey\" is empty; send the source's write key there, or as the Basic-auth user name (empty password)."
                    : $"\"writeKey\" must be the source's write key as text, not {MessageShape.Describe(sentKey.ValueKind)}."
                : null;

            if (endpoint != "batch")
            {
                if (WriteKeyRedaction.MayHold(root))
                {
                    WriteKeyRedaction.RemoveFrom(request);
                }
                return new TrackingParseResult(new TrackingRequest(writeKey, [Read(request, endpoint, null, receivedAt, identifierKeys: identifierKeys)]) { WriteKeyProblem = writeKeyProblem }, null);
            }

            if (!root.TryGetProperty("batch", out var array) || array.ValueKind != JsonValueKind.Array)
            {
                return TrackingParseResult.Fail("A batch request needs a \"batch\" array of messages.");
            }
            if (array.GetArrayLength() > TrackingLimits.MaxBatchMessages)
            {
                return TrackingParseResult.Fail($"A batch holds at most {TrackingLimits.MaxBatchMessages:N0} messages; this one has {array.GetArrayLength():N0}.");
            }
            // What the batch lends its items is cleared of write keys once here (each item is cleared in ReadItem), so
            // Read need not walk every message a second time.
            foreach (var field in (ReadOnlySpan<string>)["context", "integrations", "sentAt"])
            {
                if (root.TryGetProperty(field, out var lentElement) && WriteKeyRedaction.MayHold(lentElement) && request[field] is { } lent)
                {
                    WriteKeyRedaction.RemoveFrom(lent);
                }
            }
            var shared = new BatchDefaults(
                request["context"] as JsonObject,
                request["integrations"] as JsonObject,
                request["sentAt"]?.DeepClone());
            var messages = new List<IncomingMessage>(array.GetArrayLength());
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                messages.Add(cut?.TryGetValue(index, out var deep) == true
                    ? Rejected("unknown", RedactWriteKeys(deep.Text.Length <= TrackingLimits.MaxMessageBytes ? deep.Text : deep.Text[..TrackingLimits.MaxMessageBytes]), receivedAt,
                        $"The message nests objects and arrays {deep.Levels:N0} levels deep; a message nests at most {MessageShape.MaxDepth}.")
                    : ReadItem(item, shared, receivedAt, identifierKeys));
                index++;
            }
            return new TrackingParseResult(new TrackingRequest(writeKey, messages) { WriteKeyProblem = writeKeyProblem }, null);
        }
    }

    /// <summary>Items nested deeper than this are cut out of a batch that cannot be read whole (well past <see cref="MessageShape.MaxDepth"/>, which still names the path).</summary>
    private const int DeepItemLevels = 64;

    /// <summary>
    /// For a batch body deeper than <see cref="DocumentOptions"/> allows: the body with every item nested more than
    /// <see cref="DeepItemLevels"/> levels replaced by <c>null</c>, and those items' text and depth by their index.
    /// Read with a streaming reader (no recursion, whatever the depth). Null when nothing was cut or the body is not JSON.
    /// </summary>
    private static (byte[] Body, Dictionary<int, (string Text, int Levels)> Deep)? CutDeepItems(ReadOnlySpan<byte> body)
    {
        var deep = new Dictionary<int, (string, int)>();
        var ranges = new List<(int Start, int End)>();
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = body.Length + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth != 1 || reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }
                var isBatch = reader.ValueTextEquals("batch"u8);
                reader.Read();
                if (!isBatch || reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }
                var index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var start = (int)reader.TokenStartIndex;
                    var itemDepth = reader.CurrentDepth;
                    var deepest = itemDepth;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        while (reader.Read() && !(reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == itemDepth))
                        {
                            deepest = Math.Max(deepest, reader.CurrentDepth);
                        }
                    }
                    var levels = deepest - itemDepth + 1;
                    if (levels > DeepItemLevels)
                    {
                        var end = (int)reader.BytesConsumed;
                        ranges.Add((start, end));
                        deep[index] = (Encoding.UTF8.GetString(body[start..end]), levels);
                    }
                    index++;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        if (ranges.Count == 0)
        {
            return null;
        }
        var reduced = new List<byte>(body.Length);
        var at = 0;
        foreach (var (start, end) in ranges)
        {
            reduced.AddRange(body[at..start]);
            reduced.AddRange("null"u8);
            at = end;
        }
        reduced.AddRange(body[at..]);
        return (reduced.ToArray(), deep);
    }

    private static string? UnreadableOutsideBatch(JsonElement root, bool isBatch)
    {
        if (!isBatch)
        {
            return MessageShape.UnreadableJson(root);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!IsReadable(property, out var name))
            {
                return "a property name of the request is not valid text";
            }
            if (!names.Add(name!))
            {
                return $"\"{name}\" appears twice in the request";
            }
            if (name != "batch" && MessageShape.UnreadableJson(property.Value, name!) is { } problem)
            {
                return problem;
            }
        }
        return null;
    }

    private static bool IsReadable(JsonProperty property, out string? name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = null;
            return false;
        }
    }

    /// <summary>One item of a batch: read, or rejected with its reason (and kept as it arrived) when it cannot be.</summary>
    private static IncomingMessage ReadItem(JsonElement item, BatchDefaults shared, DateTime receivedAt, IReadOnlySet<string>? identifierKeys)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return Rejected("unknown", MessageShape.StorableText(item), receivedAt, "A batch item must be a JSON object.");
        }
        if (MessageShape.UnreadableJson(item) is { } unreadable)
        {
            return Rejected("unknown", RedactWriteKeys(MessageShape.StorableText(item)), receivedAt, $"The message cannot be read: {unreadable}.");
        }
        var message = JsonObject.Create(item)!;
        if (WriteKeyRedaction.MayHold(item))
        {
            WriteKeyRedaction.RemoveFrom(message); // before anything is stored, rejected items too, whatever its spelling
        }
        var type = (message["type"] as JsonValue)?.TryGetValue(out string? t) == true ? t.ToLowerInvariant() : null;
        if (type is null || !MessageTypes.Contains(type))
        {
            return Rejected("unknown", message.ToJsonString(StoredJson.Options), receivedAt,
                type is null ? "A batch item needs a \"type\" (identify, track, page, screen, group or alias)." : $"Unknown message type \"{type}\".");
        }
        return Read(message, type, shared, receivedAt, identifierKeys: identifierKeys);
    }

    /// <summary>
    /// Reads one tracking message (also used for NDJSON file lines), whose text is readable
    /// (<see cref="MessageShape.UnreadableJson"/>) and whose write keys were removed (<see cref="WriteKeyRedaction.RemoveFrom"/>,
    /// as were those of <paramref name="shared"/>): its fields are checked and coerced
    /// (<see cref="MessageShape.Check"/>), its event time worked out.
    /// </summary>
    public static IncomingMessage Read(JsonObject message, string type, BatchDefaults? shared, DateTime receivedAt, int? lineNumber = null,
        IReadOnlySet<string>? identifierKeys = null)
    {
        if (shared is not null)
        {
            MergeMissing(message, "context", shared.Context);
            MergeMissing(message, "integrations", shared.Integrations);
            if (message["sentAt"] is null && shared.SentAt is not null)
            {
                message["sentAt"] = shared.SentAt.DeepClone();
            }
        }
        message["type"] = type;
        var error = MessageShape.Check(message, type, identifierKeys);
        if (message["messageId"] is null)
        {
            message["messageId"] = "ps-" + Guid.CreateVersion7().ToString("N");
        }
        message["receivedAt"] = receivedAt.ToString("O", CultureInfo.InvariantCulture);

        var eventAt = receivedAt;
        error ??= Validate(message, type, out eventAt, receivedAt);
        var payload = message.ToJsonString(StoredJson.Options);
        // Stored escaped (6 bytes for an é): only a message whose stored text passes the limit is measured as sent.
        if (error is null && Encoding.UTF8.GetByteCount(payload) > TrackingLimits.MaxMessageBytes
            && TrackingLimits.SizeAsSent(payload) is var size && size > TrackingLimits.MaxMessageBytes)
        {
            error = $"The message is {size / 1024.0:N1} KB; the limit is {TrackingLimits.MaxMessageBytes / 1024} KB.";
        }
        var messageId = message["messageId"] is JsonValue id && id.TryGetValue(out string? text) ? text : null;
        return new IncomingMessage(type, messageId, eventAt, payload, error, lineNumber);
    }

    private static IncomingMessage Rejected(string type, string payload, DateTime receivedAt, string error) =>
        new(type, null, receivedAt, payload, error);

    /// <summary>What the message type needs, and the event time; the fields' shapes are already checked.</summary>
    private static string? Validate(JsonObject m, string type, out DateTime eventAt, DateTime receivedAt)
    {
        MessageShape.TryReadTime(m["timestamp"], "timestamp", out var timestamp, out _);
        MessageShape.TryReadTime(m["originalTimestamp"], "originalTimestamp", out var originalTimestamp, out _);
        MessageShape.TryReadTime(m["sentAt"], "sentAt", out var sentAt, out _);
        eventAt = EventTime(timestamp, originalTimestamp, sentAt, receivedAt);
        if (MessageShape.EventTimeProblem(eventAt, receivedAt) is { } timeProblem)
        {
            eventAt = receivedAt;
            return timeProblem;
        }

        var userId = Text(m, "userId");
        var anonymousId = Text(m, "anonymousId");
        switch (type)
        {
            case "alias":
                if (Text(m, "previousId") is null || userId is null)
                {
                    return "An alias needs both \"previousId\" and \"userId\".";
                }
                return null;
            case "track" when Text(m, "event") is null:
                return "A track call needs an \"event\" name.";
            case "group" when Text(m, "groupId") is null:
                return "A group call needs a \"groupId\".";
        }
        return userId is null && anonymousId is null ? "Every message needs a \"userId\" or an \"anonymousId\"." : null;
    }

    /// <summary>
    /// Segment's rule: a <c>timestamp</c> (set by a server library or the caller) is used as given;
    /// else <c>originalTimestamp</c> (the device's clock) with the device's clock skew removed,
    /// <c>receivedAt − (sentAt − originalTimestamp)</c>, when that skew is larger than
    /// <see cref="MaxNetworkLatency"/>; else <c>sentAt</c>; else the receive time. Never overflows.
    /// </summary>
    public static DateTime EventTime(DateTime? timestamp, DateTime? originalTimestamp, DateTime? sentAt, DateTime receivedAt)
    {
        if (timestamp is { } given)
        {
            return given;
        }
        if (originalTimestamp is { } original)
        {
            if (sentAt is not { } sent || (receivedAt - sent) is var skew && skew.Duration() <= MaxNetworkLatency)
            {
                return original;
            }
            return skew > TimeSpan.Zero
                ? (original <= DateTime.MaxValue - skew ? original + skew : original)
                : (original >= DateTime.MinValue - skew ? original + skew : original);
        }
        return sentAt ?? receivedAt;
    }

    private static string? Text(JsonObject m, string field) =>
        m[field] is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) ? s : null;

    private static void MergeMissing(JsonObject message, string field, JsonObject? defaults)
    {
        if (defaults is null || defaults.Count == 0)
        {
            return;
        }
        if (message[field] is not JsonObject target)
        {
            if (message[field] is not null)
            {
                return; // not an object: validation reports it
            }
            target = new JsonObject();
            message[field] = target;
        }
        foreach (var (key, value) in defaults)
        {
            if (!target.ContainsKey(key))
            {
                target[key] = value?.DeepClone();
            }
        }
    }
}

/// <summary>The batch-level fields that apply to every item of a batch.</summary>
public sealed record BatchDefaults(JsonObject? Context, JsonObject? Integrations, JsonNode? SentAt);
