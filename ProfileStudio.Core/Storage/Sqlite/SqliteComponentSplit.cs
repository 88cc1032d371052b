using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// Recomputes one profile's part of the graph after an administrator removed an identity or ruled
/// two identities never to link. The part is closed over the lake: every message carrying one of
/// its identities, every identity those messages carry, and the profiles holding them (a device
/// that moved to another person brings that person in). Those messages are replayed in lake order
/// through a fresh graph under the current rules (never-link rules included) that only sees the
/// part's identities, which gives exactly what a rebuild from the lake would give for them. Each
/// resulting profile gets the attributes and events of the messages resolved to it; the split-off
/// identity's profile gets a new id, the others keep the oldest id among theirs. Written in one
/// transaction; the caller restores its in-memory graph afterwards.
/// </summary>
public sealed class SqliteComponentSplit(SqliteConnection reading, SqliteUnificationStore store)
{
    /// <summary>Above this many profiles a split is refused: a rebuild recomputes everything instead.</summary>
    public const int MaxProfiles = 5_000;

    private const int ScanChunk = 20_000;

    /// <summary>
    /// Recomputes the profile. The part holding <paramref name="splitOff"/> (the identity an
    /// administrator removed) gets a new id; otherwise the part with the oldest data keeps the id.
    /// </summary>
    public SplitOutcome Run(long profileId, IdentityRules rules, long checkpoint, DateTime now, IdentityKey? splitOff = null, Action<long, long>? progress = null)
    {
        var owners = new Dictionary<IdentityKey, long>();
        var first = long.MaxValue;
        foreach (var (key, owner, firstMessage) in ReadIdentities([profileId]))
        {
            owners[key] = owner;
            first = Math.Min(first, firstMessage);
        }
        if (owners.Count == 0)
        {
            return new SplitOutcome(profileId, [], []);
        }

        // Close the part over the lake: messages carrying its identities bring their other identities and those identities' profiles.
        var scope = owners.Keys.ToHashSet();
        var profiles = new HashSet<long> { profileId };
        List<RawMessage> messages;
        while (true)
        {
            (messages, var carried) = MessagesCarrying(scope, first, checkpoint, rules, progress);
            var before = scope.Count;
            scope.UnionWith(carried);
            var newProfiles = LookUpProfiles(carried).Concat(CreatedBy(messages)).Where(p => !profiles.Contains(p)).Distinct().ToList();
            if (newProfiles.Count > 0)
            {
                profiles.UnionWith(newProfiles);
                if (profiles.Count > MaxProfiles)
                {
                    throw new InvalidOperationException($"Splitting profile {profileId} would recompute more than {MaxProfiles:N0} profiles; re-run unification (rebuild) instead.");
                }
                foreach (var (key, owner, firstMessage) in ReadIdentities(newProfiles))
                {
                    owners[key] = owner;
                    scope.Add(key);
                    first = Math.Min(first, firstMessage);
                }
            }
            if (scope.Count == before && newProfiles.Count == 0)
            {
                break;
            }
        }

        var neverLink = store.ReadNeverLinks().Where(p => scope.Contains(p.A) && scope.Contains(p.B));
        var graph = IdentityGraph.Restore(rules, [], [], neverLink);
        var replay = new UnificationEngine(graph, scope, store.Pipeline).Process(messages);

        // Parts in the order they were created; the split-off identity's part last, so it does not take an existing id.
        var splitOffPart = splitOff is { } removed ? graph.ProfileOf(removed) : null;
        var parts = replay.CreatedProfiles.Where(p => graph.Canonical(p.Id) == p.Id)
            .OrderBy(p => p.Id == splitOffPart && replay.CreatedProfiles.Count > 1).ThenBy(p => p.FirstMessageId).ToList();
        var ids = new Dictionary<long, long>();
        var nextId = NextProfileId();
        foreach (var part in parts)
        {
            var formerIds = replay.Identities.Keys.Where(k => graph.ProfileOf(k) == part.Id && owners.ContainsKey(k))
                .Select(k => owners[k]).Where(id => !ids.ContainsValue(id)).Order().ToList();
            ids[part.Id] = part.Id == splitOffPart && parts.Count > 1 || formerIds.Count == 0 ? nextId++ : formerIds[0];
        }

        var changes = new UnificationChanges { LastMessageId = checkpoint };
        foreach (var part in parts)
        {
            changes.CreatedProfiles.Add(new Profile
            {
                Id = ids[part.Id], CreatedAt = part.CreatedAt, UpdatedAt = part.UpdatedAt,
                FirstMessageId = part.FirstMessageId, LastMessageId = part.LastMessageId,
            });
        }
        foreach (var (key, record) in replay.Identities)
        {
            record.ProfileId = ids[graph.ProfileOf(key)!.Value];
            changes.Identities[key] = record;
        }
        foreach (var (edge, link) in replay.Links.Where(l => graph.ProfileOf(l.Key.From) == graph.ProfileOf(l.Key.To)))
        {
            changes.Links[edge] = link;
        }
        foreach (var attribute in replay.Attributes.Values)
        {
            attribute.ProfileId = ids[attribute.ProfileId];
            changes.Attributes[(attribute.ProfileId, attribute.SourceId, attribute.Key)] = attribute;
        }
        foreach (var e in replay.Events)
        {
            e.ProfileId = ids[e.ProfileId];
            changes.Events.Add(e);
        }
        foreach (var (profile, touched) in replay.Touched)
        {
            changes.Touched[ids[profile]] = touched;
        }

        // Stages registered after the built-in ones (computed attributes, …) run again over the parts as remapped above.
        foreach (var stage in store.Pipeline.Stages.Skip(UnificationPipeline.Default.Stages.Count))
        {
            changes.Add(stage.Process(new UnificationRun(messages, graph, scope, changes)));
        }

        var outcome = new SplitOutcome(profileId,
            parts.Select(p => new SplitPart(ids[p.Id], replay.Identities.Keys.Where(k => graph.ProfileOf(k) == p.Id).OrderBy(k => k.Namespace).ThenBy(k => k.Value).ToList()))
                .OrderBy(p => p.ProfileId != profileId).ThenBy(p => p.ProfileId).ToList(),
            owners.Keys.Where(k => !replay.Identities.ContainsKey(k)).OrderBy(k => k.Namespace).ThenBy(k => k.Value).ToList());
        foreach (var part in outcome.Parts.Where(p => !profiles.Contains(p.ProfileId)))
        {
            changes.Insights.Add(new IdentityInsight
            {
                At = now, Kind = InsightKinds.Split, ProfileId = part.ProfileId, OtherProfileId = profileId,
                Detail = $"profile {part.ProfileId} split off from {profileId}: {string.Join(", ", part.Identities)}",
            });
        }
        if (outcome.Parts.All(p => profiles.Contains(p.ProfileId)))
        {
            changes.Insights.Add(new IdentityInsight { At = now, Kind = InsightKinds.Split, ProfileId = profileId, Detail = outcome.Describe() });
        }

        // Former profiles no part kept now redirect to the profile that holds their first identity.
        var redirects = profiles.Where(p => !ids.ContainsValue(p)).ToDictionary(p => p, p =>
            owners.Where(o => o.Value == p && changes.Identities.ContainsKey(o.Key)).Select(o => changes.Identities[o.Key].ProfileId).FirstOrDefault());

        foreach (var part in outcome.Parts)
        {
            changes.Feed.Add(new ChangeFeed.ProfileChange { ProfileId = part.ProfileId, Kinds = ChangeFeed.ProfileChangeKinds.Split, OtherProfileId = part.ProfileId == profileId ? null : profileId });
        }
        foreach (var (from, into) in redirects.Where(r => r.Value != 0))
        {
            changes.Feed.Add(new ChangeFeed.ProfileChange { ProfileId = into, Kinds = ChangeFeed.ProfileChangeKinds.Merged, OtherProfileId = from });
        }
        // A former profile left with none of its identities (its device moved to another person) keeps its id
        // but loses what the replay gave to others: consumers hear of it like of a part.
        foreach (var emptied in redirects.Where(r => r.Value == 0).Select(r => r.Key))
        {
            changes.Feed.Add(new ChangeFeed.ProfileChange { ProfileId = emptied, Kinds = ChangeFeed.ProfileChangeKinds.Split, OtherProfileId = emptied == profileId ? null : profileId });
        }
        var t = store.T;
        store.Apply(changes, now, transaction =>
        {
            foreach (var profile in profiles)
            {
                // Every per-profile table clears what the replay writes again, as the register says.
                foreach (var table in ProfileOwnedData.Tables)
                {
                    if (table.ClearForSplit is { } clear)
                    {
                        store.Execute(transaction, clear(t), ("$p", profile));
                    }
                }
                if (ids.ContainsValue(profile))
                {
                    store.Execute(transaction, $"DELETE FROM {t.Profiles} WHERE Id = $p", ("$p", profile));
                }
            }
            foreach (var (from, into) in redirects.Where(r => r.Value != 0))
            {
                store.Execute(transaction, $"UPDATE {t.Profiles} SET MergedIntoId = $into WHERE MergedIntoId = $from", ("$from", from), ("$into", into));
                store.Execute(transaction, $"UPDATE {t.Profiles} SET MergedIntoId = $into WHERE Id = $from", ("$from", from), ("$into", into));
            }
        });
        return outcome;
    }

