using System.Text.Json;
using System.Text.Json.Nodes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// Turns lake messages into profile changes, in lake order, against the identity graph: identifiers
/// extracted, normalized and resolved; <c>identify</c> traits become attribute fragments of the
/// message's source at its event time; <c>track</c>/<c>page</c>/<c>screen</c> become timeline events,
/// and so does <c>group</c> (the group id as its name, the group's traits as its properties);
/// every decision (new profile, merge, refusal, blocked value, device moved) becomes an insight.
/// No storage and no clock: the same messages give the same changes.
/// A <paramref name="scope"/> limits the engine to some identifiers (replaying one profile's
/// component for a split): identifiers outside it are ignored, and messages with none are skipped.
/// </summary>
public sealed class UnificationEngine(IdentityGraph graph, IReadOnlySet<IdentityKey>? scope = null)
{
    public IdentityGraph Graph => graph;

    public UnificationChanges Process(IEnumerable<RawMessage> messages)
    {
        var changes = new UnificationChanges();
        foreach (var message in messages)
        {
            changes.Messages++;
            changes.LastMessageId = message.Id;
            if (message.Status != MessageStatus.Accepted)
            {
                continue;
            }
            Process(message, changes);
        }
        Canonicalize(changes);
        return changes;
    }

    private void Process(RawMessage message, UnificationChanges changes)
    {
        JsonObject payload;
        try
        {
            payload = JsonNode.Parse(message.Payload) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            changes.Insights.Add(Insight(message, InsightKinds.Unidentified, null, $"the stored message is not a JSON object: {ex.Message}"));
            return;
        }
        // Everything the message says is read before the graph changes, so a message that cannot be
        // read is set aside with the reason and leaves the graph as it was; the run goes on.
        MessageContent content;
        try
        {
            content = MessageContent.Read(message, payload, graph.Rules);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            changes.SetAside.Add(new SetAsideMessage { MessageId = message.Id, Reason = $"unification could not read the message: {ex.Message}" });
            return;
        }

        foreach (var dropped in content.Identifiers.Where(e => e.Key is null))
        {
            changes.Insights.Add(Insight(message, InsightKinds.Blocked, null, dropped.DroppedBecause!, dropped.Namespace, dropped.Raw));
        }
        var keys = content.Identifiers.Where(e => e.Key is not null).Select(e => e.Key!.Value).ToList();
        if (scope is not null)
        {
            keys.RemoveAll(k => !scope.Contains(k));
            if (keys.Count == 0)
            {
                return;
            }
        }
        if (keys.Count == 0)
        {
            changes.Insights.Add(Insight(message, InsightKinds.Unidentified, null, "the message carries no usable identifier"));
            return;
        }

        var resolution = graph.Resolve(keys);
        Record(message, keys, resolution, changes);
        if (resolution.ProfileId is not { } profileId)
        {
            changes.Insights.Add(Insight(message, InsightKinds.Unidentified, null, "every identifier was set aside"));
            return;
        }

        foreach (var (key, valueJson) in content.Traits)
        {
            SetAttribute(changes, new ProfileAttribute
            {
                ProfileId = profileId, SourceId = message.SourceId, Key = key,
                ValueJson = valueJson, EventAt = message.EventAt, MessageId = message.Id,
            });
        }
        if (content.EventName is { } name)
        {
            changes.Events.Add(new ProfileEvent
            {
                ProfileId = profileId,
                MessageId = message.Id,
                SourceId = message.SourceId,
                Type = message.Type,
                Name = name,
                EventAt = message.EventAt,
                PropertiesJson = content.PropertiesJson,
            });
            // Only timeline events are the person's activity (the explorer's "last activity").
            var touched = changes.Touched[profileId];
            changes.Touched[profileId] = touched with { At = Max(touched.At, message.EventAt) };
        }
    }

