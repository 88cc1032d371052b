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
        var batch = new StateBatch(context, table);
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
                    var value = Store(context, table, aggregator, profile, state, parts || otherVersion, own, batch);
                    if (value != oldValue)
                    {
                        changes.ValueChanged.Add(profile);
                    }
                }
            }
        }
        batch.Flush();
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
    /// With a <paramref name="batch"/> (the live writer), the row's write waits there (the caller flushes it before the transaction
    /// ends): an update in place when <paramref name="current"/>, its row as read in this transaction, exists (its next expiry, an
    /// indexed column, only when it moves, which spares an index update on most live writes), an insert otherwise. Without one (the
    /// expiry job), an upsert at once.
    /// </summary>
    internal static string? Store(StageWriteContext context, string table, ComputedAggregator aggregator, long profile, AggregateState? state, bool clearParts,
        StoredRow? current = null, StateBatch? batch = null)
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
        if (batch is not null)
        {
            batch.Add(current is null ? StateBatch.Kind.Insert : current.NextExpiryAt == nextExpiry ? StateBatch.Kind.Update : StateBatch.Kind.UpdateWithExpiry,
                new(profile, aggregator.Spec.Id, aggregator.Spec.Version, state.Encode().ToArray(), value, nextExpiry));
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
    private sealed record StoreSql(RowSql Delete, RowSql DeleteParts, RowSql Upsert)
    {
        private static readonly ConcurrentDictionary<string, StoreSql> Tables = new(StringComparer.Ordinal);

        public static StoreSql For(string table) => Tables.GetOrAdd(table, static t => new(
            Fixed($"DELETE FROM {t} WHERE ProfileId = ?1 AND DefinitionId = ?2"),
            Fixed($"DELETE FROM {t} WHERE ProfileId = ?1 AND DefinitionId = ?2 AND MergedFromId <> 0"),
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

/// <summary>
/// The live writer's row writes to a computed-states table, many rows per statement: a statement per row paid its preparing, binding,
/// stepping and resetting for each of the five or so rows of every touched profile (the writer's CPU in `unify --computed` fell by
/// about 15% with batches). Rows wait per kind (update, update that moves the next expiry, insert) and go <see cref="Size"/> at a time,
/// the rest in powers of two, so a table has few statements to prepare.
/// <list type="bullet">
/// <item>Each (profile, definition) row is added at most once per transaction, and <see cref="Flush"/> runs before it ends.</item>
/// <item>An insert is for a row the writer read no row for in this transaction, so it cannot conflict; should it, the statement fails
/// and the run's transaction rolls back whole.</item>
/// <item><c>OR FAIL</c>: without it SQLite keeps a statement journal for a statement that writes many rows and may abort midway (to
/// undo that statement alone), which spilled to temporary files; a failure here fails the whole run anyway.</item>
/// </list>
/// </summary>
internal sealed class StateBatch(StageWriteContext context, string table)
{
    public enum Kind { Update, UpdateWithExpiry, Insert }

    public readonly record struct Row(long Profile, int Definition, int Version, byte[] State, string? Value, DateTime? NextExpiry);

    /// <summary>Rows per statement (6 parameters each, far under SQLite's limit).</summary>
    public const int Size = 64;

    private readonly List<Row>[] _rows = [[], [], []];

    public void Add(Kind kind, in Row row)
    {
        var rows = _rows[(int)kind];
        rows.Add(row);
        if (rows.Count == Size)
        {
            Write(kind, rows);
        }
    }

    public void Flush()
    {
        for (var kind = 0; kind < _rows.Length; kind++)
        {
            Write((Kind)kind, _rows[kind]);
        }
    }

    private void Write(Kind kind, List<Row> rows)
    {
        var at = 0;
        while (at < rows.Count)
        {
            var size = Size;
            while (size > rows.Count - at)
            {
                size /= 2;
            }
            var statement = context.Statement(Sql(table, kind, size)).Bind(1, context.Now);
            for (var i = 0; i < size; i++)
            {
                var r = rows[at + i];
                var first = 2 + 6 * i;
                statement.Bind(first, r.Profile).Bind(first + 1, r.Definition).Bind(first + 2, r.Version).Bind(first + 3, r.State).Bind(first + 4, r.Value)
                    .Bind(first + 5, r.NextExpiry);
            }
            statement.Execute();
            at += size;
        }
        rows.Clear();
    }

    private static readonly ConcurrentDictionary<(string, Kind, int), RowSql> Statements = new();

    /// <summary>A statement for <paramref name="count"/> rows; ?1 is the time, each row six parameters from ?2 on.</summary>
    private static RowSql Sql(string table, Kind kind, int count) => Statements.GetOrAdd((table, kind, count), static key =>
    {
        var (t, kind, n) = key;
        var rows = string.Join(", ", Enumerable.Range(0, n).Select(i => "(" + string.Join(", ", Enumerable.Range(2 + 6 * i, 6).Select(p => "?" + p)) + ")"));
        var text = kind == Kind.Insert
            ? $"""
                INSERT OR FAIL INTO {t} (ProfileId, DefinitionId, MergedFromId, Version, State, ValueJson, ComputedAt, NextExpiryAt)
                SELECT column1, column2, 0, column3, column4, column5, ?1, column6 FROM (VALUES {rows})
                """
            : $"""
                UPDATE OR FAIL {t} AS s SET Version = v.column3, State = v.column4, ValueJson = v.column5, ComputedAt = ?1{(kind == Kind.UpdateWithExpiry ? ", NextExpiryAt = v.column6" : "")}
                FROM (VALUES {rows}) AS v WHERE s.ProfileId = v.column1 AND s.DefinitionId = v.column2 AND s.MergedFromId = 0
                """;
        return new RowSql(_ => text);
    });
}
