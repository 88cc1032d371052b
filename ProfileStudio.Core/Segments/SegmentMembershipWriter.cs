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
/// memberships changed, so destinations read segment changes from the feed like every other change.
/// Writing the same outcome twice changes nothing (the feed is read at least once).
/// </summary>
public sealed class SegmentMembershipWriter(IDbContextFactory<ProfileStudioDbContext> dbFactory, ChangeFeedSignal signal)
{
    /// <summary>
    /// Applies <paramref name="outcomes"/>; every membership and clock check of <paramref name="goneProfiles"/>
    /// (merged away, deleted) is removed, their exits recorded.
    /// </summary>
    public async Task<SegmentWriteResult> ApplyAsync(IReadOnlyCollection<SegmentOutcome> outcomes, IReadOnlyCollection<long> goneProfiles, DateTime now, CancellationToken ct = default)
    {
        if (outcomes.Count == 0 && goneProfiles.Count == 0)
        {
            return new(new Dictionary<long, (long, long)>(), 0);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var sql = new Sql((SqliteConnection)db.Database.GetDbConnection(), (SqliteTransaction)transaction.GetDbTransaction());
        var changes = new Changes();
        foreach (var profile in goneProfiles)
        {
            foreach (var segment in sql.Longs("SELECT SegmentId FROM SegmentMemberships WHERE ProfileId = $1", profile))
            {
                sql.Run("DELETE FROM SegmentMemberships WHERE ProfileId = $1 AND SegmentId = $2", profile, segment);
                changes.Exit(sql, segment, profile, now);
            }
            sql.Run("DELETE FROM SegmentClockChecks WHERE ProfileId = $1", profile);
        }
        foreach (var o in outcomes)
        {
            var was = sql.Longs("SELECT 1 FROM SegmentMemberships WHERE ProfileId = $1 AND SegmentId = $2", o.ProfileId, o.SegmentId).Count > 0;
            if (o.IsMember && !was)
            {
                sql.Run("INSERT INTO SegmentMemberships (ProfileId, SegmentId, Since) VALUES ($1, $2, $3)", o.ProfileId, o.SegmentId, now);
                changes.Enter(sql, o.SegmentId, o.ProfileId, now);
            }
            else if (!o.IsMember && was)
            {
                sql.Run("DELETE FROM SegmentMemberships WHERE ProfileId = $1 AND SegmentId = $2", o.ProfileId, o.SegmentId);
                changes.Exit(sql, o.SegmentId, o.ProfileId, now);
            }
            if (o.NextCheckAt is { } due)
            {
                sql.Run("""
                    INSERT INTO SegmentClockChecks (ProfileId, SegmentId, DueAt) VALUES ($1, $2, $3)
                    ON CONFLICT (ProfileId, SegmentId) DO UPDATE SET DueAt = excluded.DueAt
                    """, o.ProfileId, o.SegmentId, due);
            }
            else
            {
                sql.Run("DELETE FROM SegmentClockChecks WHERE ProfileId = $1 AND SegmentId = $2", o.ProfileId, o.SegmentId);
            }
        }
        changes.Finish(sql, now);
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
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var sql = new Sql((SqliteConnection)db.Database.GetDbConnection(), (SqliteTransaction)transaction.GetDbTransaction());
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

    /// <summary>Sets every segment's member count from its rows (after a delete removed rows behind the writer's back).</summary>
    public async Task RecountAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.ExecuteSqlRawAsync(
            "UPDATE Segments SET MemberCount = (SELECT COUNT(*) FROM SegmentMemberships m WHERE m.SegmentId = Segments.Id)", ct);
    }

    private sealed class Changes
    {
        public Dictionary<long, (long Entered, long Exited)> BySegment { get; } = [];
        public HashSet<long> Profiles { get; } = [];

        public void Enter(Sql sql, long segment, long profile, DateTime now)
        {
            sql.Run("INSERT INTO SegmentMembershipChanges (SegmentId, ProfileId, Kind, At) VALUES ($1, $2, 'Realized', $3)", segment, profile, now);
            var (e, x) = BySegment.GetValueOrDefault(segment);
            BySegment[segment] = (e + 1, x);
            Profiles.Add(profile);
        }

        public void Exit(Sql sql, long segment, long profile, DateTime now)
        {
            sql.Run("INSERT INTO SegmentMembershipChanges (SegmentId, ProfileId, Kind, At) VALUES ($1, $2, 'Exited', $3)", segment, profile, now);
            var (e, x) = BySegment.GetValueOrDefault(segment);
            BySegment[segment] = (e, x + 1);
            Profiles.Add(profile);
        }

        /// <summary>Member counts move by the entries and exits; the day's size is the count after them.</summary>
        public void Finish(Sql sql, DateTime now, bool feed = true)
        {
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
            if (feed)
            {
                foreach (var profile in Profiles)
                {
                    sql.Run($"INSERT INTO ProfileChanges (At, ProfileId, Kinds, OtherProfileId) VALUES ($1, $2, {(int)ProfileChangeKinds.Segments}, NULL)", now, profile);
                }
            }
        }
    }

    /// <summary>Small helpers over the transaction's connection (parameters <c>$1</c>, <c>$2</c>, … in order).</summary>
    private sealed class Sql(SqliteConnection connection, SqliteTransaction transaction)
    {
        private readonly Dictionary<string, SqliteCommand> _commands = [];

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

        public List<long> Longs(string text, params object[] parameters)
        {
            using var reader = Command(text, parameters).ExecuteReader();
            var values = new List<long>();
            while (reader.Read())
            {
                values.Add(reader.GetInt64(0));
            }
            return values;
        }
    }
}