    /// <summary>
    /// What one message contributes, read from its payload whatever shapes its fields have: a field of
    /// an unexpected JSON type is read as absent (or, for names, as its JSON text), never trusted.
    /// </summary>
    private sealed record MessageContent(IReadOnlyList<ExtractedIdentity> Identifiers, IReadOnlyList<(string Key, string? ValueJson)> Traits, string? EventName, string PropertiesJson)
    {
        public static MessageContent Read(RawMessage message, JsonObject payload, IdentityRules rules)
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
                name = ReadEventName(message.Type, payload);
                // A group call (the person joined a group, e.g. a company account) keeps the group's
                // traits, which are not the person's attributes.
                properties = (payload[message.Type == "group" ? "traits" : "properties"] as JsonObject)?.ToJsonString() ?? "{}";
            }
            return new MessageContent(identifiers, traits, name, properties);
        }
    }

    /// <summary>
    /// Records what resolving a message's identifiers did: refusals, a new profile, merges, moved
    /// devices, the identifiers and their links; then the same for identifiers a never-link rule
    /// kept apart and that were resolved on their own.
    /// </summary>
    private void Record(RawMessage message, IReadOnlyList<IdentityKey> keys, Resolution resolution, UnificationChanges changes)
    {
        foreach (var aside in resolution.SetAside)
        {
            changes.Insights.Add(Insight(message, InsightKinds.Refused, resolution.ProfileId,
                $"{aside.Key} was set aside: {aside.Reason}", aside.Key.Namespace, aside.Key.Value, graph.ProfileOf(aside.Key)));
        }
        if (resolution.ProfileId is { } profileId)
        {
            if (resolution.Created)
            {
                // A new profile is recorded on the profile itself (created, first message); insights keep the decisions.
                changes.CreatedProfiles.Add(new Profile { Id = profileId, CreatedAt = message.EventAt, UpdatedAt = message.EventAt, FirstMessageId = message.Id, LastMessageId = message.Id });
            }
            foreach (var merged in resolution.Merged)
            {
                changes.Merges.Add((merged, profileId));
                changes.Insights.Add(Insight(message, InsightKinds.Merged, profileId,
                    $"profile {merged} merged into {profileId}: {string.Join(", ", keys)} seen together", otherProfile: merged));
            }
            // Anonymous browsing that becomes a identified person (the login after browsing) is the merge people look for.
            var identified = resolution.Added.Where(k => graph.Rules.Find(k.Namespace) is { IsDevice: false }).ToList();
            if (!resolution.Created && resolution.Merged.Count == 0 && identified.Count > 0
                && graph.IdentitiesOf(profileId).All(k => identified.Contains(k) || graph.Rules.Find(k.Namespace) is { IsDevice: true }))
            {
                var devices = graph.IdentitiesOf(profileId).Where(k => !identified.Contains(k)).Select(k => k.ToString()).Order(StringComparer.Ordinal).ToList();
                changes.Insights.Add(Insight(message, InsightKinds.Merged, profileId,
                    $"the anonymous history of profile {profileId} ({string.Join(", ", devices)}) now belongs to {string.Join(", ", identified)}: seen together",
                    identified[0].Namespace, identified[0].Value));
            }
            foreach (var (key, from) in resolution.Reassigned)
            {
                changes.Insights.Add(Insight(message, InsightKinds.Reassigned, profileId,
                    $"{key} moved from profile {from} to {profileId}: the device's latest sign-in", key.Namespace, key.Value, from));
            }

            var members = keys.Where(k => graph.ProfileOf(k) == profileId).ToList();
            foreach (var key in members)
            {
                if (changes.Identities.TryGetValue(key, out var known))
                {
                    known.LastMessageId = message.Id;
                    known.LastSeenAt = Max(known.LastSeenAt, message.EventAt);
                }
                else
                {
                    changes.Identities[key] = new IdentityRecord
                    {
                        Namespace = key.Namespace, Value = key.Value, SourceId = message.SourceId,
                        FirstMessageId = message.Id, LastMessageId = message.Id, FirstSeenAt = message.EventAt, LastSeenAt = message.EventAt,
                    };
                }
            }
            // Edges from the message's strongest identifier to each other one: who was seen with whom, by which source.
            for (var i = 1; i < members.Count; i++)
            {
                var edge = (members[0], members[i]);
                if (changes.Links.TryGetValue(edge, out var link))
                {
                    link.LastSeenAt = Max(link.LastSeenAt, message.EventAt);
                }
                else
                {
                    changes.Links[edge] = new IdentityLink { SourceId = message.SourceId, FirstMessageId = message.Id, FirstSeenAt = message.EventAt, LastSeenAt = message.EventAt };
                }
            }
            changes.Touched[profileId] = changes.Touched.TryGetValue(profileId, out var touched)
                ? (Min(touched.FirstAt, message.EventAt), touched.At, message.Id)
                : (message.EventAt, DateTime.MinValue, message.Id);
        }
        foreach (var detached in resolution.Detached)
        {
            Record(message, resolution.SetAside.Where(a => a.NeverLink).Select(a => a.Key).ToList(), detached, changes);
        }
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

    /// <summary>Keeps the newest value per (profile, source, key) (see <see cref="ProfileAttribute.Supersedes"/>).</summary>
    private static void SetAttribute(UnificationChanges changes, ProfileAttribute attribute)
    {
        var slot = (attribute.ProfileId, attribute.SourceId, attribute.Key);
        if (!changes.Attributes.TryGetValue(slot, out var current) || attribute.Supersedes(current))
        {
            changes.Attributes[slot] = attribute;
        }
    }

    /// <summary>Moves what the run attached to profiles that were merged later in the same run onto the survivors.</summary>
    private void Canonicalize(UnificationChanges changes)
    {
        var attributes = changes.Attributes.Values.ToList();
        changes.Attributes.Clear();
        foreach (var attribute in attributes)
        {
            attribute.ProfileId = graph.Canonical(attribute.ProfileId);
            SetAttribute(changes, attribute);
        }
        foreach (var e in changes.Events)
        {
            e.ProfileId = graph.Canonical(e.ProfileId);
        }
        var touched = changes.Touched.ToList();
        changes.Touched.Clear();
        foreach (var (profile, last) in touched)
        {
            var survivor = graph.Canonical(profile);
            changes.Touched[survivor] = changes.Touched.TryGetValue(survivor, out var current)
                ? (Min(current.FirstAt, last.FirstAt), Max(current.At, last.At), Math.Max(current.MessageId, last.MessageId))
                : last;
        }
        foreach (var (key, record) in changes.Identities)
        {
            record.ProfileId = graph.ProfileOf(key) ?? 0;
        }
    }

    private static string ReadEventName(string type, JsonObject payload) => type switch
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

    private static IdentityInsight Insight(RawMessage message, string kind, long? profileId, string detail,
        string? ns = null, string? value = null, long? otherProfile = null) => new()
    {
        At = message.ReceivedAt,
        Kind = kind,
        ProfileId = profileId,
        OtherProfileId = otherProfile,
        Namespace = ns,
        Value = value,
        MessageId = message.Id,
        SourceId = message.SourceId,
        Detail = detail,
    };

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
}
