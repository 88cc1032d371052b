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
/// <item>combines the stored state (the definition's entry in the profile's one row), the parts a merge in
/// this run brought (<see cref="ComputedStatePart"/>) and the run's inputs folded into it, prunes the buckets outside the
/// window, and stores state, value, computed-at and next expiry in the entry;</item>
/// <item>computes the state from the profile's timeline instead when the inputs cannot be trusted: the stage
/// did not know this version of the definition, a stored entry is of another version, or a profile merged in
/// was not backfilled yet (its events were counted nowhere).</item>
/// </list>
/// A touched profile costs one row read and one row written, whatever the number of definitions.
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
        var parts = context.T.Name(ComputedStatePart.Table);
        var definitions = StoredDefinition.ReadActive(sql => context.Query(sql));
        if (definitions.Count == 0)
        {
            DeleteParts(context, parts, changes.Merged.Keys);
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
        var table = context.T.Name(ComputedProfileState.Table);
        var events = context.T.ProfileEvents;
        var run = new Run(definitions, cursors, known, names, changes, context.Now, context, events);
        for (var i = 0; i < definitions.Count; i++)
        {
            run.Aggregators[i] = Aggregator(definitions[i].Spec);
        }
        var batch = new StateBatch(context, table);
        // A chunk at a time: its stored rows read in one statement, then each profile computed and its row written. (Computing a chunk
        // on another thread while this one wrote the chunk before measured slower on two cores, as did spreading a chunk over the cores
        // with Parallel.For: 25.2% against 16.8% of loss over six alternating triples; the other core is busy with the next run's stages.)
        foreach (var chunk in profiles.Where(p => cursors.Any(c => p <= c)).Chunk(ReadChunk))
        {
            var stored = ReadRows(context, table, chunk);
            var brought = changes.Merged.Count > 0 ? ReadParts(context, parts, chunk.Where(changes.Merged.ContainsKey)) : null;
            foreach (var profile in chunk)
            {
                Store(context, run, table, batch, profile, Compute(run, profile, stored.GetValueOrDefault(profile), brought?.GetValueOrDefault(profile)));
            }
        }
        batch.Flush();
        // Whatever the writer did not combine (profiles the backfill has not reached) the backfill reads from the timeline instead.
        DeleteParts(context, parts, changes.Merged.Keys);
    }

    /// <summary>Writes a profile's outcome (nothing when unchanged) and marks a changed value.</summary>
    private static void Store(StageWriteContext context, Run run, string table, StateBatch batch, long profile, Outcome outcome)
    {
        if (outcome.ValueChanged)
        {
            run.Changes.ValueChanged.Add(profile);
        }
        if (outcome.Entries is null)
        {
            return; // unchanged
        }
        if (outcome.Entries.Length == 0)
        {
            if (outcome.Existed)
            {
                context.Statement($"DELETE FROM {table} WHERE ProfileId = ?1").Bind(1, profile).Execute();
            }
            return;
        }
        batch.Add(!outcome.Existed ? StateBatch.Kind.Insert : outcome.MovesExpiry ? StateBatch.Kind.UpdateWithExpiry : StateBatch.Kind.Update,
            new(profile, outcome.Entries, outcome.NextExpiry));
    }

    /// <summary>What a run's writer needs to compute a profile's row, and its scratch arrays (one profile at a time, on the writer's thread).</summary>
    private sealed record Run(List<StoredDefinition> Definitions, long[] Cursors, ComputedAggregator?[] Known, HashSet<string>[] Names, ComputedChanges Changes,
        DateTime Now, StageWriteContext Context, string Events)
    {
        /// <summary>Per definition, its aggregator (found once per run).</summary>
        public ComputedAggregator[] Aggregators { get; } = new ComputedAggregator[Definitions.Count];

        /// <summary>Per definition, the state the profile's inputs are folded into (null: none, or not folded).</summary>
        public AggregateState?[] States { get; } = new AggregateState?[Definitions.Count];

        /// <summary>Per definition, its aggregator when the run's inputs are folded into <see cref="States"/>, else null.</summary>
        public ComputedAggregator?[] Folding { get; } = new ComputedAggregator?[Definitions.Count];

        /// <summary>Per definition, whether the profile has inputs for it in this run.</summary>
        public bool[] Touched { get; } = new bool[Definitions.Count];

        /// <summary>Per definition, whether the profile's entry is computed again in this run.</summary>
        public bool[] Computed { get; } = new bool[Definitions.Count];
    }

    /// <summary>A profile's new row: the encoded entries to store (empty: the row goes), or null when nothing changed.</summary>
    private readonly record struct Outcome(byte[]? Entries, bool Existed, DateTime? NextExpiry, bool MovesExpiry, bool ValueChanged);

    /// <summary>
    /// Computes a profile's row: for every definition the backfill has reached for it and the run touched, the stored state, the parts a
    /// merge in this run brought, and the run's inputs folded into it, pruned and valued; or the state computed from the profile's timeline
    /// (read in the run's transaction, this run's events included) when the inputs cannot be trusted. Writes nothing.
    /// </summary>
    private Outcome Compute(Run run, long profile, byte[]? row, List<ComputedEntry>? partEntries)
    {
        var changes = run.Changes;
        var (states, folding, touched) = (run.States, run.Folding, run.Touched);
        Array.Clear(states);
        Array.Clear(folding);
        changes.Inputs.Touched(profile, run.Known, touched);
        changes.Merged.TryGetValue(profile, out var merged);
        var entries = row is null ? [] : ComputedEntries.Decode(row);
        var oldExpiry = ComputedEntries.NextExpiry(entries);
        List<ComputedEvent>? timeline = null;
        var computed = run.Computed;
        Array.Clear(computed);
        for (var i = 0; i < run.Definitions.Count; i++)
        {
            var d = run.Definitions[i];
            if (profile > run.Cursors[i])
            {
                continue; // the backfill reads its whole timeline later
            }
            var recompute = run.Known[i] is null && changes.EventNames.TryGetValue(profile, out var seen) && seen.Overlaps(run.Names[i]);
            // A profile merged in that the backfill had not reached brings events no state counted.
            recompute |= merged is not null && AnyBeyond(merged, run.Cursors[i]);
            if (!recompute && !touched[i] && merged is null)
            {
                continue;
            }
            var aggregator = run.Aggregators[i];
            var at = IndexOf(entries, d.Spec.Id);
            var own = at >= 0 ? entries[at] : null;
            // Another version's entry (own or brought by a merge) cannot be combined with this version's: computed afresh.
            var otherVersion = own is not null && own.Version != d.Spec.Version;
            if (partEntries is not null)
            {
                foreach (var part in partEntries)
                {
                    otherVersion |= part.DefinitionId == d.Spec.Id && part.Version != d.Spec.Version;
                }
            }
            computed[i] = true;
            if (recompute || otherVersion)
            {
                // The rare path (a definition the stage did not know, another version, a merge the backfill had not reached).
                timeline ??= ReadTimeline(run.Context, run.Events, profile);
                states[i] = ComputedComputation.FromEvents(aggregator, timeline);
                continue;
            }
            var state = own is null ? null : AggregateState.Decode(own.State.Span);
            if (partEntries is not null)
            {
                foreach (var part in partEntries)
                {
                    if (part.DefinitionId == d.Spec.Id)
                    {
                        state = Combine(aggregator, state, AggregateState.Decode(part.State.Span));
                    }
                }
            }
            if (touched[i])
            {
                // The run's inputs are added to the stored state one by one, in the order the events came, as a computation from the
                // timeline adds them (no delta state built and then merged).
                states[i] = state ?? new AggregateState();
                folding[i] = aggregator;
            }
            else
            {
                states[i] = state;
            }
        }
        changes.Inputs.Fold(profile, folding, states);
        var changed = false;
        var valueChanged = false;
        for (var i = 0; i < run.Definitions.Count; i++)
        {
            if (!computed[i])
            {
                continue;
            }
            var d = run.Definitions[i];
            var at = IndexOf(entries, d.Spec.Id);
            var oldValue = at >= 0 && entries[at].Version == d.Spec.Version ? entries[at].ValueJson : null;
            var entry = Entry(run.Aggregators[i], states[i], run.Now);
            if (entry is null)
            {
                if (at >= 0)
                {
                    entries.RemoveAt(at);
                    changed = true;
                }
            }
            else
            {
                Put(entries, entry);
                changed = true;
            }
            valueChanged |= entry?.ValueJson != oldValue;
        }
        if (!changed)
        {
            return new(null, row is not null, null, false, valueChanged);
        }
        var nextExpiry = ComputedEntries.NextExpiry(entries);
        return new(entries.Count == 0 ? [] : ComputedEntries.Encode(entries), row is not null, nextExpiry, nextExpiry != oldExpiry, valueChanged);
    }

    private static int IndexOf(List<ComputedEntry> entries, int definitionId)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].DefinitionId == definitionId)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>A state's entry, pruned and valued at <paramref name="now"/> (null: no state, no entry).</summary>
    internal static ComputedEntry? Entry(ComputedAggregator aggregator, AggregateState? state, DateTime now)
    {
        if (state is null)
        {
            return null;
        }
        aggregator.Prune(state, now);
        return new(aggregator.Spec.Id, aggregator.Spec.Version, state.Encode().ToArray(), aggregator.Value(state, now), now, aggregator.NextExpiry(state));
    }

    /// <summary>Puts <paramref name="entry"/> in place of its definition's, keeping the entries in definition order.</summary>
    internal static void Put(List<ComputedEntry> entries, ComputedEntry entry)
    {
        var i = 0;
        while (i < entries.Count && entries[i].DefinitionId < entry.DefinitionId)
        {
            i++;
        }
        if (i < entries.Count && entries[i].DefinitionId == entry.DefinitionId)
        {
            entries[i] = entry;
        }
        else
        {
            entries.Insert(i, entry);
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

    private static void DeleteParts(StageWriteContext context, string parts, IEnumerable<long> survivors)
    {
        var ids = string.Join(',', survivors);
        if (ids.Length > 0)
        {
            context.Statement($"DELETE FROM {parts} WHERE ProfileId IN (SELECT value FROM json_each(?1))").Bind(1, "[" + ids + "]").Execute();
        }
    }

    /// <summary>How many profiles' stored rows one read fetches (a read per profile cost a statement each).</summary>
    private const int ReadChunk = 500;

    /// <summary>The stored rows of a chunk of profiles (at most <see cref="ReadChunk"/>), read in the run's transaction in one statement.</summary>
    private static Dictionary<long, byte[]> ReadRows(StageWriteContext context, string table, long[] chunk)
    {
        var rows = new Dictionary<long, byte[]>(chunk.Length);
        // One parameter whatever the chunk's size, so the statement is prepared once (json_each lists the ids).
        using var reader = context.Query($"SELECT ProfileId, Entries FROM {table} WHERE ProfileId IN (SELECT value FROM json_each($1))",
            "[" + string.Join(',', chunk) + "]");
        while (reader.Read())
        {
            rows[reader.GetInt64(0)] = reader.GetFieldValue<byte[]>(1);
        }
        return rows;
    }

    /// <summary>The entries merges brought to these survivors.</summary>
    private static Dictionary<long, List<ComputedEntry>>? ReadParts(StageWriteContext context, string parts, IEnumerable<long> survivors)
    {
        var ids = string.Join(',', survivors);
        if (ids.Length == 0)
        {
            return null;
        }
        var brought = new Dictionary<long, List<ComputedEntry>>();
        using var reader = context.Query($"SELECT ProfileId, Entries FROM {parts} WHERE ProfileId IN (SELECT value FROM json_each($1))", "[" + ids + "]");
        while (reader.Read())
        {
            var profile = reader.GetInt64(0);
            if (!brought.TryGetValue(profile, out var list))
            {
                brought[profile] = list = [];
            }
            list.AddRange(ComputedEntries.Decode(reader.GetFieldValue<byte[]>(1)));
        }
        return brought;
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
/// The live writer's row writes to a computed-rows table, many rows per statement: a statement per row paid its preparing, binding,
/// stepping and resetting for each row. Rows wait per kind (update, update that moves the next expiry, insert) and go <see cref="Size"/>
/// at a time, the rest in powers of two, so a table has few statements to prepare.
/// <list type="bullet">
/// <item>Each profile's row is added at most once per transaction, and <see cref="Flush"/> runs before it ends.</item>
/// <item>An insert is for a profile the writer read no row for in this transaction, so it cannot conflict; should it, the statement
/// fails and the run's transaction rolls back whole.</item>
/// <item><c>OR FAIL</c>: without it SQLite keeps a statement journal for a statement that writes many rows and may abort midway (to
/// undo that statement alone), which spilled to temporary files; a failure here fails the whole run anyway.</item>
/// </list>
/// </summary>
internal sealed class StateBatch(StageWriteContext context, string table)
{
    public enum Kind { Update, UpdateWithExpiry, Insert }

    public readonly record struct Row(long Profile, byte[] Entries, DateTime? NextExpiry);

    /// <summary>Rows per statement (3 parameters each, far under SQLite's limit).</summary>
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
            var statement = context.Statement(Sql(table, kind, size));
            for (var i = 0; i < size; i++)
            {
                var r = rows[at + i];
                var first = 1 + 3 * i;
                statement.Bind(first, r.Profile).Bind(first + 1, r.Entries).Bind(first + 2, r.NextExpiry);
            }
            statement.Execute();
            at += size;
        }
        rows.Clear();
    }

    private static readonly ConcurrentDictionary<(string, Kind, int), RowSql> Statements = new();

    /// <summary>A statement for <paramref name="count"/> rows, each three parameters (profile, entries, next expiry).</summary>
    private static RowSql Sql(string table, Kind kind, int count) => Statements.GetOrAdd((table, kind, count), static key =>
    {
        var (t, kind, n) = key;
        var rows = string.Join(", ", Enumerable.Range(0, n).Select(i => $"(?{1 + 3 * i}, ?{2 + 3 * i}, ?{3 + 3 * i})"));
        var text = kind == Kind.Insert
            ? $"INSERT OR FAIL INTO {t} (ProfileId, Entries, NextExpiryAt) VALUES {rows}"
            : $"""
                UPDATE OR FAIL {t} AS s SET Entries = v.column2{(kind == Kind.UpdateWithExpiry ? ", NextExpiryAt = v.column3" : "")}
                FROM (VALUES {rows}) AS v WHERE s.ProfileId = v.column1
                """;
        return new RowSql(_ => text);
    });
}
