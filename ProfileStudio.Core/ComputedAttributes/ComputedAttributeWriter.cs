using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// Writes the computed-attributes stage's changes in the run's transaction. It reads the stored active
/// definitions there (the truth, whatever snapshot the stage had), and for every affected profile that
/// the definition's backfill has reached (id up to its cursor; all once the backfill is done):
/// <list type="bullet">
/// <item>combines the stored state, the parts a merge in this run brought (rows with a MergedFromId) and
/// the run's delta, prunes the buckets outside the window, and stores state, value, computed-at and
/// next expiry;</item>
/// <item>computes the state from the profile's timeline instead when the delta cannot be trusted: the stage
/// did not know this version of the definition, a stored row is of another version, or a profile merged in
/// was not backfilled yet (its events were counted nowhere).</item>
/// </list>
/// Profiles beyond the cursor are left to the backfill, which reads their whole timeline (this run's events
/// included) later: each event is counted exactly once. The change feed gets <c>Computed</c> for every
/// profile whose value changed.
/// </summary>
public sealed class ComputedAttributeWriter(int distinctLimit = ComputedAggregator.DefaultDistinctLimit) : StageWriter<ComputedChanges>
{
    private readonly ConcurrentDictionary<(int Id, int Version), ComputedAggregator> _aggregators = new();

    public ComputedAggregator Aggregator(ComputedAttributeSpec spec) =>
        _aggregators.GetOrAdd((spec.Id, spec.Version), _ => new ComputedAggregator(spec, distinctLimit));

    protected override void Write(ComputedChanges changes, StageWriteContext context)
    {
        var definitions = StoredDefinition.ReadActive(sql => context.Query(sql));
        if (definitions.Count == 0)
        {
            return;
        }
        // A rebuild's shadow store replays the whole lake through the stage: every profile there is "backfilled".
        var shadow = context.T != ProfileTables.Live;
        var cursors = definitions.Select(d => shadow ? long.MaxValue : d.Cursor).ToArray();
        // The stage's inputs count for a definition only if it read them for this version; otherwise (null here) every profile with an
        // event of its names is computed from its timeline.
        var known = definitions
            .Select(d => changes.Definitions.TryGetValue(d.Spec.Id, out var version) && version == d.Spec.Version ? Aggregator(d.Spec) : null)
            .ToArray();
        var names = definitions.Select(d => d.Spec.EventNames.ToHashSet(StringComparer.Ordinal)).ToArray();
        var profiles = new HashSet<long>(changes.Inputs.Profiles);
        if (known.Any(k => k is null))
        {
            profiles.UnionWith(changes.EventNames.Keys);
        }
        profiles.UnionWith(changes.Merged.Keys);
        var table = context.T.Name("ComputedAttributeStates");
        var events = context.T.ProfileEvents;
        var deltas = new AggregateState?[definitions.Count];
        // A chunk at a time: its stored rows and deltas are gone before the next is read.
        foreach (var chunk in profiles.Where(p => cursors.Any(c => p <= c)).Chunk(ReadChunk))
        {
            var stored = ReadRows(context, table, chunk);
            foreach (var profile in chunk)
            {
                Array.Clear(deltas);
                changes.Inputs.Fold(profile, known, deltas);
                changes.Merged.TryGetValue(profile, out var merged);
                var rows = stored.GetValueOrDefault(profile) ?? [];
                List<ComputedEvent>? timeline = null;
                for (var i = 0; i < definitions.Count; i++)
                {
                    var d = definitions[i];
                    var cursor = cursors[i];
                    if (profile > cursor)
                    {
                        continue; // the backfill reads its whole timeline later
                    }
                    var recompute = known[i] is null && changes.EventNames.TryGetValue(profile, out var seen) && seen.Overlaps(names[i]);
                    // A profile merged in that the backfill had not reached brings events no state counted.
                    recompute |= merged is not null && AnyBeyond(merged, cursor);
                    if (!recompute && deltas[i] is null && merged is null)
                    {
                        continue;
                    }
                    var aggregator = Aggregator(d.Spec);
                    // The definition's stored rows: its own (MergedFromId 0, at most one), parts a merge brought, any of another version.
                    StoredRow? own = null;
                    var parts = false;
                    var otherVersion = false;
                    foreach (var r in rows)
                    {
                        if (r.DefinitionId == d.Spec.Id)
                        {
                            own = r.MergedFromId == 0 ? r : own;
                            parts |= r.MergedFromId != 0;
                            otherVersion |= r.Version != d.Spec.Version;
                        }
                    }
                    var oldValue = own is not null && own.Version == d.Spec.Version ? own.ValueJson : null;
                    AggregateState? state;
                    if (recompute || otherVersion)
                    {
                        timeline ??= ReadTimeline(context, events, profile);
                        state = ComputedComputation.FromEvents(aggregator, timeline);
                    }
                    else
                    {
                        state = null;
                        foreach (var row in rows)
                        {
                            if (row.DefinitionId == d.Spec.Id)
                            {
                                state = Combine(aggregator, state, AggregateState.Decode(row.State));
                            }
                        }
                        if (deltas[i] is { } delta)
                        {
                            state = Combine(aggregator, state, delta);
                        }
                    }
                    var value = Store(context, table, aggregator, profile, state, parts || otherVersion, own);
                    if (value != oldValue)
                    {
                        changes.ValueChanged.Add(profile);
                    }
                }
            }
        }
    }

