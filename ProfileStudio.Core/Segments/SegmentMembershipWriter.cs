using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ChangeFeed;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// A profile's result for one segment at one evaluation: member or not, and when the result may next change
/// by the clock alone (null: not without new data).
/// </summary>
public readonly record struct SegmentOutcome(long SegmentId, long ProfileId, bool IsMember, DateTime? NextCheckAt);

/// <summary>What a write changed: entries and exits per segment.</summary>
public sealed record SegmentWriteResult(IReadOnlyDictionary<long, (long Entered, long Exited)> BySegment, int ProfilesChanged)
{
    public long Entered => BySegment.Values.Sum(v => v.Entered);
    public long Exited => BySegment.Values.Sum(v => v.Exited);
}

/// <summary>
/// The one write path of memberships (streaming, clock re-checks, batch, disable): in one transaction, the
/// memberships, the history (realized / exited at <c>now</c>), the clock checks, each segment's daily size (the last
/// day's is its member count) and a change-feed row (<see cref="ProfileChangeKinds.Segments"/>) per profile whose
/// memberships changed, so a consumer (destinations, when they come) reads segment changes from the feed like every other change.
/// Writing the same outcome twice changes nothing (the feed is read at least once).
/// <para>
/// The tables are in the segments' own file (<see cref="SqliteConsumerTables.Segments"/>), so a write takes that file's
/// turn and never waits for a unification run, nor a run for it. The feed rows and member counts are the store's: they go
/// to an outbox in the same transaction, and <see cref="SegmentFeedRelay"/> copies them over in the store's turn, in the
/// background (at least once). Where the tables are still in the store's file (an in-memory store), they are written
/// directly in the same transaction.
/// </para>
/// </summary>
public sealed class SegmentMembershipWriter : IAsyncDisposable, Unification.IRebuildFollower
{
    private readonly IDbContextFactory<ProfileStudioDbContext> dbFactory;
    private readonly ChangeFeedSignal signal;

    // One connection for every write, one write at a time: in their own file nothing else writes these tables, so its page
    // cache stays warm from one write to the next (a connection per write read every page it touched from the file again).
    private readonly SemaphoreSlim _one = new(1, 1);
    private SqliteConnection? _connection;
    private Sql? _sql;
    private WalCheckpointer? _checkpointer;
    private bool _disposed;

    public SegmentMembershipWriter(IDbContextFactory<ProfileStudioDbContext> dbFactory, ChangeFeedSignal signal, ILogger<SegmentFeedRelay>? logger = null)
    {
        this.dbFactory = dbFactory;
        this.signal = signal;
        Relay = new SegmentFeedRelay(dbFactory, signal, RemoveRelayedAsync, logger);
    }

    /// <summary>Copies the outbox into the store's feed after each write that filled it.</summary>
    public SegmentFeedRelay Relay { get; }

