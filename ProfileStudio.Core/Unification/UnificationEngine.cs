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
        var extracted = IdentityExtractor.Extract(payload, graph.Rules);
        foreach (var dropped in extracted.Where(e => e.Key is null))
        {
            changes.Insights.Add(Insight(message, InsightKinds.Blocked, null, dropped.DroppedBecause!, dropped.Namespace, dropped.Raw));
        }
        var keys = extracted.Where(e => e.Key is not null).Select(e => e.Key!.Value).ToList();
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

        switch (message.Type)
        {
            case "identify":
                if (payload["traits"] is JsonObject traits)
                {
                    foreach (var (key, value) in Flatten(traits))
                    {
                        SetAttribute(changes, new ProfileAttribute
                        {
                            ProfileId = profileId, SourceId = message.SourceId, Key = key,
                            ValueJson = value?.ToJsonString(), EventAt = message.EventAt, MessageId = message.Id,
                        });
                    }
                }
                break;
            case "track" or "page" or "screen" or "group":
                changes.Events.Add(new ProfileEvent
                {
                    ProfileId = profileId,
                    MessageId = message.Id,
                    SourceId = message.SourceId,
                    Type = message.Type,
                    Name = EventName(message.Type, payload),
                    EventAt = message.EventAt,
                    // A group call (the person joined a group, e.g. a company account) keeps the group's
                    // traits, which are not the person's attributes.
                    PropertiesJson = (payload[message.Type == "group" ? "traits" : "properties"] as JsonObject)?.ToJsonString() ?? "{}",
                });
                break;
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
            var touched = changes.Touched.GetValueOrDefault(profileId);
            changes.Touched[profileId] = (Max(touched.At, message.EventAt), message.Id);
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
            var current = changes.Touched.GetValueOrDefault(survivor);
            changes.Touched[survivor] = (Max(current.At, last.At), Math.Max(current.MessageId, last.MessageId));
        }
        foreach (var (key, record) in changes.Identities)
        {
            record.ProfileId = graph.ProfileOf(key) ?? 0;
        }
    }

    private static string EventName(string type, JsonObject payload) => type switch
    {
        "track" => (string?)payload["event"] ?? "",
        "group" => Text(payload["groupId"]) ?? "",
        _ => (string?)payload["name"] ?? (string?)payload["properties"]?["path"] ?? (type == "page" ? "Page" : "Screen"),
    };

    /// <summary>A JSON string or number as text (a group id may be either).</summary>
    private static string? Text(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue(out string? text) ? text : value.ToJsonString()
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
}
