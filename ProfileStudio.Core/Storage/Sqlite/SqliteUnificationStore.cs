using Microsoft.Data.Sqlite;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Unification;
using ProfileStudio.Core.Unification.Stages;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// The unification store on SQLite (<see cref="IUnificationStore"/>): restores the identity graph, reads the lake after the
/// checkpoint, and writes a run's changes together with the new checkpoint in one transaction, so a
/// crash resumes exactly after the last committed run.
/// </summary>
public sealed class SqliteUnificationStore(SqliteConnection connection, ProfileTables? tables = null, UnificationPipeline? pipeline = null, TimeProvider? clock = null)
    : IUnificationStore
{
    public const int CheckpointId = 1;
    private const int RunCapacity = 10_000;

    /// <summary>The tables written: the live profile store, or a rebuild's shadow copy.</summary>
    public ProfileTables T { get; } = tables ?? ProfileTables.Live;

    private readonly UnificationPipeline _pipeline = pipeline ?? UnificationPipeline.Default;

    /// <summary>The stages and writers this store writes (a split replays with the same ones).</summary>
    public UnificationPipeline Pipeline => _pipeline;

    public SqliteConnection Connection => connection;

    public long ReadCheckpoint()
    {
        using var command = Command($"SELECT LastMessageId FROM {T.UnificationCheckpoints} WHERE Id = 1");
        return command.ExecuteScalar() is long id ? id : 0;
    }

    public IdentityGraph RestoreGraph(IdentityRules rules)
    {
        var identities = new List<(IdentityKey, long)>();
        using (var command = Command($"SELECT Namespace, Value, ProfileId FROM {T.Identities}"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                identities.Add((new IdentityKey(reader.GetString(0), reader.GetString(1)), reader.GetInt64(2)));
            }
        }
        var profiles = new List<(long, long?)>();
        using (var command = Command($"SELECT Id, MergedIntoId FROM {T.Profiles}"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                profiles.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1)));
            }
        }
        var graph = IdentityGraph.Restore(rules, identities, profiles, ReadNeverLinks());
        using (var command = Command("SELECT coalesce(max(Id), 0) FROM DeletedProfiles"))
        {
            graph.ReserveIdsThrough((long)command.ExecuteScalar()!);
        }
        return graph;
    }

    /// <summary>The pairs administrators ruled must never be in one profile.</summary>
    public List<(IdentityKey A, IdentityKey B)> ReadNeverLinks()
    {
        var neverLink = new List<(IdentityKey, IdentityKey)>();
        using var command = Command("SELECT NamespaceA, ValueA, NamespaceB, ValueB FROM NeverLinkRules");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            neverLink.Add((new IdentityKey(reader.GetString(0), reader.GetString(1)), new IdentityKey(reader.GetString(2), reader.GetString(3))));
        }
        return neverLink;
    }

    /// <summary>
    /// The next accepted and rejected lake messages after <paramref name="afterId"/>, in lake order,
    /// less those set aside (<see cref="SetAsideMessage"/>): at most <paramref name="take"/>, and no
    /// more once their payloads reach <paramref name="maxPayloadChars"/>.
    /// </summary>
    public List<RawMessage> ReadLake(long afterId, int take, long maxPayloadChars = long.MaxValue)
    {
        // The set-aside messages ahead (almost always none: one probe) are read first and skipped in
        // memory, rather than probed for on every lake row; the range read takes that many more rows.
        var setAside = new HashSet<long>();
        using (var aside = Command("SELECT MessageId FROM SetAsideMessages WHERE MessageId > $after"))
        {
            aside.Parameters.AddWithValue("$after", afterId);
            using var reader = aside.ExecuteReader();
            while (reader.Read())
            {
                setAside.Add(reader.GetInt64(0));
            }
        }
        using var command = Command("""
            SELECT Id, SourceId, Type, ReceivedAt, EventAt, Payload, Status FROM RawMessages
            WHERE Id > $after ORDER BY Id LIMIT $take
            """);
        command.Parameters.AddWithValue("$after", afterId);
        command.Parameters.AddWithValue("$take", (long)take + setAside.Count);
        return ReadMessages(command, take, maxPayloadChars, setAside);
    }

    /// <summary>Set-aside messages someone asked to process again, in lake order.</summary>
    public List<RawMessage> ReadRetryRequested(int take)
    {
        using var command = Command("""
            SELECT Id, SourceId, Type, ReceivedAt, EventAt, Payload, Status FROM RawMessages r
            WHERE Id IN (SELECT MessageId FROM SetAsideMessages WHERE RetryRequestedAt IS NOT NULL)
            ORDER BY Id LIMIT $take
            """);
        command.Parameters.AddWithValue("$take", take);
        return ReadMessages(command, take, long.MaxValue);
    }

    /// <summary>The first message after <paramref name="afterId"/> that unification would read (set-aside ones excluded).</summary>
    public long? NextLakeMessage(long afterId) => ReadLake(afterId, 1) is [var first] ? first.Id : null;

    /// <summary>
    /// Sets one message aside in its own transaction (a run that failed because of it was rolled
    /// back), or records one more failed attempt; a pending retry request is cleared either way.
    /// The checkpoint moves past it when it was the next message to unify.
    /// </summary>
    public void SetAside(long messageId, string reason, DateTime now)
    {
        using var turn = WriteTurns.TakeFor(connection);
        using var transaction = connection.BeginTransaction();
        WriteSetAside(transaction, messageId, reason, now);
        Execute(transaction, $"""
            INSERT INTO {T.UnificationCheckpoints} (Id, LastMessageId, UpdatedAt)
            SELECT 1, $id, $now WHERE NOT EXISTS (
                SELECT 1 FROM RawMessages r
                WHERE r.Id > coalesce((SELECT LastMessageId FROM {T.UnificationCheckpoints} WHERE Id = 1), 0) AND r.Id < $id
                    AND NOT EXISTS (SELECT 1 FROM SetAsideMessages s WHERE s.MessageId = r.Id))
            ON CONFLICT (Id) DO UPDATE SET LastMessageId = max(LastMessageId, excluded.LastMessageId), UpdatedAt = excluded.UpdatedAt
            """, ("$id", messageId), ("$now", now));
        transaction.Commit();
    }

    /// <summary>Records a set-aside message (or one more failed attempt) from a stage writer.</summary>
    internal static void WriteSetAside(StageWriteContext context, long messageId, string reason) => context.Execute(SetAsideSql,
        ("$id", messageId), ("$at", context.Now), ("$reason", Truncate(reason, 2000)));

    private void WriteSetAside(SqliteTransaction transaction, long messageId, string reason, DateTime now) => Execute(transaction, SetAsideSql,
        ("$id", messageId), ("$at", now), ("$reason", Truncate(reason, 2000)));

    private const string SetAsideSql = """
        INSERT INTO SetAsideMessages (MessageId, SetAsideAt, Reason, Attempts, RetryRequestedAt) VALUES ($id, $at, $reason, 1, NULL)
        ON CONFLICT (MessageId) DO UPDATE SET SetAsideAt = excluded.SetAsideAt, Reason = excluded.Reason,
            Attempts = SetAsideMessages.Attempts + 1, RetryRequestedAt = NULL
        """;

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static List<RawMessage> ReadMessages(SqliteCommand command, int take, long maxPayloadChars, HashSet<long>? skip = null)
    {
        using var reader = command.ExecuteReader();
        var messages = new List<RawMessage>(Math.Min(take, RunCapacity));
        var chars = 0L;
        while (chars < maxPayloadChars && messages.Count < take && reader.Read())
        {
            if (skip is { Count: > 0 } && skip.Contains(reader.GetInt64(0)))
            {
                continue;
            }
            messages.Add(new RawMessage
            {
                Id = reader.GetInt64(0),
                SourceId = reader.GetInt32(1),
                Type = reader.GetString(2),
                ReceivedAt = DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc),
                EventAt = DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc),
                Payload = reader.GetString(5),
                Status = (MessageStatus)reader.GetInt32(6),
            });
            chars += messages[^1].Payload.Length;
        }
        return messages;
    }

    /// <summary>
    /// Writes a run's changes and its checkpoint in one transaction. <paramref name="prepare"/> runs
    /// first in the same transaction (a split clears the profile it recomputes). A stop asked for through
    /// <paramref name="ct"/> before the commit throws <see cref="OperationCanceledException"/> at the next
    /// statement and rolls the whole run back (nothing half-written; the checkpoint stays where it was).
    /// </summary>
    public void Apply(UnificationChanges changes, DateTime now, CancellationToken ct = default) => Apply(changes, now, null, ct);

    /// <inheritdoc cref="Apply(UnificationChanges, DateTime, CancellationToken)"/>
    public void Apply(UnificationChanges changes, DateTime now, Action<SqliteTransaction>? prepare, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        using var turn = WriteTurns.TakeFor(connection, ct);
        using var transaction = connection.BeginTransaction();
        prepare?.Invoke(transaction);
        var marks = new ProfileChangeMarks();
        var context = new StageWriteContext(this, transaction, now, ct, marks);
        // Each stage's changes by its writer, in the pipeline's order (a stage writes after the stages it reads from).
        foreach (var writer in _pipeline.Writers)
        {
            if (changes.Outputs.FirstOrDefault(o => o.GetType() == writer.Changes) is { } output)
            {
                writer.Write(output, context);
            }
        }
        var setAsideAgain = changes.Find<MessageReadChanges>()?.SetAside.Select(a => a.MessageId).ToHashSet() ?? [];
        foreach (var retried in changes.Retried.Where(id => !setAsideAgain.Contains(id)))
        {
            Execute(transaction, "DELETE FROM SetAsideMessages WHERE MessageId = $id", ("$id", retried));
        }
        if (T == ProfileTables.Live)
        {
            WriteFeed(changes, marks, now, ct); // a rebuild's shadow store announces itself once, when it is swapped in
        }
        ct.ThrowIfCancellationRequested(); // the last moment a stop rolls the run back
        // Never backwards: a retried set-aside message is older than the checkpoint.
        Execute(transaction, $"""
            INSERT INTO {T.UnificationCheckpoints} (Id, LastMessageId, UpdatedAt) VALUES (1, $m, $now)
            ON CONFLICT (Id) DO UPDATE SET LastMessageId = max(LastMessageId, excluded.LastMessageId), UpdatedAt = excluded.UpdatedAt
            """, ("$m", changes.LastMessageId), ("$now", now));
        transaction.Commit();
    }

    /// <summary>The change feed's rows for a run: what each stage did to each profile, in the run's transaction.</summary>
    private void WriteFeed(UnificationChanges changes, ProfileChangeMarks marks, DateTime now, CancellationToken ct)
    {
        foreach (var output in changes.Outputs)
        {
            output.Describe(marks);
        }
        // Rows go in FeedChunk at a time, in order: the feed's key is AUTOINCREMENT, whose counter SQLite
        // reads and writes once per statement, so one statement per row cost as much again as the rows.
        // A split's own rows first: a consumer whose batch ends between the two hears of the split before the parts' rows,
        // which mark its replay's profiles new (Created) and must not read as new people.
        var rows = changes.Feed.Concat(marks.Rows).ToList();
        // A row's At is when it was appended: the run's stages have written by now (the feed goes last), so a consumer's lag
        // (the feed's oldest unread row, /metrics) counts from when the change could first be read, not from when the run began
        // writing it, which is unification's lag. Without a clock (tests, tools) the run's time.
        var appended = clock?.GetUtcNow().UtcDateTime is { } time && time > now ? time : now;
        var at = SqliteStatement.Text(appended); // stored as a bound DateTime is, formatted once
        var chunk = Statement(FeedInsert(FeedChunk));
        var whole = rows.Count - rows.Count % FeedChunk;
        for (var start = 0; start < whole; start += FeedChunk)
        {
            ct.ThrowIfCancellationRequested();
            for (var i = 0; i < FeedChunk; i++)
            {
                var row = rows[start + i];
                chunk.Bind(4 * i + 1, at).Bind(4 * i + 2, row.ProfileId).Bind(4 * i + 3, (long)row.Kinds).Bind(4 * i + 4, row.OtherProfileId);
            }
            chunk.Execute();
        }
        var one = Statement(FeedInsert(1));
        foreach (var row in rows.Skip(whole))
        {
            one.Bind(1, at).Bind(2, row.ProfileId).Bind(3, (long)row.Kinds).Bind(4, row.OtherProfileId).Execute();
        }
    }

    private const int FeedChunk = 64;

    private static string FeedInsert(int rows) => "INSERT INTO ProfileChanges (At, ProfileId, Kinds, OtherProfileId) VALUES "
        + string.Join(", ", Enumerable.Range(0, rows).Select(i => $"(?{4 * i + 1}, ?{4 * i + 2}, ?{4 * i + 3}, ?{4 * i + 4})"));

    /// <summary>Empties the profile store (identities, links, profiles, fragments, events, insights, checkpoint) for a rebuild.</summary>
    public void Clear()
    {
        using var turn = WriteTurns.TakeFor(connection);
        using var transaction = connection.BeginTransaction();
        foreach (var table in T.All)
        {
            Execute(transaction, $"DELETE FROM {table}");
        }
        transaction.Commit();
    }

    private readonly Dictionary<string, SqliteStatement> _statements = [];

    /// <summary>The statements of <see cref="RowSql"/>s, found by the object (the same statements as <see cref="_statements"/> holds).</summary>
    private readonly Dictionary<RowSql, SqliteStatement> _rowStatements = [];
    private PreparedCommands? _commands;

    private PreparedCommands Commands => _commands ??= new PreparedCommands(connection);

    /// <summary>Finalizes the statements this store prepared on its connection.</summary>
    public void Dispose()
    {
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }
        _statements.Clear();
        _rowStatements.Clear();
        _commands?.Dispose();
        _commands = null;
    }

    /// <summary>A hot statement, prepared once and bound by position (see <see cref="SqliteStatement"/>).</summary>
    internal SqliteStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            _statements[sql] = statement = new SqliteStatement(connection, sql);
        }
        return statement;
    }

    /// <summary>A hot statement over this store's tables (<see cref="T"/>), prepared once and found by its <see cref="RowSql"/>.</summary>
    internal SqliteStatement Statement(RowSql sql)
    {
        if (!_rowStatements.TryGetValue(sql, out var statement))
        {
            _rowStatements[sql] = statement = Statement(sql.For(T));
        }
        return statement;
    }

    /// <summary>A statement with named parameters in <paramref name="transaction"/>, prepared once per store.</summary>
    public void Execute(SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters) =>
        Commands.Execute(transaction, sql, parameters);

    /// <summary>A read in <paramref name="transaction"/>, prepared once; parameters <c>$1</c>, <c>$2</c>, … in order.</summary>
    internal SqliteDataReader Query(SqliteTransaction transaction, string sql, object[] parameters) => Commands.Query(transaction, sql, parameters);

    private SqliteCommand Command(string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
