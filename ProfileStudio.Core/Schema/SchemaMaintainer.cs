using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Core.Schema;

/// <summary>
/// Keeps the union schema and the event catalog current from the change feed, the only writer of their
/// tables. A profile the feed names (its attributes changed, it was merged, split, merged away or
/// deleted) is recounted alone: its stored fragments now against what it added before
/// (<see cref="SchemaProfile"/>), so fill counts follow merges, splits and deletes exactly. Timeline
/// events are counted once each, in id order, from a cursor kept with the counts. A split or a delete
/// removes events, and a rebuild replaces everything: those recount from stored data (<see cref="RecountAsync"/>),
/// which is also the back-fill after an upgrade. Reads happen outside the write transaction (only
/// this class writes the schema tables, one call at a time), so unification waits only for the short write.
/// </summary>
public sealed class SchemaMaintainer(IDbContextFactory<ProfileStudioDbContext> dbFactory, TimeProvider time, ILogger<SchemaMaintainer> logger)
{
    private const int Chunk = 500;
    private const int EventChunk = 20_000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private SchemaTally? _tally;
    private long _eventCursor;

    /// <summary>Raised after a change is saved (open schema pages refresh).</summary>
    public event Action? Changed;

    /// <summary>Whether the tables were ever counted (a first start after an upgrade needs the back-fill).</summary>
    public async Task<bool> IsBuiltAsync(CancellationToken ct = default)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        return await db.SchemaStates.AnyAsync(ct);
    }

    /// <summary>Counts everything from stored data once, if it never was.</summary>
    public async Task EnsureBuiltAsync(CancellationToken ct = default)
    {
        if (!await IsBuiltAsync(ct))
        {
            await RecountAsync(ct);
        }
    }

    /// <summary>Applies feed rows: the named profiles recounted, new events counted (or everything recounted after a rebuild).</summary>
    public async Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct = default)
    {
        if (!await IsBuiltAsync(ct) || changes.Any(c => c.Kinds.HasFlag(ProfileChangeKinds.Rebuilt)))
        {
            await RecountAsync(ct);
            return;
        }
        await _gate.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            var tally = _tally ?? Load(connection);
            _tally = null; // restored only once the save commits: a failure reloads what was saved
            tally.ClearChanged();

            // Every profile named, with what it was before.
            // A row about segment memberships alone changes nothing the schema counts.
            var named = changes.Where(c => !c.OnlyMemberships).SelectMany(c => c.OtherProfileId is { } other ? [c.ProfileId, other] : new[] { c.ProfileId })
                .Where(id => id != 0).ToHashSet();
            var changing = changes.Where(c => (c.Kinds & (ProfileChangeKinds.Attributes | ProfileChangeKinds.Merged | ProfileChangeKinds.Split | ProfileChangeKinds.Deleted)) != 0)
                .SelectMany(c => c.OtherProfileId is { } other ? [c.ProfileId, other] : new[] { c.ProfileId }).ToHashSet();
            var before = ReadContributions(connection, changing);
            // A profile only touched (identities, events: most rows) matters when it is new to the schema: it counts as a
            // live profile. For those only whether it was counted is read, not what it contributed.
            var counted = ReadCounted(connection, named.Where(id => !changing.Contains(id)).ToList());
            var recount = named.Where(id => changing.Contains(id) || !counted.Contains(id)).ToList();
            var live = ReadLive(connection, recount);
            var fragments = ReadFragments(connection, live);
            var after = new Dictionary<long, ProfileContribution?>();
            foreach (var id in recount)
            {
                var old = before.GetValueOrDefault(id);
                if (old is null && !live.Contains(id))
                {
                    continue; // never counted and not live: nothing to undo
                }
                var current = live.Contains(id) ? fragments.GetValueOrDefault(id) ?? [] : null;
                var contribution = tally.ApplyProfile(id, old, current);
                if (current is null)
                {
                    after[id] = null;
                }
                else if (old is null || !old.Entries.SequenceEqual(contribution.Entries))
                {
                    after[id] = contribution;
                }
            }

            // A delete or a split removed the person's examples (through the register, in its own transaction):
            // the paths they had show examples from other profiles.
            var examplesRemoved = changes.Where(c => (c.Kinds & (ProfileChangeKinds.Deleted | ProfileChangeKinds.Split)) != 0).Select(c => c.ProfileId).ToHashSet();
            if (examplesRemoved.Count > 0)
            {
                LoadExamples(connection, tally);
                foreach (var path in examplesRemoved.SelectMany(id => before.GetValueOrDefault(id)?.Paths ?? []).Distinct(StringComparer.Ordinal).ToList())
                {
                    if (tally.Attributes.TryGetValue(path, out var attribute))
                    {
                        foreach (var (value, profile) in ReadExamples(connection, path))
                        {
                            if (SchemaTally.AddExample(attribute.Examples, value))
                            {
                                tally.NewExamples.Add((path, value, profile));
                            }
                        }
                    }
                }
            }

            // Splits and deletes remove timeline events (a split writes its part's events again): recount the catalog.
            var eventsRemoved = changes.Any(c => (c.Kinds & (ProfileChangeKinds.Split | ProfileChangeKinds.Deleted)) != 0);
            if (eventsRemoved)
            {
                var events = new SchemaTally();
                _eventCursor = CountEvents(connection, events, 0);
                tally.Events.Clear();
                foreach (var (key, entry) in events.Events)
                {
                    tally.Events[key] = entry;
                }
                tally.NewEventExamples.AddRange(events.NewEventExamples);
                await SaveAsync(connection, tally, after, replaceEvents: true, ct);
            }
            else
            {
                _eventCursor = CountEvents(connection, tally, _eventCursor);
                await SaveAsync(connection, tally, after, replaceEvents: false, ct);
            }
            _tally = tally;
        }
        finally
        {
            _gate.Release();
        }
        Changed?.Invoke();
    }

    /// <summary>
    /// Counts the union schema and the event catalog from scratch from stored fragments and events (a
    /// rebuild, a first start after an upgrade), read in one snapshot, and replaces the tables.
    /// </summary>
    public async Task RecountAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var stopwatch = Stopwatch.StartNew();
            _tally = null;
            await using var connection = await OpenAsync(ct);
            var tally = new SchemaTally();
            var contributions = new List<(long, ProfileContribution)>();
            using (var snapshot = connection.BeginTransaction(deferred: true))
            {
                using var profiles = Command(connection, "SELECT Id FROM Profiles WHERE MergedIntoId IS NULL ORDER BY Id");
                profiles.Transaction = snapshot;
                using var fragments = Command(connection, "SELECT ProfileId, SourceId, Key, ValueJson, EventAt FROM ProfileAttributes ORDER BY ProfileId");
                fragments.Transaction = snapshot;
                using var profileReader = profiles.ExecuteReader();
                using var fragmentReader = fragments.ExecuteReader();
                var pending = fragmentReader.Read();
                while (profileReader.Read())
                {
                    var id = profileReader.GetInt64(0);
                    var own = new List<SchemaFragment>();
                    while (pending && fragmentReader.GetInt64(0) <= id)
                    {
                        if (fragmentReader.GetInt64(0) == id)
                        {
                            own.Add(Fragment(fragmentReader));
                        }
                        pending = fragmentReader.Read();
                    }
                    contributions.Add((id, tally.ApplyProfile(id, null, own)));
                }
                _eventCursor = CountEvents(connection, tally, 0, snapshot);
                snapshot.Commit();
            }
            tally.ChangedPaths.UnionWith(tally.Attributes.Keys);
            tally.ChangedEvents.UnionWith(tally.Events.Keys);
            await WriteExamplesAsync(connection, tally, replaceAll: true, ct);
            using (await SqliteConsumerTables.TakeTurnAsync(connection, ct))
            using (var transaction = SqliteConsumerTables.BeginWrite(connection))
            {
                ExecuteOnce(connection, transaction, "DELETE FROM SchemaProfiles; DELETE FROM SchemaAttributes; DELETE FROM SchemaEvents;");
                using var insert = Command(connection, "INSERT INTO SchemaProfiles (ProfileId, PathsJson) VALUES ($id, $paths)");
                insert.Transaction = transaction;
                var id = insert.Parameters.Add("$id", SqliteType.Integer);
                var paths = insert.Parameters.Add("$paths", SqliteType.Text);
                foreach (var (profile, contribution) in contributions)
                {
                    (id.Value, paths.Value) = (profile, contribution.ToJson());
                    insert.ExecuteNonQuery();
                }
                using (var commands = new PreparedCommands(connection))
                {
                    WriteTallies(commands, transaction, tally, recounted: true);
                }
                transaction.Commit();
            }
            tally.ClearChanged();
            _tally = tally;
            logger.LogInformation("Union schema recounted: {Paths} attribute paths over {Profiles} profiles, {Events} event entries, in {Seconds:N1} s.",
                tally.Attributes.Count, tally.LiveProfiles, tally.Events.Count, stopwatch.Elapsed.TotalSeconds);
        }
        finally
        {
            _gate.Release();
        }
        Changed?.Invoke();
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        string connectionString;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            connectionString = db.Database.GetConnectionString()!;
        }
        // The counts are in the consumers' file, written under its own lock; the examples in the store's.
        var connection = await SqliteConsumerTables.OpenAsync(connectionString, ct);
        // Example values are personal data: what this connection deletes is overwritten, in freed pages too.
        ExecuteOnce(connection, null, "PRAGMA main.secure_delete=ON;");
        return connection;
    }

    private SchemaTally Load(SqliteConnection connection)
    {
        var tally = new SchemaTally();
        using (var command = Command(connection, "SELECT Path, ProfileCount, FirstSeenAt, LastSeenAt, DetailJson FROM SchemaAttributes"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                tally.Attributes[reader.GetString(0)] = AttributeTally.From(new SchemaAttribute
                {
                    Path = reader.GetString(0), ProfileCount = reader.GetInt64(1), FirstSeenAt = Utc(reader.GetDateTime(2)),
                    LastSeenAt = Utc(reader.GetDateTime(3)), DetailJson = reader.GetString(4),
                });
            }
        }
        using (var command = Command(connection, "SELECT Key, Type, Name, Count, FirstSeenAt, LastSeenAt, DetailJson FROM SchemaEvents"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                tally.Events[reader.GetString(0)] = EventTally.From(new SchemaEvent
                {
                    Key = reader.GetString(0), Type = reader.GetString(1), Name = reader.GetString(2), Count = reader.GetInt64(3),
                    FirstSeenAt = Utc(reader.GetDateTime(4)), LastSeenAt = Utc(reader.GetDateTime(5)), DetailJson = reader.GetString(6),
                });
            }
        }
        LoadExamples(connection, tally);
        using (var command = Command(connection, "SELECT EventKey, Path, Value FROM SchemaEventExamples ORDER BY rowid"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (tally.Events.TryGetValue(reader.GetString(0), out var entry) && entry.Properties.TryGetValue(reader.GetString(1), out var property))
                {
                    property.Examples.Add(reader.GetString(2));
                }
            }
        }
        using (var command = Command(connection, "SELECT EventCursor, LiveProfiles FROM SchemaState WHERE Id = 1"))
        using (var reader = command.ExecuteReader())
        {
            if (reader.Read())
            {
                _eventCursor = reader.GetInt64(0);
                tally.LiveProfiles = reader.GetInt64(1);
            }
        }
        return tally;
    }

    /// <summary>The stored attribute examples (a delete may have removed some).</summary>
    private static void LoadExamples(SqliteConnection connection, SchemaTally tally)
    {
        foreach (var attribute in tally.Attributes.Values)
        {
            attribute.Examples.Clear();
        }
        using var command = Command(connection, "SELECT Path, Value FROM SchemaExamples ORDER BY rowid");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (tally.Attributes.TryGetValue(reader.GetString(0), out var attribute))
            {
                attribute.Examples.Add(reader.GetString(1));
            }
        }
    }

    private static Dictionary<long, ProfileContribution> ReadContributions(SqliteConnection connection, IReadOnlyCollection<long> ids)
    {
        var found = new Dictionary<long, ProfileContribution>();
        foreach (var chunk in ids.Chunk(Chunk))
        {
            using var command = Command(connection, $"SELECT ProfileId, PathsJson FROM SchemaProfiles WHERE ProfileId IN ({string.Join(',', chunk)})");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                found[reader.GetInt64(0)] = ProfileContribution.FromJson(reader.GetString(1));
            }
        }
        return found;
    }

    /// <summary>Which of the profiles the schema has counted.</summary>
    private static HashSet<long> ReadCounted(SqliteConnection connection, IReadOnlyCollection<long> ids)
    {
        var found = new HashSet<long>();
        foreach (var chunk in ids.Chunk(Chunk))
        {
            using var command = Command(connection, $"SELECT ProfileId FROM SchemaProfiles WHERE ProfileId IN ({string.Join(',', chunk)})");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                found.Add(reader.GetInt64(0));
            }
        }
        return found;
    }

    private static HashSet<long> ReadLive(SqliteConnection connection, IReadOnlyCollection<long> ids)
    {
        var live = new HashSet<long>();
        foreach (var chunk in ids.Chunk(Chunk))
        {
            using var command = Command(connection, $"SELECT Id FROM Profiles WHERE MergedIntoId IS NULL AND Id IN ({string.Join(',', chunk)})");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                live.Add(reader.GetInt64(0));
            }
        }
        return live;
    }

    private static Dictionary<long, List<SchemaFragment>> ReadFragments(SqliteConnection connection, IReadOnlyCollection<long> ids)
    {
        var found = new Dictionary<long, List<SchemaFragment>>();
        foreach (var chunk in ids.Chunk(Chunk))
        {
            using var command = Command(connection, $"SELECT ProfileId, SourceId, Key, ValueJson, EventAt FROM ProfileAttributes WHERE ProfileId IN ({string.Join(',', chunk)})");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                if (!found.TryGetValue(id, out var list))
                {
                    found[id] = list = [];
                }
                list.Add(Fragment(reader));
            }
        }
        return found;
    }

    /// <summary>A few stored values of one path (no index leads with the key: it stops at the first few rows that have it).</summary>
    private static List<(string Value, long ProfileId)> ReadExamples(SqliteConnection connection, string path)
    {
        using var command = Command(connection, "SELECT ValueJson, ProfileId FROM ProfileAttributes WHERE Key = $key AND ValueJson IS NOT NULL LIMIT 50");
        command.Parameters.AddWithValue("$key", path);
        using var reader = command.ExecuteReader();
        var examples = new List<(string, long)>();
        while (reader.Read())
        {
            if (SchemaValues.Read(reader.GetString(0)) is { } value)
            {
                examples.Add((value.Example, reader.GetInt64(1)));
            }
        }
        return examples;
    }

    private static SchemaFragment Fragment(SqliteDataReader reader) =>
        new(reader.GetInt32(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), Utc(reader.GetDateTime(4)));

    /// <summary>Counts the timeline events after <paramref name="after"/> in id order; returns the new cursor.</summary>
    private long CountEvents(SqliteConnection connection, SchemaTally tally, long after, SqliteTransaction? snapshot = null)
    {
        var now = time.GetUtcNow().UtcDateTime;
        using var command = Command(connection, "SELECT Id, SourceId, Type, Name, EventAt, PropertiesJson, ProfileId FROM ProfileEvents WHERE Id > $after ORDER BY Id LIMIT $take");
        command.Transaction = snapshot;
        var afterParameter = command.Parameters.Add("$after", SqliteType.Integer);
        command.Parameters.AddWithValue("$take", EventChunk);
        while (true)
        {
            afterParameter.Value = after;
            var read = 0;
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    read++;
                    after = reader.GetInt64(0);
                    tally.AddEvent(reader.GetInt64(6), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), Utc(reader.GetDateTime(4)), reader.GetString(5), now);
                }
            }
            if (read < EventChunk)
            {
                return after;
            }
        }
    }

    private async Task SaveAsync(SqliteConnection connection, SchemaTally tally, Dictionary<long, ProfileContribution?> contributions, bool replaceEvents, CancellationToken ct)
    {
        if (replaceEvents)
        {
            tally.ChangedEvents.UnionWith(tally.Events.Keys);
        }
        await WriteExamplesAsync(connection, tally, replaceAll: false, ct, replaceEventExamples: replaceEvents);
        using var turn = await SqliteConsumerTables.TakeTurnAsync(connection, ct);
        // Each statement prepared once per save and bound again (thousands of profiles per batch).
        using var commands = new PreparedCommands(connection);
        using var transaction = SqliteConsumerTables.BeginWrite(connection);
        foreach (var (id, contribution) in contributions)
        {
            if (contribution is null)
            {
                commands.Execute(transaction, "DELETE FROM SchemaProfiles WHERE ProfileId = $id", ("$id", id));
            }
            else
            {
                commands.Execute(transaction, "INSERT INTO SchemaProfiles (ProfileId, PathsJson) VALUES ($id, $paths) ON CONFLICT (ProfileId) DO UPDATE SET PathsJson = excluded.PathsJson",
                    ("$id", id), ("$paths", contribution.ToJson()));
            }
        }
        if (replaceEvents)
        {
            commands.Execute(transaction, "DELETE FROM SchemaEvents;");
        }
        WriteTallies(commands, transaction, tally, recounted: false);
        transaction.Commit();
        tally.ClearChanged();
    }

    private void WriteTallies(PreparedCommands commands, SqliteTransaction transaction, SchemaTally tally, bool recounted)
    {
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var path in tally.ChangedPaths)
        {
            if (tally.Attributes.TryGetValue(path, out var a))
            {
                commands.Execute(transaction, """
                    INSERT INTO SchemaAttributes (Path, ProfileCount, FirstSeenAt, LastSeenAt, DetailJson) VALUES ($path, $count, $first, $last, $detail)
                    ON CONFLICT (Path) DO UPDATE SET ProfileCount = excluded.ProfileCount, FirstSeenAt = excluded.FirstSeenAt, LastSeenAt = excluded.LastSeenAt, DetailJson = excluded.DetailJson
                    """, ("$path", path), ("$count", a.ProfileCount), ("$first", Seen(a.FirstSeenAt)), ("$last", Seen(a.LastSeenAt)), ("$detail", a.DetailJson()));
            }
            else
            {
                commands.Execute(transaction, "DELETE FROM SchemaAttributes WHERE Path = $path", ("$path", path));
            }
        }
        foreach (var key in tally.ChangedEvents)
        {
            var e = tally.Events[key];
            e.Prune(now);
            commands.Execute(transaction, """
                INSERT INTO SchemaEvents (Key, Type, Name, Count, FirstSeenAt, LastSeenAt, DetailJson) VALUES ($key, $type, $name, $count, $first, $last, $detail)
                ON CONFLICT (Key) DO UPDATE SET Count = excluded.Count, FirstSeenAt = excluded.FirstSeenAt, LastSeenAt = excluded.LastSeenAt, DetailJson = excluded.DetailJson
                """, ("$key", key), ("$type", e.Type), ("$name", e.Name), ("$count", e.Count), ("$first", Seen(e.FirstSeenAt)), ("$last", Seen(e.LastSeenAt)), ("$detail", e.DetailJson()));
        }
        commands.Execute(transaction, $"""
            INSERT INTO SchemaState (Id, EventCursor, LiveProfiles, RecountedAt, UpdatedAt) VALUES (1, $cursor, $live, $now, $now)
            ON CONFLICT (Id) DO UPDATE SET EventCursor = excluded.EventCursor, LiveProfiles = excluded.LiveProfiles, UpdatedAt = excluded.UpdatedAt
                {(recounted ? ", RecountedAt = excluded.RecountedAt" : "")}
            """, ("$cursor", _eventCursor), ("$live", tally.LiveProfiles), ("$now", now));
    }

    /// <summary>
    /// The example values, in the store's file (personal values: a delete removes a person's in its own transaction), in a
    /// transaction of their own before the counts (<see cref="SqliteConsumerTables"/>): an example is stored only while the
    /// profile it came from lives, checked under the store's write lock, so a delete that committed meanwhile took its
    /// values with it. Most batches bring none (a path keeps a few examples), and then the store's lock is not taken.
    /// </summary>
    private static async Task WriteExamplesAsync(SqliteConnection connection, SchemaTally tally, bool replaceAll, CancellationToken ct, bool replaceEventExamples = false)
    {
        var gone = tally.ChangedPaths.Where(p => !tally.Attributes.ContainsKey(p)).ToList();
        var added = tally.NewExamples.Where(e => tally.Attributes.ContainsKey(e.Path)).ToList();
        if (!replaceAll && !replaceEventExamples && gone.Count == 0 && added.Count == 0 && tally.NewEventExamples.Count == 0)
        {
            return;
        }
        using var turn = await WriteTurns.TakeForAsync(connection.ConnectionString, ct, background: true);
        using var commands = new PreparedCommands(connection);
        // Deferred (the consumers' file is attached: IMMEDIATE would lock it too); every statement here writes the store's
        // file, so the first takes its write lock before reading anything.
        using var transaction = connection.BeginTransaction(deferred: true);
        if (replaceAll || replaceEventExamples)
        {
            commands.Execute(transaction, replaceAll ? "DELETE FROM SchemaExamples; DELETE FROM SchemaEventExamples;" : "DELETE FROM SchemaEventExamples;");
        }
        foreach (var path in gone)
        {
            commands.Execute(transaction, "DELETE FROM SchemaExamples WHERE Path = $path", ("$path", path));
        }
        foreach (var (path, value, profile) in added)
        {
            commands.Execute(transaction, """
                INSERT OR IGNORE INTO SchemaExamples (Path, Value, ProfileId) SELECT $path, $value, $p
                WHERE EXISTS (SELECT 1 FROM Profiles WHERE Id = $p AND MergedIntoId IS NULL)
                """, ("$path", path), ("$value", value), ("$p", profile));
        }
        foreach (var (key, path, value, profile) in tally.NewEventExamples)
        {
            commands.Execute(transaction, """
                INSERT OR IGNORE INTO SchemaEventExamples (EventKey, Path, Value, ProfileId) SELECT $key, $path, $value, $p
                WHERE EXISTS (SELECT 1 FROM Profiles WHERE Id = $p AND MergedIntoId IS NULL)
                """, ("$key", key), ("$path", path), ("$value", value), ("$p", profile));
        }
        transaction.Commit();
    }

    /// <summary>A path whose only values were removed again keeps no time; stored as the epoch rather than an out-of-range date.</summary>
    private static DateTime Seen(DateTime at) => at == DateTime.MaxValue || at == DateTime.MinValue ? DateTime.UnixEpoch : at;

    private static DateTime Utc(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc);

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    /// <summary>A statement run once (not prepared for reuse).</summary>
    private static void ExecuteOnce(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = Command(connection, sql);
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