    /// <summary>The identities of some profiles, with the profile and the first message each was seen in.</summary>
    private List<(IdentityKey Key, long Profile, long FirstMessage)> ReadIdentities(IEnumerable<long> profiles)
    {
        var identities = new List<(IdentityKey, long, long)>();
        using var command = store.Connection.CreateCommand();
        command.CommandText = $"SELECT Namespace, Value, ProfileId, FirstMessageId FROM {store.T.Identities} WHERE ProfileId = $p";
        var parameter = command.Parameters.Add("$p", SqliteType.Integer);
        foreach (var profile in profiles)
        {
            parameter.Value = profile;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                identities.Add((new IdentityKey(reader.GetString(0), reader.GetString(1)), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }
        return identities;
    }

    /// <summary>The profiles that hold some identities now.</summary>
    private HashSet<long> LookUpProfiles(IEnumerable<IdentityKey> keys)
    {
        var found = new HashSet<long>();
        using var command = store.Connection.CreateCommand();
        command.CommandText = $"SELECT ProfileId FROM {store.T.Identities} WHERE Namespace = $ns AND Value = $v";
        var ns = command.Parameters.Add("$ns", SqliteType.Text);
        var value = command.Parameters.Add("$v", SqliteType.Text);
        foreach (var key in keys)
        {
            ns.Value = key.Namespace;
            value.Value = key.Value;
            if (command.ExecuteScalar() is long profile)
            {
                found.Add(profile);
            }
        }
        return found;
    }

    /// <summary>Live profiles created by some of the messages (one whose identities all moved away holds only data).</summary>
    private HashSet<long> CreatedBy(List<RawMessage> messages)
    {
        var found = new HashSet<long>();
        if (messages.Count == 0)
        {
            return found;
        }
        var ids = messages.Select(m => m.Id).ToHashSet();
        using var command = store.Connection.CreateCommand();
        command.CommandText = $"SELECT Id, FirstMessageId FROM {store.T.Profiles} WHERE MergedIntoId IS NULL AND FirstMessageId BETWEEN $from AND $to";
        command.Parameters.AddWithValue("$from", messages[0].Id);
        command.Parameters.AddWithValue("$to", messages[^1].Id);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (ids.Contains(reader.GetInt64(1)))
            {
                found.Add(reader.GetInt64(0));
            }
        }
        return found;
    }

    /// <summary>Accepted lake messages up to the checkpoint that carry one of the identities, in lake order, and every usable identity they carry.</summary>
    private (List<RawMessage> Messages, HashSet<IdentityKey> Carried) MessagesCarrying(HashSet<IdentityKey> scope, long firstMessageId, long checkpoint, IdentityRules rules, Action<long, long>? progress)
    {
        using var lake = new SqliteUnificationStore(reading);
        var found = new List<RawMessage>();
        var carried = new HashSet<IdentityKey>();
        var after = firstMessageId - 1;
        while (after < checkpoint)
        {
            var chunk = lake.ReadLake(after, ScanChunk);
            if (chunk.Count == 0)
            {
                break;
            }
            foreach (var message in chunk.Where(m => m.Id <= checkpoint && m.Status == MessageStatus.Accepted))
            {
                var keys = Keys(message, rules);
                if (keys.Any(scope.Contains))
                {
                    found.Add(message);
                    carried.UnionWith(keys);
                }
            }
            after = chunk[^1].Id;
            progress?.Invoke(Math.Min(after, checkpoint) - firstMessageId + 1, checkpoint - firstMessageId + 1);
        }
        return (found, carried);
    }

    private static List<IdentityKey> Keys(RawMessage message, IdentityRules rules)
    {
        try
        {
            return JsonNode.Parse(message.Payload, documentOptions: StoredJson.DocumentOptions) is JsonObject payload
                ? IdentityExtractor.Extract(payload, rules).Where(e => e.Key is not null).Select(e => e.Key!.Value).ToList()
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private long NextProfileId()
    {
        using var command = store.Connection.CreateCommand();
        command.CommandText = $"SELECT max(coalesce((SELECT max(Id) FROM {store.T.Profiles}), 0), coalesce((SELECT max(Id) FROM DeletedProfiles), 0)) + 1";
        return (long)command.ExecuteScalar()!;
    }
}