    public async ValueTask DisposeAsync()
    {
        await Relay.Running; // never throws: a pass logs its own failures
        await _one.WaitAsync();
        try
        {
            _sql?.Dispose();
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
            if (_checkpointer is not null)
            {
                await _checkpointer.DisposeAsync();
            }
            (_sql, _connection, _checkpointer) = (null, null, null);
            _disposed = true; // a relay pass kicked by the last write must not open them again
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>
    /// Applies <paramref name="outcomes"/>; every membership and clock check of <paramref name="goneProfiles"/>
    /// (merged away, deleted) is removed, their exits recorded. <paramref name="referrersEvaluated"/>: the outcomes include,
    /// for every segment evaluated, the streaming segments that refer to it, evaluated after it
    /// (<see cref="ProfileChangeKinds.ReferrersEvaluated"/> on the feed rows).
    /// </summary>
    public async Task<SegmentWriteResult> ApplyAsync(IReadOnlyCollection<SegmentOutcome> outcomes, IReadOnlyCollection<long> goneProfiles, DateTime now,
        CancellationToken ct = default, bool referrersEvaluated = false)
    {
        if (outcomes.Count == 0 && goneProfiles.Count == 0)
        {
            return new(new Dictionary<long, (long, long)>(), 0);
        }
        await using var write = await Write.BeginAsync(this, ct);
        var sql = write.Sql;
        var changes = new Changes();
        if (goneProfiles.Count > 0)
        {
            // Merges are frequent (anonymous visitors signing in): one statement per kind for them all, not a few per profile.
            var gone = "[" + string.Join(",", goneProfiles.Distinct()) + "]";
            foreach (var (profile, segment) in sql.Pairs("SELECT ProfileId, SegmentId FROM SegmentMemberships WHERE ProfileId IN (SELECT value FROM json_each($1))", gone))
            {
                changes.Exit(segment, profile);
            }
            sql.Run("DELETE FROM SegmentMemberships WHERE ProfileId IN (SELECT value FROM json_each($1))", gone);
            sql.Run("DELETE FROM SegmentClockChecks WHERE ProfileId IN (SELECT value FROM json_each($1))", gone);
        }
        // What is stored for these profiles, read once: most outcomes change nothing and then cost no statement.
        var members = new HashSet<(long Profile, long Segment)>();
        var checks = new Dictionary<(long Profile, long Segment), DateTime>();
        foreach (var chunk in outcomes.Select(o => o.ProfileId).Distinct().Chunk(500))
        {
            // One parameter for the ids: the statements are prepared once and kept with the writer's connection.
            var list = "[" + string.Join(",", chunk) + "]";
            foreach (var (p, s) in sql.Pairs("SELECT ProfileId, SegmentId FROM SegmentMemberships WHERE ProfileId IN (SELECT value FROM json_each($1))", list))
            {
                members.Add((p, s));
            }
            foreach (var (p, s, due) in sql.Checks("SELECT ProfileId, SegmentId, DueAt FROM SegmentClockChecks WHERE ProfileId IN (SELECT value FROM json_each($1))", list))
            {
                checks[(p, s)] = due;
            }
        }
        // Decided here, written below in one statement per kind: a statement per row cost most of the time
        // this transaction holds the single write lock.
        var entered = new List<(long Profile, long Segment)>();
        var exited = new List<(long Profile, long Segment)>();
        var checksDue = new List<(long Profile, long Segment, DateTime Due)>();
        var checksGone = new List<(long Profile, long Segment)>();
        foreach (var o in outcomes)
        {
            var key = (o.ProfileId, o.SegmentId);
            var was = members.Contains(key);
            if (o.IsMember && !was)
            {
                members.Add(key);
                entered.Add(key);
                changes.Enter(o.SegmentId, o.ProfileId);
            }
            else if (!o.IsMember && was)
            {
                members.Remove(key);
                exited.Add(key);
                changes.Exit(o.SegmentId, o.ProfileId);
            }
            var hasCheck = checks.TryGetValue(key, out var stored);
            if (o.NextCheckAt is { } due)
            {
                // A stored check is never later than the next change the clock can make: a check falling due early only
                // evaluates again and stores the next one. So a later time (each new event moves "in the last 30 days" on)
                // needs no write until the stored check has fallen due; most events then cost no statement here.
                if (!hasCheck || due < stored || stored <= now)
                {
                    checks[key] = due;
                    checksDue.Add((o.ProfileId, o.SegmentId, due));
                }
            }
            else if (hasCheck)
            {
                checks.Remove(key);
                checksGone.Add(key);
            }
        }
        if (entered.Count > 0)
        {
            sql.Run($"INSERT INTO SegmentMemberships (ProfileId, SegmentId, Since) SELECT {Column(0)}, {Column(1)}, $1 FROM json_each($2)", now, Json(entered));
        }
        if (exited.Count > 0)
        {
            sql.Run($"DELETE FROM SegmentMemberships WHERE (ProfileId, SegmentId) IN (SELECT {Column(0)}, {Column(1)} FROM json_each($1))", Json(exited));
        }
        if (checksDue.Count > 0)
        {
            // "WHERE true": an upsert's SELECT needs a WHERE clause so that ON reads as the conflict clause, not a join.
            sql.Run($"""
                INSERT INTO SegmentClockChecks (ProfileId, SegmentId, DueAt) SELECT {Column(0)}, {Column(1)}, {Column(2)} FROM json_each($1) WHERE true
                ON CONFLICT (ProfileId, SegmentId) DO UPDATE SET DueAt = excluded.DueAt
                """, Json(checksDue));
        }
        if (checksGone.Count > 0)
        {
            sql.Run($"DELETE FROM SegmentClockChecks WHERE (ProfileId, SegmentId) IN (SELECT {Column(0)}, {Column(1)} FROM json_each($1))", Json(checksGone));
        }
        changes.Finish(sql, now, write.OwnFile, kinds: referrersEvaluated ? ProfileChangeKinds.Segments | ProfileChangeKinds.ReferrersEvaluated : ProfileChangeKinds.Segments);
        write.Commit();
        Committed(write.OwnFile, changes.Profiles.Count > 0);
        return new(changes.BySegment, changes.Profiles.Count);
    }

    /// <summary>
    /// After a commit that changed memberships or sizes: the relay copies what the outbox got and the member counts; feed rows
    /// written to the store's feed directly wake its consumers.
    /// </summary>
    private void Committed(bool ownFile, bool changed)
    {
        if (!changed)
        {
            return;
        }
        if (ownFile)
        {
            Relay.Kick();
        }
        else
        {
            signal.Notify();
        }
    }

    /// <summary>Removes every member of a segment (disabled, deleted), recording their exits, and its clock checks.</summary>
    public async Task<long> RemoveAllAsync(long segmentId, DateTime now, CancellationToken ct = default)
    {
        await using var write = await Write.BeginAsync(this, ct);
        var sql = write.Sql;
        var exited = sql.Run("""
            INSERT INTO SegmentMembershipChanges (SegmentId, ProfileId, Kind, At)
            SELECT SegmentId, ProfileId, 'Exited', $2 FROM SegmentMemberships WHERE SegmentId = $1
            """, segmentId, now);
        sql.Run($"""
            INSERT INTO {FeedTable(write.OwnFile)} (At, ProfileId, Kinds)
            SELECT $2, ProfileId, {(int)ProfileChangeKinds.Segments} FROM SegmentMemberships WHERE SegmentId = $1
            """, segmentId, now);
        sql.Run("DELETE FROM SegmentMemberships WHERE SegmentId = $1", segmentId);
        sql.Run("DELETE FROM SegmentClockChecks WHERE SegmentId = $1", segmentId);
        var changes = new Changes();
        changes.BySegment[segmentId] = (0, exited);
        changes.Finish(sql, now, write.OwnFile, feed: false);
        write.Commit();
        Committed(write.OwnFile, changed: true);
        return exited;
    }

    /// <summary>Removes membership history older than <paramref name="before"/>.</summary>
    public async Task PruneHistoryAsync(DateTime before, CancellationToken ct = default)
    {
        await using var write = await Write.BeginAsync(this, ct);
        write.Sql.Run("DELETE FROM SegmentMembershipChanges WHERE At < $1", before);
        write.Commit();
    }

    /// <summary>Removes these clock checks (of segments no longer active).</summary>
    public async Task DropClockChecksAsync(IReadOnlyCollection<(long Profile, long Segment)> checks, CancellationToken ct = default)
    {
        await using var write = await Write.BeginAsync(this, ct);
        write.Sql.Run($"DELETE FROM SegmentClockChecks WHERE (ProfileId, SegmentId) IN (SELECT {Column(0)}, {Column(1)} FROM json_each($1))", Json(checks));
        write.Commit();
    }

    /// <summary>Removes the outbox rows up to <paramref name="last"/>, which the relay has copied into the store's feed.</summary>
    private async Task RemoveRelayedAsync(long last, CancellationToken ct)
    {
        await using var write = await Write.BeginAsync(this, ct);
        write.Sql.Run("DELETE FROM SegmentFeedOutbox WHERE Id <= $1", last);
        write.Commit();
    }

    /// <summary>A deleted segment's rows: its history and daily sizes (its members and clock checks went when it was disabled; removed again in case).</summary>
    public async Task ForgetAsync(long segmentId, CancellationToken ct = default)
    {
        await using var write = await Write.BeginAsync(this, ct);
        foreach (var table in new[] { "SegmentMemberships", "SegmentClockChecks", "SegmentMembershipChanges", "SegmentDailySizes" })
        {
            write.Sql.Run($"DELETE FROM {table} WHERE SegmentId = $1", segmentId);
        }
        write.Commit();
    }

    /// <summary>
    /// After a rebuild (new profile ids): every membership and clock check goes, silently (the full evaluation the consumer
    /// asks for next enters everyone again), and every segment's size is set to 0 for the day.
    /// </summary>
    public async Task ClearAfterRebuildAsync(DateTime now, CancellationToken ct = default)
    {
        await using (var write = await Write.BeginAsync(this, ct))
        {
            write.Sql.Run("DELETE FROM SegmentMemberships");
            write.Sql.Run("DELETE FROM SegmentClockChecks");
            write.Commit();
        }
        await RecountAsync(now, ct);
    }

    /// <summary>A rebuild was swapped in: memberships of the old ids go at once (<see cref="ClearAfterRebuildAsync"/>).</summary>
    public Task SwappedInAsync(DateTime now, CancellationToken ct) => ClearAfterRebuildAsync(now, ct);

    /// <summary>
    /// Sets every segment's size of day <paramref name="now"/> (and so its member count) from its rows, for segments that have
    /// a size, after memberships were removed behind the writer's back.
    /// </summary>
    public async Task RecountAsync(DateTime now, CancellationToken ct = default)
    {
        await using var write = await Write.BeginAsync(this, ct);
        var day = DateTime.SpecifyKind(now.Date, DateTimeKind.Utc);
        write.Sql.Run("""
            INSERT INTO SegmentDailySizes (SegmentId, Day, Size, Entered, Exited)
            SELECT d.SegmentId, $1, (SELECT count(*) FROM SegmentMemberships m WHERE m.SegmentId = d.SegmentId), 0, 0
            FROM (SELECT DISTINCT SegmentId FROM SegmentDailySizes) d WHERE true
            ON CONFLICT (SegmentId, Day) DO UPDATE SET Size = excluded.Size
            """, day);
        if (!write.OwnFile)
        {
            write.Sql.Run(MemberCountsFromSizes);
        }
        write.Commit();
        Committed(write.OwnFile, changed: true);
    }

    /// <summary>Every segment's member count from its last daily size (the store's <c>Segments</c>, read by the segment pages and the dashboard).</summary>
    internal const string MemberCountsFromSizes = """
        UPDATE Segments SET MemberCount = coalesce((SELECT d.Size FROM SegmentDailySizes d WHERE d.SegmentId = Segments.Id ORDER BY d.Day DESC LIMIT 1), 0)
        WHERE MemberCount <> coalesce((SELECT d.Size FROM SegmentDailySizes d WHERE d.SegmentId = Segments.Id ORDER BY d.Day DESC LIMIT 1), 0)
        """;

    /// <summary>Where a write's feed rows go: the outbox beside the memberships, or the store's feed when they share its file.</summary>
    private static string FeedTable(bool ownFile) => ownFile ? "SegmentFeedOutbox" : "ProfileChanges";

    /// <summary>
    /// A write of these tables on the writer's connection (side files attached), one at a time: the turn of the file they are
    /// in, and a transaction (deferred in their own file, so it locks that file alone).
    /// </summary>
    private sealed class Write : IAsyncDisposable
    {
        private SegmentMembershipWriter _writer = null!;
        private WriteTurns.Turn? _turn;
        private SqliteTransaction? _transaction;
        private bool _committed;

        public Sql Sql { get; private set; } = null!;

        /// <summary>The tables are in the segments' own file (else in the store's).</summary>
        public bool OwnFile { get; private set; }

        public static async Task<Write> BeginAsync(SegmentMembershipWriter writer, CancellationToken ct)
        {
            await writer._one.WaitAsync(ct);
            var write = new Write { _writer = writer };
            try
            {
                ObjectDisposedException.ThrowIf(writer._disposed, writer);
                if (writer._connection is null)
                {
                    string connectionString;
                    await using (var db = await writer.dbFactory.CreateDbContextAsync(ct))
                    {
                        connectionString = db.Database.GetConnectionString()!;
                    }
                    writer._connection = await SqliteConsumerTables.OpenAsync(connectionString, ct);
                    if (SqliteConsumerTables.Segments.FileFor(connectionString) is { } segmentsFile)
                    {
                        // Room for the tables' upper pages and recent leaves (2 MB by default). The log is copied into the file
                        // by a checkpointer of its own after each commit, not by the commit that passes 1,000 pages (a tenth
                        // to a fifth of the consumer's time went to those checkpoints); the connection's own stays as a backstop.
                        using var pragma = writer._connection.CreateCommand();
                        pragma.CommandText = $"PRAGMA {SqliteConsumerTables.Segments.Schema}.cache_size = -65536; PRAGMA wal_autocheckpoint = 262144";
                        pragma.ExecuteNonQuery();
                        writer._checkpointer ??= new WalCheckpointer(new SqliteConnectionStringBuilder { DataSource = segmentsFile }.ToString());
                    }
                    writer._sql = new Sql(writer._connection);
                }
                var connection = writer._connection;
                var file = SqliteConsumerTables.Segments;
                write.OwnFile = file.InOwnFile(connection);
                write._turn = await file.TakeTurnAsync(connection, ct);
                write._transaction = file.BeginWrite(connection);
                write.Sql = writer._sql!;
                write.Sql.Transaction = write._transaction;
                return write;
            }
            catch
            {
                await write.DisposeAsync();
                throw;
            }
        }

        public void Commit()
        {
            _transaction!.Commit();
            _committed = true;
            if (OwnFile)
            {
                _writer._checkpointer?.Request();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                _transaction?.Dispose(); // rolls back what was not committed
                _turn?.Dispose();
                if (!_committed && _writer._connection is { } connection && connection.State != System.Data.ConnectionState.Open)
                {
                    // A broken connection is opened afresh by the next write.
                    _writer._sql?.Dispose();
                    await connection.DisposeAsync();
                    (_writer._sql, _writer._connection) = (null, null);
                }
            }
            finally
            {
                if (Sql is not null)
                {
                    Sql.Transaction = null;
                }
                _writer._one.Release();
            }
        }
    }

    private sealed class Changes
    {
        private readonly List<(long Profile, long Segment, string Kind)> _history = [];

        public Dictionary<long, (long Entered, long Exited)> BySegment { get; } = [];
        public HashSet<long> Profiles { get; } = [];

        public void Enter(long segment, long profile)
        {
            _history.Add((profile, segment, "Realized"));
            var (e, x) = BySegment.GetValueOrDefault(segment);
            BySegment[segment] = (e + 1, x);
            Profiles.Add(profile);
        }

        public void Exit(long segment, long profile)
        {
            _history.Add((profile, segment, "Exited"));
            var (e, x) = BySegment.GetValueOrDefault(segment);
            BySegment[segment] = (e, x + 1);
            Profiles.Add(profile);
        }

        /// <summary>
        /// The history rows; each segment's size of the day moves by the entries and exits (from its last size: the member
        /// count); a feed row per profile whose memberships changed, in the outbox when <paramref name="ownFile"/>, else in
        /// the store's feed with the member counts.
        /// </summary>
        public void Finish(Sql sql, DateTime now, bool ownFile, bool feed = true, ProfileChangeKinds kinds = ProfileChangeKinds.Segments)
        {
            if (_history.Count > 0)
            {
                sql.Run($"INSERT INTO SegmentMembershipChanges (SegmentId, ProfileId, Kind, At) SELECT {Column(1)}, {Column(0)}, {Column(2)}, $1 FROM json_each($2)",
                    now, Json(_history.Select(h => (h.Profile, h.Segment, h.Kind))));
            }
            var day = DateTime.SpecifyKind(now.Date, DateTimeKind.Utc);
            foreach (var (segment, (entered, exited)) in BySegment)
            {
                if (entered == 0 && exited == 0)
                {
                    continue;
                }
                // The segment's last row holds its count: a write dated before it (a clock stepped back, a write racing midnight)
                // counts on that row, so the count never misses a change.
                sql.Run("""
                    INSERT INTO SegmentDailySizes (SegmentId, Day, Size, Entered, Exited)
                    VALUES ($1, max($2, coalesce((SELECT max(Day) FROM SegmentDailySizes WHERE SegmentId = $1), $2)),
                        MAX(0, coalesce((SELECT Size FROM SegmentDailySizes WHERE SegmentId = $1 ORDER BY Day DESC LIMIT 1), 0) + $3 - $4), $3, $4)
                    ON CONFLICT (SegmentId, Day) DO UPDATE SET Size = excluded.Size, Entered = Entered + excluded.Entered, Exited = Exited + excluded.Exited
                    """, segment, day, entered, exited);
                if (!ownFile)
                {
                    sql.Run("UPDATE Segments SET MemberCount = (SELECT Size FROM SegmentDailySizes WHERE SegmentId = $1 ORDER BY Day DESC LIMIT 1) WHERE Id = $1", segment);
                }
            }
            if (feed && Profiles.Count > 0)
            {
                sql.Run($"INSERT INTO {FeedTable(ownFile)} (At, ProfileId, Kinds) SELECT $1, value, {(int)kinds} FROM json_each($2)",
                    now, "[" + string.Join(",", Profiles) + "]");
            }
        }
    }

    /// <summary>Element <paramref name="i"/> of a <c>json_each</c> row that is an array.</summary>
    private static string Column(int i) => $"json_extract(value, '$[{i}]')";

    private static string Json(IEnumerable<(long Profile, long Segment)> rows) =>
        "[" + string.Join(",", rows.Select(r => $"[{r.Profile},{r.Segment}]")) + "]";

    /// <summary>Times as Microsoft.Data.Sqlite writes a bound <see cref="DateTime"/> (and EF reads and compares them).</summary>
    private static string Json(IEnumerable<(long Profile, long Segment, DateTime Due)> rows) =>
        "[" + string.Join(",", rows.Select(r => $"[{r.Profile},{r.Segment},\"{SqliteText(r.Due)}\"]")) + "]";

    private static string Json(IEnumerable<(long Profile, long Segment, string Kind)> rows) =>
        "[" + string.Join(",", rows.Select(r => $"[{r.Profile},{r.Segment},\"{r.Kind}\"]")) + "]";

    public static string SqliteText(DateTime at) => at.ToString(@"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Small helpers over the transaction's connection (parameters <c>$1</c>, <c>$2</c>, … in order).</summary>
    /// <remarks>
    /// Disposed with the transaction: a command left to the finalizer finalizes its statement on the finalizer
    /// thread, which then waits for the connection's mutex while another context uses the pooled connection.
    /// </remarks>
    private sealed class Sql(SqliteConnection connection) : IDisposable
    {
        private const int MaxCommands = 64;
        private readonly Dictionary<string, SqliteCommand> _commands = [];

        /// <summary>The write's transaction: the commands are kept (prepared once) from one write to the next.</summary>
        public SqliteTransaction? Transaction { get; set; }

        public void Dispose()
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }
            _commands.Clear();
        }

        private SqliteCommand Command(string text, object[] parameters)
        {
            if (!_commands.TryGetValue(text, out var command))
            {
                if (_commands.Count >= MaxCommands)
                {
                    Dispose(); // texts should be fixed (parameters carry the values); never let a varying one grow the cache for ever
                }
                command = connection.CreateCommand();
                command.CommandText = text;
                for (var i = 0; i < parameters.Length; i++)
                {
                    command.Parameters.Add(new SqliteParameter($"${i + 1}", null));
                }
                _commands[text] = command;
            }
            command.Transaction = Transaction;
            for (var i = 0; i < parameters.Length; i++)
            {
                command.Parameters[i].Value = parameters[i];
            }
            return command;
        }

        public int Run(string text, params object[] parameters) => Command(text, parameters).ExecuteNonQuery();

        public List<(long, long)> Pairs(string text, params object[] parameters)
        {
            using var reader = Command(text, parameters).ExecuteReader();
            var values = new List<(long, long)>();
            while (reader.Read())
            {
                values.Add((reader.GetInt64(0), reader.GetInt64(1)));
            }
            return values;
        }

        public List<(long, long, DateTime)> Checks(string text, params object[] parameters)
        {
            using var reader = Command(text, parameters).ExecuteReader();
            var values = new List<(long, long, DateTime)>();
            while (reader.Read())
            {
                values.Add((reader.GetInt64(0), reader.GetInt64(1), DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc)));
            }
            return values;
        }
    }
}