    private static bool AnyBeyond(List<long> profiles, long cursor)
    {
        foreach (var p in profiles)
        {
            if (p > cursor)
            {
                return true;
            }
        }
        return false;
    }

    private static AggregateState Combine(ComputedAggregator aggregator, AggregateState? into, AggregateState from)
    {
        if (into is null)
        {
            return from;
        }
        aggregator.Merge(into, from);
        return into;
    }

    /// <summary>
    /// Stores the profile's one row for the definition (or removes its rows when no event matched); returns the value.
    /// <paramref name="current"/> is its row as read in this transaction, if there is one: then the row is updated in place,
    /// and its next expiry (an indexed column) only when it moves, which spares an index update on most live writes.
    /// </summary>
    internal static string? Store(StageWriteContext context, string table, ComputedAggregator aggregator, long profile, AggregateState? state, bool clearParts,
        StoredRow? current = null)
    {
        var sql = StoreSql.For(table);
        if (state is null)
        {
            context.Statement(sql.Delete).Bind(1, profile).Bind(2, aggregator.Spec.Id).Execute();
            return null;
        }
        if (clearParts)
        {
            context.Statement(sql.DeleteParts).Bind(1, profile).Bind(2, aggregator.Spec.Id).Execute();
        }
        aggregator.Prune(state, context.Now);
        var value = aggregator.Value(state, context.Now);
        var nextExpiry = aggregator.NextExpiry(state);
        if (current is not null)
        {
            var update = current.NextExpiryAt == nextExpiry
                ? context.Statement(sql.Update)
                : context.Statement(sql.UpdateWithExpiry).Bind(7, nextExpiry);
            update.Bind(1, profile).Bind(2, aggregator.Spec.Id).Bind(3, aggregator.Spec.Version).Bind(4, state.Encode()).Bind(5, value).Bind(6, context.Now).Execute();
            return value;
        }
        context.Statement(sql.Upsert).Bind(1, profile).Bind(2, aggregator.Spec.Id).Bind(3, aggregator.Spec.Version).Bind(4, state.Encode()).Bind(5, value)
            .Bind(6, context.Now).Bind(7, nextExpiry).Execute();
        return value;
    }

    /// <summary>
    /// <see cref="Store"/>'s statements for a table (the live one or a rebuild's shadow), put together once rather than per write, and
    /// found by their <see cref="RowSql"/> objects (the table is named here, so they ignore the store's table set).
    /// </summary>
    private sealed record StoreSql(RowSql Delete, RowSql DeleteParts, RowSql Update, RowSql UpdateWithExpiry, RowSql Upsert)
    {
        private static readonly ConcurrentDictionary<string, StoreSql> Tables = new(StringComparer.Ordinal);

