using System.Text.Json;
using System.Text.Json.Nodes;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Core.Unification.Stages;

/// <summary>
/// What one message contributes, read from its payload whatever shapes its fields have: a field of an
/// unexpected JSON type is read as absent (or, for names, as its JSON text), never trusted.
/// </summary>
public sealed record MessageContent(IReadOnlyList<ExtractedIdentity> Identifiers, IReadOnlyList<(string Key, string? ValueJson)> Traits, string? EventName, string PropertiesJson);

/// <summary>A message as the read stage found it: its content, or why it carries nothing usable (kept as an insight).</summary>
public sealed record MessageRead(RawMessage Message, MessageContent? Content, string? Unreadable);

/// <summary>The read stage's changes: each accepted message read, and the messages set aside because they could not be.</summary>
public sealed class MessageReadChanges : IStageChanges, IRunScopedChanges
{
    /// <summary>Each message read, for the later stages of the run (emptied once they ran: see <see cref="IRunScopedChanges"/>).</summary>
    public List<MessageRead> Messages { get; private set; } = [];

    public List<SetAsideMessage> SetAside { get; } = [];

    public void Describe(ProfileChangeMarks marks)
    {
    }

    public void ReleaseRunData() => Messages = [];
}

/// <summary>
/// Stage 1: reads each accepted message (identifiers extracted and normalized, blocked values
/// dropped with the reason, traits flattened, the event named) before anything changes, so a message
/// that cannot be read is set aside with the reason and the run goes on without it.
/// </summary>
public sealed class MessageReadStage : IUnificationStage
{
    public IStageChanges Process(UnificationRun run)
    {
        var changes = new MessageReadChanges();
        foreach (var message in run.Messages)
        {
            if (message.Status != MessageStatus.Accepted)
            {
                continue;
            }
            JsonObject payload;
            try
            {
                payload = JsonNode.Parse(message.Payload, documentOptions: StoredJson.DocumentOptions) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException ex)
            {
                // Ingestion stores only objects it could read: one that cannot be read now is set aside, visible with its reason.
                changes.SetAside.Add(new SetAsideMessage { MessageId = message.Id, Reason = $"unification could not read the stored message as a JSON object: {ex.Message}" });
                continue;
            }
            try
            {
                changes.Messages.Add(new MessageRead(message, Read(message, payload, run.Graph.Rules), null));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                changes.SetAside.Add(new SetAsideMessage { MessageId = message.Id, Reason = $"unification could not read the message: {ex.Message}" });
            }
        }
        return changes;
    }

    private static MessageContent Read(RawMessage message, JsonObject payload, IdentityRules rules)
    {
        var identifiers = IdentityExtractor.Extract(payload, rules);
        var traits = new List<(string, string?)>();
        if (message.Type == "identify" && payload["traits"] is JsonObject traitsObject)
        {
            foreach (var (key, value) in Flatten(traitsObject))
            {
                traits.Add((key, value?.ToJsonString()));
            }
        }
        string? name = null;
        var properties = "{}";
        if (message.Type is "track" or "page" or "screen" or "group")
        {
            name = EventName(message.Type, payload);
            // A group call (the person joined a group, e.g. a company account) keeps the group's
            // traits, which are not the person's attributes.
            properties = (payload[message.Type == "group" ? "traits" : "properties"] as JsonObject)?.ToJsonString() ?? "{}";
        }
        return new MessageContent(identifiers, traits, name, properties);
    }

    /// <summary>Nested traits become dotted keys (address.city); arrays and scalars are values; null removes.</summary>
    public static IEnumerable<(string Key, JsonNode? Value)> Flatten(JsonObject traits, string prefix = "")
    {
        foreach (var (name, value) in traits)
        {
            var key = prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (value is JsonObject nested && nested.Count > 0)
            {
                foreach (var inner in Flatten(nested, key))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return (key, value);
            }
        }
    }

    private static string EventName(string type, JsonObject payload) => type switch
    {
        "track" => Name(payload["event"]) ?? "",
        "group" => Name(payload["groupId"]) ?? "",
        _ => Name(payload["name"]) ?? IdentityExtractor.Text(IdentityExtractor.Field(payload["properties"], "path")) ?? (type == "page" ? "Page" : "Screen"),
    };

    /// <summary>A name as text: a JSON string as it is, a number or boolean as its JSON text (a group id may be a number); nothing else.</summary>
    private static string? Name(JsonNode? node) => node is JsonValue value
        ? value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.ToJsonString(),
            _ => null,
        }
        : null;
}

/// <summary>Records the messages the read stage set aside.</summary>
public sealed class SetAsideWriter : StageWriter<MessageReadChanges>
{
    protected override void Write(MessageReadChanges changes, StageWriteContext context)
    {
        foreach (var aside in changes.SetAside)
        {
            Storage.Sqlite.SqliteUnificationStore.WriteSetAside(context, aside.MessageId, aside.Reason);
        }
    }
}
