using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Storage;

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
/// memberships, the history (realized / exited at <c>now</c>), the clock checks, each segment's member count
/// and daily size, and a change-feed row (<see cref="ProfileChangeKinds.Segments"/>) per profile whose
/// memberships changed, so a consumer (destinations, when they come) reads segment changes from the feed like every other change.
/// Writing the same outcome twice changes nothing (the feed is read at least once).
/// </summary>
public sealed class SegmentMembershipWriter(IDbContextFactory<ProfileStudioDbContext> dbFactory, ChangeFeedSignal signal)
{
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
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        using var turn = await Core.Storage.Sqlite.WriteTurns.TakeForAsync(db.Database.GetDbConnection().ConnectionString, ct, background: true);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        using var sql = new Sql((SqliteConnection)db.Database.GetDbConnection(), (SqliteTransaction)transaction.GetDbTransaction());
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
            var list = string.Join(",", chunk);
            foreach (var (p, s) in sql.Pairs($"SELECT ProfileId, SegmentId FROM SegmentMemberships WHERE ProfileId IN ({list})"))
            {
                members.Add((p, s));
            }
            foreach (var (p, s, due) in sql.Checks($"SELECT ProfileId, SegmentId, DueAt FROM SegmentClockChecks WHERE ProfileId IN ({list})"))
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
        changes.Finish(sql, now, kinds: referrersEvaluated ? ProfileChangeKinds.Segments | ProfileChangeKinds.ReferrersEvaluated : ProfileChangeKinds.Segments);
        await transaction.CommitAsync(ct);
        if (changes.Profiles.Count > 0)
        {
            signal.Notify();
        }
        return new(changes.BySegment, changes.Profiles.Count);
    }

    /// <summary>Removes every member of a segment (disabled, deleted), recording their exits, and its clock checks.</summary>
    public async Task<long> RemoveAllAsync(long segmentId, DateTime now, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        using var turn = await Core.Storage.Sqlite.WriteTurns.TakeForAsync(db.Database.GetDbConnection().ConnectionString, ct, background: true);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        using var sql = new Sql((SqliteConnection)db.Database.GetDbConnection(), (SqliteTransaction)transaction.GetDbTransaction());
        var exited = sql.Run("""
            INSERT INTO SegmentMembershipChanges (SegmentId, ProfileId, Kind, At)
            SELECT SegmentId, ProfileId, 'Exited', $2 FROM SegmentMemberships WHERE SegmentId = $1
            """, segmentId, now);
        sql.Run($"""
            INSERT INTO ProfileChanges (At, ProfileId, Kinds, OtherProfileId)
            SELECT $2, ProfileId, {(int)ProfileChangeKinds.Segments}, NULL FROM SegmentMemberships WHERE SegmentId = $1
            """, segmentId, now);
        sql.Run("DELETE FROM SegmentMemberships WHERE SegmentId = $1", segmentId);
        sql.Run("DELETE FROM SegmentClockChecks WHERE SegmentId = $1", segmentId);
        var changes = new Changes();
        changes.BySegment[segmentId] = (0, exited);
        changes.Finish(sql, now, feed: false);
        await transaction.CommitAsync(ct);
        if (exited > 0)
        {
            signal.Notify();
        }
        return exited;
    }

    /// <summary>
    /// Sets every segment's member count from its rows, and the size of day <paramref name="now"/> where that day has a row,
    /// after memberships were removed behind the writer's back: a delete (through the register), a rebuild (which swaps in
    /// an empty table; without the recount, re-entering every member doubled the count).
    /// </summary>
    public async Task RecountAsync(DateTime now, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync(
            "UPDATE Segments SET MemberCount = (SELECT COUNT(*) FROM SegmentMemberships m WHERE m.SegmentId = Segments.Id)", ct);
        var day = DateTime.SpecifyKind(now.Date, DateTimeKind.Utc);
        await db.Database.ExecuteSqlAsync(
            $"UPDATE SegmentDailySizes SET Size = (SELECT s.MemberCount FROM Segments s WHERE s.Id = SegmentDailySizes.SegmentId) WHERE Day = {day}", ct);
        await transaction.CommitAsync(ct);
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
        /// The history rows; member counts move by the entries and exits; the day's size is the count after
        /// them; a feed row per profile whose memberships changed.
        /// </summary>
        public void Finish(Sql sql, DateTime now, bool feed = true, ProfileChangeKinds kinds = ProfileChangeKinds.Segments)
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
                sql.Run("UPDATE Segments SET MemberCount = MAX(0, MemberCount + $2 - $3) WHERE Id = $1", segment, entered, exited);
                sql.Run("""
                    INSERT INTO SegmentDailySizes (SegmentId, Day, Size, Entered, Exited)
                    VALUES ($1, $2, (SELECT MemberCount FROM Segments WHERE Id = $1), $3, $4)
                    ON CONFLICT (SegmentId, Day) DO UPDATE SET Size = excluded.Size, Entered = Entered + excluded.Entered, Exited = Exited + excluded.Exited
                    """, segment, day, entered, exited);
            }
            if (feed && Profiles.Count > 0)
            {
                sql.Run($"INSERT INTO ProfileChanges (At, ProfileId, Kinds, OtherProfileId) SELECT $1, value, {(int)kinds}, NULL FROM json_each($2)",
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
    private sealed class Sql(SqliteConnection connection, SqliteTransaction transaction) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _commands = [];

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
                command = connection.CreateCommand();
                command.CommandText = text;
                command.Transaction = transaction;
                for (var i = 0; i < parameters.Length; i++)
                {
                    command.Parameters.Add(new SqliteParameter($"${i + 1}", null));
                }
                _commands[text] = command;
            }
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

        public List<(long, long, DateTime)> Checks(string text)
        {
            using var reader = Command(text, []).ExecuteReader();
            var values = new List<(long, long, DateTime)>();
            while (reader.Read())
            {
                values.Add((reader.GetInt64(0), reader.GetInt64(1), DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc)));
            }
            return values;
        }
    }
}
