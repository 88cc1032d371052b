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
public static class TrackingMessageParser
{
    /// <summary>
    /// Removes write keys from a body that could not be parsed before it is kept for the debugger: the
    /// text may still carry the key however it was spelled (<c>"write\u004bey"</c>, <c>WriteKey</c>, single
    /// quotes, form encoding) and even cut off at the size limit; see <see cref="WriteKeyRedaction"/>.
    /// </summary>
    public static string RedactWriteKeys(string raw) => WriteKeyRedaction.Redact(raw);

    public static IReadOnlyList<string> MessageTypes { get; } = ["identify", "track", "page", "screen", "group", "alias"];

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

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

    public static TrackingParseResult Parse(ReadOnlySpan<byte> body, string endpoint, DateTime receivedAt)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: DocumentOptions);
        }
        catch (JsonException ex)
        {
            return TrackingParseResult.Fail($"The body is not valid JSON: {ex.Message}");
        }
        if (root is not JsonObject request)
        {
            return TrackingParseResult.Fail("The body must be a JSON object.");
        }
        var writeKey = request["writeKey"] is JsonValue key && key.TryGetValue(out string? k) ? k : null;

        if (endpoint != "batch")
        {
            request.Remove("writeKey");
            return new TrackingParseResult(new TrackingRequest(writeKey, [Read(request, endpoint, null, receivedAt)]), null);
        }

        if (request["batch"] is not JsonArray array)
        {
            return TrackingParseResult.Fail("A batch request needs a \"batch\" array of messages.");
        }
        if (array.Count > TrackingLimits.MaxBatchMessages)
        {
            return TrackingParseResult.Fail($"A batch holds at most {TrackingLimits.MaxBatchMessages:N0} messages; this one has {array.Count:N0}.");
        }
        var shared = new BatchDefaults(
            request["context"] as JsonObject,
            request["integrations"] as JsonObject,
            request["sentAt"]?.DeepClone());
        var items = array.ToList();
        array.Clear(); // detaches the items so each can be stored on its own
        var messages = new List<IncomingMessage>(items.Count);
        foreach (var item in items)
        {
            if (item is not JsonObject message)
            {
                messages.Add(Rejected("unknown", item?.ToJsonString() ?? "null", receivedAt, "A batch item must be a JSON object."));
                continue;
            }
            message.Remove("writeKey"); // before anything is stored, rejected items too
            var type = (message["type"] as JsonValue)?.TryGetValue(out string? t) == true ? t.ToLowerInvariant() : null;
            if (type is null || !MessageTypes.Contains(type))
            {
                messages.Add(Rejected("unknown", message.ToJsonString(), receivedAt,
                    type is null ? "A batch item needs a \"type\" (identify, track, page, screen, group or alias)." : $"Unknown message type \"{type}\"."));
                continue;
            }
            messages.Add(Read(message, type, shared, receivedAt));
        }
        return new TrackingParseResult(new TrackingRequest(writeKey, messages), null);
    }

    /// <summary>Reads one tracking message (also used for NDJSON file lines).</summary>
    public static IncomingMessage Read(JsonObject message, string type, BatchDefaults? shared, DateTime receivedAt, int? lineNumber = null)
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
        NormalizeId(message, "userId");
        NormalizeId(message, "anonymousId");
        NormalizeId(message, "messageId");
        if (message["messageId"] is null)
        {
            message["messageId"] = "ps-" + Guid.CreateVersion7().ToString("N");
        }
        message["receivedAt"] = receivedAt.ToString("O", CultureInfo.InvariantCulture);

        var error = Validate(message, type, out var eventAt, receivedAt);
        var payload = message.ToJsonString();
        var size = Encoding.UTF8.GetByteCount(payload);
        if (error is null && size > TrackingLimits.MaxMessageBytes)
        {
            error = $"The message is {size / 1024.0:N1} KB; the limit is {TrackingLimits.MaxMessageBytes / 1024} KB.";
        }
        var messageId = (string?)message["messageId"];
        return new IncomingMessage(type, messageId, eventAt, payload, error, lineNumber);
    }

    private static IncomingMessage Rejected(string type, string payload, DateTime receivedAt, string error) =>
        new(type, null, receivedAt, payload, error);

    private static string? Validate(JsonObject m, string type, out DateTime eventAt, DateTime receivedAt)
    {
        eventAt = receivedAt;
        foreach (var field in new[] { "userId", "anonymousId", "previousId", "groupId" })
        {
            if (m[field] is { } v && v.GetValueKind() != JsonValueKind.String)
            {
                return $"\"{field}\" must be a string.";
            }
        }
        foreach (var field in new[] { "context", "traits", "properties", "integrations" })
        {
            if (m[field] is { } v && v.GetValueKind() is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                return $"\"{field}\" must be a JSON object.";
            }
        }
        if (!TryReadTime(m, "timestamp", out var timestamp, out var timeError)
            || !TryReadTime(m, "originalTimestamp", out var originalTimestamp, out timeError)
            || !TryReadTime(m, "sentAt", out var sentAt, out timeError))
        {
            return timeError;
        }
        eventAt = EventTime(timestamp, originalTimestamp, sentAt, receivedAt);

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
    /// <c>timestamp</c>, else <c>originalTimestamp</c>, else <c>sentAt</c>, else the receive time. When the
    /// client also sent <c>sentAt</c>, its clock skew is removed: receivedAt − (sentAt − timestamp).
    /// </summary>
    public static DateTime EventTime(DateTime? timestamp, DateTime? originalTimestamp, DateTime? sentAt, DateTime receivedAt)
    {
        var reference = timestamp ?? originalTimestamp;
        if (reference is { } r && sentAt is { } s)
        {
            return receivedAt - (s - r);
        }
        return reference ?? sentAt ?? receivedAt;
    }

    private static bool TryReadTime(JsonObject m, string field, out DateTime? value, out string? error)
    {
        value = null;
        error = null;
        var node = m[field];
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            return true;
        }
        if (node.GetValueKind() == JsonValueKind.String
            && DateTimeOffset.TryParse((string?)node, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed.UtcDateTime;
            return true;
        }
        error = $"\"{field}\" is not an ISO-8601 date: {node.ToJsonString()}.";
        return false;
    }

    private static string? Text(JsonObject m, string field) =>
        m[field] is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) ? s : null;

    // Clients send numeric ids now and then; Segment treats them as strings, and so do we.
    private static void NormalizeId(JsonObject m, string field)
    {
        if (m[field] is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            m[field] = v.ToJsonString();
        }
        else if (m[field] is JsonValue n && n.GetValueKind() == JsonValueKind.Null)
        {
            m.Remove(field);
        }
    }

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