        public static StoreSql For(string table) => Tables.GetOrAdd(table, static t => new(
            Fixed($"DELETE FROM {t} WHERE ProfileId = ?1 AND DefinitionId = ?2"),
            Fixed($"DELETE FROM {t} WHERE ProfileId = ?1 AND DefinitionId = ?2 AND MergedFromId <> 0"),
            Fixed($"UPDATE {t} SET Version = ?3, State = ?4, ValueJson = ?5, ComputedAt = ?6 WHERE ProfileId = ?1 AND DefinitionId = ?2 AND MergedFromId = 0"),
            Fixed($"UPDATE {t} SET Version = ?3, State = ?4, ValueJson = ?5, ComputedAt = ?6, NextExpiryAt = ?7 WHERE ProfileId = ?1 AND DefinitionId = ?2 AND MergedFromId = 0"),
            Fixed($"""
                INSERT INTO {t} (ProfileId, DefinitionId, MergedFromId, Version, State, ValueJson, ComputedAt, NextExpiryAt) VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT (ProfileId, DefinitionId, MergedFromId) DO UPDATE SET Version = excluded.Version, State = excluded.State,
                    ValueJson = excluded.ValueJson, ComputedAt = excluded.ComputedAt, NextExpiryAt = excluded.NextExpiryAt
                """)));

        private static RowSql Fixed(string text) => new(_ => text);
    }

    internal sealed record StoredRow(int DefinitionId, long MergedFromId, int Version, byte[] State, string? ValueJson, DateTime? NextExpiryAt);

    /// <summary>How many profiles' stored rows one read fetches (a read per profile cost a statement each, the writer's largest share).</summary>
    private const int ReadChunk = 500;

    /// <summary>The stored rows of a chunk of profiles (at most <see cref="ReadChunk"/>), read in the run's transaction in one statement.</summary>
    private static Dictionary<long, List<StoredRow>> ReadRows(StageWriteContext context, string table, long[] chunk)
    {
        var rows = new Dictionary<long, List<StoredRow>>();
        // One parameter whatever the chunk's size, so the statement is prepared once (json_each lists the ids).
        using var reader = context.Query($"""
            SELECT ProfileId, DefinitionId, MergedFromId, Version, State, ValueJson, NextExpiryAt FROM {table}
            WHERE ProfileId IN (SELECT value FROM json_each($1))
            """, "[" + string.Join(',', chunk) + "]");
        while (reader.Read())
        {
            var profile = reader.GetInt64(0);
            if (!rows.TryGetValue(profile, out var list))
            {
                rows[profile] = list = [];
            }
            list.Add(new(reader.GetInt32(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetFieldValue<byte[]>(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : StoredTime(reader, 6)));
        }
        return rows;
    }

    private static List<ComputedEvent> ReadTimeline(StageWriteContext context, string table, long profile)
    {
        var list = new List<ComputedEvent>();
        using var reader = context.Query($"SELECT Name, EventAt, MessageId, PropertiesJson FROM {table} WHERE ProfileId = $1 AND {TrackEvents.Sql}", profile);
        while (reader.Read())
        {
            list.Add(Event(profile, reader));
        }
        return list;
    }

    /// <summary>An event from a row of (Name, EventAt, MessageId, PropertiesJson) at <paramref name="first"/>; the properties are the stored UTF-8 bytes.</summary>
    internal static ComputedEvent Event(long profile, SqliteDataReader reader, int first = 0) =>
        new(profile, reader.GetString(first), StoredTime(reader, first + 1), reader.GetInt64(first + 2), reader.GetFieldValue<byte[]>(first + 3));

    /// <summary>A stored time (the backfill reads millions of event times: the fixed format is read directly, anything else the general way).</summary>
    private static DateTime StoredTime(SqliteDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(string) && SqliteStatement.TryParseText(reader.GetString(ordinal), out var at)
            ? at
            : DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc);
}
