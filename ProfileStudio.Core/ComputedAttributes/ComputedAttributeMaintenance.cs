using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>One step of a backfill: which definitions it computed and how many profiles.</summary>
public sealed record BackfillStep(IReadOnlyList<int> Definitions, int Profiles, bool Finished);

/// <summary>
/// The work on computed states outside unification runs, each step one write transaction on
/// <paramref name="connection"/> (SQLite's write lock, so a step and a unification run never interleave):
/// <list type="bullet">
/// <item><b>Backfill</b> (<see cref="BackfillStep"/>): for the active definitions whose current version is not
/// backfilled yet, the next chunk of profiles after the cursor is computed from their timeline and replaces
/// those definitions' entries in their rows, and the cursor moves past them, in the same transaction. The live writer folds new events
/// only into profiles up to the cursor, and the backfill reads everything stored for the profiles after
/// it, so each event is counted once: the boundary is the cursor, read and moved under the write lock.
/// Stopped at any point, the backfill resumes at the stored cursor.</item>
/// <item><b>Expiry</b> (<see cref="ExpireDue"/>): entries whose oldest bucket has left the window (an index seek
/// on the rows' earliest next-expiry time) are pruned and their value recomputed at "now".</item>
/// </list>
/// </summary>
public sealed class ComputedAttributeMaintenance(SqliteConnection connection, TimeProvider time, int distinctLimit = ComputedAggregator.DefaultDistinctLimit,
    SqliteConnection? reading = null) : IDisposable
{
    public const int DefaultChunk = 5000;

    private readonly SqliteUnificationStore _store = new(connection);
    private readonly ComputedAttributeWriter _aggregators = new(distinctLimit);

    /// <summary>Backfills one chunk of profiles; null when no definition waits for a backfill.</summary>
    public BackfillStep? BackfillStep(int chunk = DefaultChunk)
    {
        using var transaction = connection.BeginTransaction();
        var now = time.GetUtcNow().UtcDateTime;
        var context = new StageWriteContext(_store, transaction, now);
        var pending = StoredDefinition.ReadActive(sql => context.Query(sql)).Where(d => !d.Done).ToList();
        if (pending.Count == 0)
        {
            return null;
        }
        foreach (var d in pending.Where(d => !d.StartedBackfill))
        {
            // Starts the current version from the first profile, as ComputedAttributeStore.StartBackfill does: an active
            // row whose backfill version lags (written by hand or by an older build) would otherwise read as cursor 0
            // on every step and never move on.
            context.Execute("""
                UPDATE ComputedAttributeDefinitions SET BackfillVersion = Version, BackfillCursor = 0, BackfillDone = 0, BackfillProcessed = 0,
                    BackfillStartedAt = $now, BackfillFinishedAt = NULL, BackfillError = NULL,
                    BackfillTotal = (SELECT count(*) FROM Profiles WHERE MergedIntoId IS NULL)
                WHERE Id = $id
                """, ("$now", now), ("$id", d.Spec.Id));
        }
        // The definitions furthest behind go first, up to the next one's cursor, so they line up and share reads.
        var low = pending.Min(d => d.Cursor);
        var group = pending.Where(d => d.Cursor == low).ToList();
        var next = pending.Where(d => d.Cursor > low).Select(d => d.Cursor).DefaultIfEmpty(long.MaxValue).Min();
        var profiles = new List<long>();
        using (var reader = context.Query("SELECT Id FROM Profiles WHERE Id > $1 AND Id <= $2 AND MergedIntoId IS NULL ORDER BY Id LIMIT $3", low, next, chunk))
        {
            while (reader.Read())
            {
                profiles.Add(reader.GetInt64(0));
            }
        }
        var ids = string.Join(",", group.Select(d => d.Spec.Id));
        if (profiles.Count == 0)
        {
            if (next == long.MaxValue)
            {
                // Done, under the write lock: from the next run on, the live writer keeps every profile current.
                context.Execute($"""
                    UPDATE ComputedAttributeDefinitions SET BackfillDone = 1, BackfillProcessed = max(BackfillProcessed, BackfillTotal),
                        BackfillTotal = max(BackfillProcessed, BackfillTotal), BackfillFinishedAt = $now
                    WHERE Id IN ({ids})
                    """, ("$now", now));
                // Every profile's value may have changed: consumers are told once, as a rebuild tells them (profile 0).
                context.Execute("INSERT INTO ProfileChanges (At, ProfileId, Kinds, OtherProfileId) VALUES ($now, 0, $kinds, NULL)",
                    ("$now", now), ("$kinds", (long)ProfileChangeKinds.Computed));
            }
            else
            {
                context.Execute($"UPDATE ComputedAttributeDefinitions SET BackfillCursor = $c WHERE Id IN ({ids})", ("$c", next));
            }
            transaction.Commit();
            return new(group.Select(d => d.Spec.Id).ToList(), 0, next == long.MaxValue);
        }
        var high = profiles[^1];
        var aggregators = group.Select(d => _aggregators.Aggregator(d.Spec)).ToList();
        var names = group.SelectMany(d => d.Spec.EventNames).Distinct().ToList();
        // The chunk's stored rows (one walk along the row ids): the group's entries are replaced, the other definitions' kept.
        var writer = new RowWriter(context, group.Select(d => d.Spec.Id).ToHashSet(), ReadRange(context, low, high));
        // A safety net: parts a merge brought are removed by the live writer in the merge's transaction, so none should be here; any
        // left would only hold events the timelines below count anyway.
        context.Statement($"DELETE FROM {ComputedStatePart.Table} WHERE ProfileId > ?1 AND ProfileId <= ?2").Bind(1, low).Bind(2, high).Execute();
        // A pipeline over parts of the chunk: one part's timelines are read while the part before is folded and encoded on
        // the cores and the one before that is written. Reads go through the reading connection when there is one: it
        // begins its snapshot after this transaction took the write lock, so it sees exactly what this transaction would
        // (nobody else can commit meanwhile, and this transaction writes no event), and the cursor argument above holds.
        var parts = profiles.Chunk(PipelinePart).Select(p => p[^1]).ToList();
        if (!ReadsAside)
        {
            // One connection: reading and writing take turns on it, and the cores fold a part meanwhile.
            (List<Timeline> Timelines, Task<ComputedEntry?[,]> Rows)? previous = null;
            var from = low;
            foreach (var to in parts)
            {
                var timelines = ReadTimelines(context, from, to, names);
                from = to;
                var rows = Task.Run(() => Compute(aggregators, timelines, now));
                if (previous is { } p)
                {
                    writer.Write(p.Timelines, p.Rows.GetAwaiter().GetResult());
                }
                previous = (timelines, rows);
            }
            if (previous is { } last)
            {
                writer.Write(last.Timelines, last.Rows.GetAwaiter().GetResult());
            }
        }
        else
        {
            using var stop = new CancellationTokenSource();
            using var ready = new BlockingCollection<(List<Timeline> Timelines, Task<ComputedEntry?[,]> Rows)>(boundedCapacity: 2);
            var producing = Task.Run(() =>
            {
                try
                {
                    using var snapshot = reading!.BeginTransaction(deferred: true);
                    using var command = TimelineCommand(reading, names);
                    var from = low;
                    foreach (var to in parts)
                    {
                        var timelines = ReadTimelines(command, from, to);
                        from = to;
                        ready.Add((timelines, Task.Run(() => Compute(aggregators, timelines, now))), stop.Token);
                    }
                }
                finally
                {
                    ready.CompleteAdding();
                }
            });
            try
            {
                foreach (var (timelines, rows) in ready.GetConsumingEnumerable())
                {
                    writer.Write(timelines, rows.GetAwaiter().GetResult());
                }
            }
            catch
            {
                stop.Cancel();
                throw;
            }
            finally
            {
                try
                {
                    producing.GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Stopped because writing failed: that failure is the one reported.
                }
            }
        }
        writer.Finish();
        context.Execute($"""
            UPDATE ComputedAttributeDefinitions SET BackfillCursor = $c, BackfillProcessed = BackfillProcessed + $n WHERE Id IN ({ids})
            """, ("$c", high), ("$n", profiles.Count));
        transaction.Commit();
        return new(group.Select(d => d.Spec.Id).ToList(), profiles.Count, false);
    }

    /// <summary>Backfills until no definition waits; returns the profiles computed.</summary>
    public long BackfillAll(int chunk = DefaultChunk, Action<BackfillStep>? progress = null, CancellationToken ct = default)
    {
        var total = 0L;
        while (!ct.IsCancellationRequested && BackfillStep(chunk) is { } step)
        {
            total += step.Profiles;
            progress?.Invoke(step);
        }
        return total;
    }

    /// <summary>Records a failed backfill attempt on the definitions still waiting (shown on their page; the job retries).</summary>
    public void RecordFailure(string error)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE ComputedAttributeDefinitions SET BackfillError = $e WHERE Status = 'Active' AND BackfillDone = 0";
        command.Parameters.AddWithValue("$e", error.Length > 2000 ? error[..2000] : error);
        command.ExecuteNonQuery();
    }

    private sealed record Timeline(long Profile, List<ComputedEvent> Events);

    private bool? _readsAside;

    /// <summary>
    /// Whether timelines are read on the reading connection: only in WAL mode, where a reader neither blocks nor is
    /// blocked by the write transaction (with a rollback journal the writer could not spill or commit while it reads).
    /// </summary>
    private bool ReadsAside => _readsAside ??= reading is not null && JournalMode() == "wal";

    private string? JournalMode()
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        return (command.ExecuteScalar() as string)?.ToLowerInvariant();
    }

    /// <summary>Profiles per part of a backfill chunk: the unit read, computed and written in turn.</summary>
    private const int PipelinePart = 2000;

    /// <summary>Each timeline's entries, one per definition (null: no matching event), pruned, valued and encoded at "now".</summary>
    private static ComputedEntry?[,] Compute(IReadOnlyList<ComputedAggregator> aggregators, List<Timeline> timelines, DateTime now)
    {
        var rows = new ComputedEntry?[timelines.Count, aggregators.Count];
        Parallel.For(0, timelines.Count, i =>
        {
            var states = ComputedComputation.FromEvents(aggregators, timelines[i].Events);
            for (var a = 0; a < aggregators.Count; a++)
            {
                rows[i, a] = ComputedAttributeWriter.Entry(aggregators[a], states[a], now);
            }
        });
        return rows;
    }

    /// <summary>The stored rows of the profiles after <paramref name="low"/> up to <paramref name="high"/>.</summary>
    private static Dictionary<long, byte[]> ReadRange(StageWriteContext context, long low, long high)
    {
        var rows = new Dictionary<long, byte[]>();
        using var reader = context.Query($"SELECT ProfileId, Entries FROM {ComputedProfileState.Table} WHERE ProfileId > $1 AND ProfileId <= $2", low, high);
        while (reader.Read())
        {
            rows[reader.GetInt64(0)] = reader.GetFieldValue<byte[]>(1);
        }
        return rows;
    }

    /// <summary>
    /// Writes a backfill chunk's rows: each profile's stored entries with the group's replaced by the computed ones (a
    /// profile of the range without a timeline loses the group's entries: none of its events match any more).
    /// </summary>
    private sealed class RowWriter(StageWriteContext context, HashSet<int> group, Dictionary<long, byte[]> stored)
    {
        private readonly StateBatch _batch = new(context, ComputedProfileState.Table);

        public void Write(List<Timeline> timelines, ComputedEntry?[,] rows)
        {
            for (var i = 0; i < timelines.Count; i++)
            {
                var profile = timelines[i].Profile;
                var existed = stored.Remove(profile, out var bytes);
                var entries = existed ? Others(bytes!) : [];
                for (var a = 0; a < rows.GetLength(1); a++)
                {
                    if (rows[i, a] is { } entry)
                    {
                        ComputedAttributeWriter.Put(entries, entry);
                    }
                }
                Store(profile, existed, entries);
            }
        }

        /// <summary>The rows of the range that no timeline replaced.</summary>
        public void Finish()
        {
            foreach (var (profile, bytes) in stored)
            {
                var entries = Others(bytes);
                if (entries.Count != ComputedEntries.Definitions(bytes).Count())
                {
                    Store(profile, existed: true, entries);
                }
            }
            stored.Clear();
            _batch.Flush();
        }

        private List<ComputedEntry> Others(byte[] bytes)
        {
            var entries = ComputedEntries.Decode(bytes);
            entries.RemoveAll(e => group.Contains(e.DefinitionId));
            return entries;
        }

        private void Store(long profile, bool existed, List<ComputedEntry> entries)
        {
            if (entries.Count == 0)
            {
                if (existed)
                {
                    context.Statement($"DELETE FROM {ComputedProfileState.Table} WHERE ProfileId = ?1").Bind(1, profile).Execute();
                }
                return;
            }
            _batch.Add(existed ? StateBatch.Kind.UpdateWithExpiry : StateBatch.Kind.Insert, new(profile, ComputedEntries.Encode(entries), ComputedEntries.NextExpiry(entries)));
        }
    }

    private static string TimelineSql(IReadOnlyList<string> names) => $"""
        SELECT ProfileId, Name, EventAt, MessageId, PropertiesJson FROM ProfileEvents
        WHERE ProfileId > $1 AND ProfileId <= $2 AND {TrackEvents.Sql} AND Name IN ({string.Join(",", names.Select((_, i) => "$" + (i + 3)))}) ORDER BY ProfileId
        """;

    private static List<Timeline> ReadTimelines(StageWriteContext context, long low, long high, IReadOnlyList<string> names)
    {
        using var reader = context.Query(TimelineSql(names), [low, high, .. names]);
        return Timelines(reader);
    }

    private static SqliteCommand TimelineCommand(SqliteConnection reading, IReadOnlyList<string> names)
    {
        var command = reading.CreateCommand();
        command.CommandText = TimelineSql(names);
        command.Parameters.Add("$1", SqliteType.Integer);
        command.Parameters.Add("$2", SqliteType.Integer);
        for (var i = 0; i < names.Count; i++)
        {
            command.Parameters.AddWithValue("$" + (i + 3), names[i]);
        }
        return command;
    }

    private static List<Timeline> ReadTimelines(SqliteCommand command, long low, long high)
    {
        command.Parameters[0].Value = low;
        command.Parameters[1].Value = high;
        using var reader = command.ExecuteReader();
        return Timelines(reader);
    }

    private static List<Timeline> Timelines(SqliteDataReader reader)
    {
        var list = new List<Timeline>();
        while (reader.Read())
        {
            var profile = reader.GetInt64(0);
            if (list.Count == 0 || list[^1].Profile != profile)
            {
                list.Add(new(profile, []));
            }
            list[^1].Events.Add(ComputedAttributeWriter.Event(profile, reader, 1));
        }
        return list;
    }

    /// <summary>
    /// Recomputes at "now" the values whose oldest bucket has left the window, the rows of at most <paramref name="take"/> profiles
    /// per transaction, until none is due; returns how many profiles' values changed (each marked in the change feed).
    /// </summary>
    public int ExpireDue(int take = 2000)
    {
        var changed = 0;
        while (true)
        {
            using var transaction = connection.BeginTransaction();
            var now = time.GetUtcNow().UtcDateTime;
            var context = new StageWriteContext(_store, transaction, now);
            var definitions = StoredDefinition.ReadActive(sql => context.Query(sql)).ToDictionary(d => d.Spec.Id);
            var due = new List<(long Profile, byte[] Entries)>();
            using (var reader = context.Query($"""
                SELECT ProfileId, Entries FROM {ComputedProfileState.Table} WHERE NextExpiryAt <= $1 ORDER BY NextExpiryAt LIMIT $2
                """, now, take))
            {
                while (reader.Read())
                {
                    due.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));
                }
            }
            foreach (var (profile, bytes) in due)
            {
                var entries = ComputedEntries.Decode(bytes);
                var valueChanged = false;
                for (var i = entries.Count - 1; i >= 0; i--)
                {
                    var e = entries[i];
                    if (e.NextExpiryAt is not { } expiry || expiry > now)
                    {
                        continue;
                    }
                    if (!definitions.TryGetValue(e.DefinitionId, out var d))
                    {
                        // A state nobody reads (its definition is no longer active): no more expiries for it.
                        entries[i] = e with { NextExpiryAt = null };
                    }
                    else if (d.Spec.Version != e.Version)
                    {
                        // The previous version's value, served until the new backfill reaches the profile, would now count events that
                        // left its window, and its state cannot be read with the new definition: it goes (the backfill computes the new one).
                        entries.RemoveAt(i);
                        valueChanged |= e.ValueJson is not null;
                    }
                    else
                    {
                        var entry = ComputedAttributeWriter.Entry(_aggregators.Aggregator(d.Spec), AggregateState.Decode(e.State.Span), now)!;
                        entries[i] = entry;
                        valueChanged |= entry.ValueJson != e.ValueJson;
                    }
                }
                if (entries.Count == 0)
                {
                    context.Statement($"DELETE FROM {ComputedProfileState.Table} WHERE ProfileId = ?1").Bind(1, profile).Execute();
                }
                else
                {
                    context.Statement($"UPDATE {ComputedProfileState.Table} SET Entries = ?2, NextExpiryAt = ?3 WHERE ProfileId = ?1")
                        .Bind(1, profile).Bind(2, ComputedEntries.Encode(entries)).Bind(3, ComputedEntries.NextExpiry(entries)).Execute();
                }
                if (valueChanged)
                {
                    changed++;
                    context.Statement("INSERT INTO ProfileChanges (At, ProfileId, Kinds, OtherProfileId) VALUES (?1, ?2, ?3, NULL)")
                        .Bind(1, now).Bind(2, profile).Bind(3, (long)ProfileChangeKinds.Computed).Execute();
                }
            }
            transaction.Commit();
            if (due.Count < take)
            {
                return changed;
            }
        }
    }

    public void Dispose() => _store.Dispose();
}
