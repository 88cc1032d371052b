using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// The unification worker's storage: restores the identity graph, reads the lake after the
/// checkpoint, and writes a run's changes together with the new checkpoint in one transaction, so a
/// crash resumes exactly after the last committed run.
/// </summary>
public sealed class UnificationStore(SqliteConnection connection, ProfileTables? tables = null) : IDisposable
{
    public const int CheckpointId = 1;
    private const int RunCapacity = 10_000;

    /// <summary>The tables written: the live profile store, or a rebuild's shadow copy.</summary>
    public ProfileTables T { get; } = tables ?? ProfileTables.Live;

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
        using var command = Command("""
            SELECT Id, SourceId, Type, ReceivedAt, EventAt, Payload, Status FROM RawMessages r
            WHERE Id > $after AND NOT EXISTS (SELECT 1 FROM SetAsideMessages s WHERE s.MessageId = r.Id)
            ORDER BY Id LIMIT $take
            """);
        command.Parameters.AddWithValue("$after", afterId);
        command.Parameters.AddWithValue("$take", take);
        return ReadMessages(command, take, maxPayloadChars);
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

    private void WriteSetAside(SqliteTransaction transaction, long messageId, string reason, DateTime now) => Execute(transaction, """
        INSERT INTO SetAsideMessages (MessageId, SetAsideAt, Reason, Attempts, RetryRequestedAt) VALUES ($id, $at, $reason, 1, NULL)
        ON CONFLICT (MessageId) DO UPDATE SET SetAsideAt = excluded.SetAsideAt, Reason = excluded.Reason,
            Attempts = SetAsideMessages.Attempts + 1, RetryRequestedAt = NULL
        """, ("$id", messageId), ("$at", now), ("$reason", Truncate(reason, 2000)));

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static List<RawMessage> ReadMessages(SqliteCommand command, int take, long maxPayloadChars)
    {
        using var reader = command.ExecuteReader();
        var messages = new List<RawMessage>(Math.Min(take, RunCapacity));
        var chars = 0L;
        while (chars < maxPayloadChars && reader.Read())
        {
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
    /// first in the same transaction (a split clears the profile it recomputes).
    /// </summary>
    public void Apply(UnificationChanges changes, DateTime now, Action<SqliteTransaction>? prepare = null)
    {
        using var transaction = connection.BeginTransaction();
        prepare?.Invoke(transaction);
        // A profile created in this run is inserted with its last activity, which saves an UPDATE per new profile.
        var insertedTouched = new HashSet<long>();
        var mergedInto = changes.Merges.Select(m => m.Into).ToHashSet();
        foreach (var p in changes.CreatedProfiles)
        {
            // CreatedAt is first seen (earliest event time), UpdatedAt last activity (latest timeline event, else first seen).
            var (createdAt, updatedAt, lastMessage) = (p.CreatedAt, DateTime.MinValue, p.FirstMessageId);
            if (changes.Touched.TryGetValue(p.Id, out var touched))
            {
                (createdAt, updatedAt, lastMessage) = (touched.FirstAt < createdAt ? touched.FirstAt : createdAt, touched.At, Math.Max(lastMessage, touched.MessageId));
                if (!mergedInto.Contains(p.Id))
                {
                    insertedTouched.Add(p.Id); // all its events are in this run: its last activity is known here
                }
            }
            Statement($"INSERT INTO {T.Profiles} (Id, CreatedAt, UpdatedAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES (?1, ?2, ?3, NULL, ?4, ?5)")
                .Bind(1, p.Id).Bind(2, createdAt).Bind(3, updatedAt > createdAt ? updatedAt : createdAt).Bind(4, p.FirstMessageId).Bind(5, lastMessage).Execute();
        }
        foreach (var (from, into) in changes.Merges)
        {
            Execute(transaction, $"UPDATE {T.Identities} SET ProfileId = $into WHERE ProfileId = $from", ("$from", from), ("$into", into));
            Execute(transaction, $"UPDATE {T.ProfileEvents} SET ProfileId = $into WHERE ProfileId = $from", ("$from", from), ("$into", into));
            // The newer fragment wins where both profiles had a value from the same source.
            Execute(transaction, $"""
                INSERT INTO {T.ProfileAttributes} (ProfileId, SourceId, Key, ValueJson, EventAt, MessageId)
                SELECT $into, SourceId, Key, ValueJson, EventAt, MessageId FROM {T.ProfileAttributes} WHERE ProfileId = $from
                ON CONFLICT (ProfileId, SourceId, Key) DO UPDATE SET ValueJson = excluded.ValueJson, EventAt = excluded.EventAt, MessageId = excluded.MessageId
                WHERE excluded.EventAt > {T.ProfileAttributes}.EventAt OR (excluded.EventAt = {T.ProfileAttributes}.EventAt AND excluded.MessageId > {T.ProfileAttributes}.MessageId)
                """, ("$from", from), ("$into", into));
            Execute(transaction, $"DELETE FROM {T.ProfileAttributes} WHERE ProfileId = $from", ("$from", from));
            Execute(transaction, $"""
                UPDATE {T.Profiles} SET
                    CreatedAt = min(CreatedAt, (SELECT CreatedAt FROM {T.Profiles} WHERE Id = $from)),
                    FirstMessageId = min(FirstMessageId, (SELECT FirstMessageId FROM {T.Profiles} WHERE Id = $from))
                WHERE Id = $into
                """, ("$from", from), ("$into", into));
            // Redirects stay one hop: profiles merged into "from" earlier now point at "into" (two statements, so both use an index).
            Execute(transaction, $"UPDATE {T.Profiles} SET MergedIntoId = $into WHERE MergedIntoId = $from", ("$from", from), ("$into", into));
            Execute(transaction, $"UPDATE {T.Profiles} SET MergedIntoId = $into WHERE Id = $from", ("$from", from), ("$into", into));
        }
        foreach (var (key, i) in changes.Identities)
        {
            Statement($"""
                INSERT INTO {T.Identities} (Namespace, Value, ProfileId, SourceId, FirstMessageId, LastMessageId, FirstSeenAt, LastSeenAt)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                ON CONFLICT (Namespace, Value) DO UPDATE SET ProfileId = excluded.ProfileId, LastMessageId = excluded.LastMessageId,
                    LastSeenAt = max(LastSeenAt, excluded.LastSeenAt)
                """).Bind(1, key.Namespace).Bind(2, key.Value).Bind(3, i.ProfileId).Bind(4, i.SourceId).Bind(5, i.FirstMessageId)
                .Bind(6, i.LastMessageId).Bind(7, i.FirstSeenAt).Bind(8, i.LastSeenAt).Execute();
        }
        foreach (var ((from, to), link) in changes.Links)
        {
            Statement($"""
                INSERT INTO {T.IdentityLinks} (FromIdentityId, ToIdentityId, SourceId, FirstMessageId, FirstSeenAt, LastSeenAt)
                SELECT a.Id, b.Id, ?1, ?2, ?3, ?4 FROM {T.Identities} a, {T.Identities} b
                WHERE a.Namespace = ?5 AND a.Value = ?6 AND b.Namespace = ?7 AND b.Value = ?8
                ON CONFLICT (FromIdentityId, ToIdentityId) DO UPDATE SET LastSeenAt = max(LastSeenAt, excluded.LastSeenAt)
                """).Bind(1, link.SourceId).Bind(2, link.FirstMessageId).Bind(3, link.FirstSeenAt).Bind(4, link.LastSeenAt)
                .Bind(5, from.Namespace).Bind(6, from.Value).Bind(7, to.Namespace).Bind(8, to.Value).Execute();
        }
        foreach (var a in changes.Attributes.Values)
        {
            Statement($"""
                INSERT INTO {T.ProfileAttributes} (ProfileId, SourceId, Key, ValueJson, EventAt, MessageId) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT (ProfileId, SourceId, Key) DO UPDATE SET ValueJson = excluded.ValueJson, EventAt = excluded.EventAt, MessageId = excluded.MessageId
                WHERE excluded.EventAt > {T.ProfileAttributes}.EventAt
                    OR (excluded.EventAt = {T.ProfileAttributes}.EventAt AND excluded.MessageId >= {T.ProfileAttributes}.MessageId)
                """).Bind(1, a.ProfileId).Bind(2, a.SourceId).Bind(3, a.Key).Bind(4, a.ValueJson).Bind(5, a.EventAt).Bind(6, a.MessageId).Execute();
        }
        foreach (var e in changes.Events)
        {
            Statement($"INSERT INTO {T.ProfileEvents} (ProfileId, MessageId, SourceId, Type, Name, EventAt, PropertiesJson) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .Bind(1, e.ProfileId).Bind(2, e.MessageId).Bind(3, e.SourceId).Bind(4, e.Type).Bind(5, e.Name).Bind(6, e.EventAt).Bind(7, e.PropertiesJson).Execute();
        }
        foreach (var (profile, (first, _, messageId)) in changes.Touched)
        {
            if (insertedTouched.Contains(profile))
            {
                continue;
            }
            // Last activity from the timeline itself (one index seek on (ProfileId, EventAt)), so events moved by a merge
            // count and a first-seen stand-in is replaced by the first real event; first seen while there is none.
            Statement($"""
                UPDATE {T.Profiles} SET CreatedAt = min(CreatedAt, ?1),
                    UpdatedAt = coalesce((SELECT max(EventAt) FROM {T.ProfileEvents} WHERE ProfileId = ?3), min(CreatedAt, ?1)),
                    LastMessageId = max(LastMessageId, ?2)
                WHERE Id = ?3
                """).Bind(1, first).Bind(2, messageId).Bind(3, profile).Execute();
        }
        foreach (var i in changes.Insights)
        {
            Statement($"""
                INSERT INTO {T.IdentityInsights} (At, Kind, ProfileId, OtherProfileId, Namespace, Value, MessageId, SourceId, Detail)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                """).Bind(1, i.At).Bind(2, i.Kind).Bind(3, i.ProfileId).Bind(4, i.OtherProfileId).Bind(5, i.Namespace).Bind(6, i.Value)
                .Bind(7, i.MessageId).Bind(8, i.SourceId).Bind(9, i.Detail).Execute();
        }
        foreach (var retried in changes.Retried.Except(changes.SetAside.Select(a => a.MessageId)))
        {
            Execute(transaction, "DELETE FROM SetAsideMessages WHERE MessageId = $id", ("$id", retried));
        }
        foreach (var aside in changes.SetAside)
        {
            WriteSetAside(transaction, aside.MessageId, aside.Reason, now);
        }
        // Never backwards: a retried set-aside message is older than the checkpoint.
        Execute(transaction, $"""
            INSERT INTO {T.UnificationCheckpoints} (Id, LastMessageId, UpdatedAt) VALUES (1, $m, $now)
            ON CONFLICT (Id) DO UPDATE SET LastMessageId = max(LastMessageId, excluded.LastMessageId), UpdatedAt = excluded.UpdatedAt
            """, ("$m", changes.LastMessageId), ("$now", now));
        transaction.Commit();
    }

    /// <summary>Empties the profile store (identities, links, profiles, fragments, events, insights, checkpoint) for a rebuild.</summary>
    public void Clear()
    {
        using var transaction = connection.BeginTransaction();
        foreach (var table in T.All)
        {
            Execute(transaction, $"DELETE FROM {table}");
        }
        transaction.Commit();
    }

    private readonly Dictionary<string, SqliteCommand> _prepared = [];
    private readonly Dictionary<string, SqliteStatement> _statements = [];

    /// <summary>Finalizes the statements this store prepared on its connection.</summary>
    public void Dispose()
    {
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }
        foreach (var command in _prepared.Values)
        {
            command.Dispose();
        }
        _statements.Clear();
        _prepared.Clear();
    }

    /// <summary>A hot statement, prepared once and bound by position (see <see cref="SqliteStatement"/>).</summary>
    private SqliteStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            _statements[sql] = statement = new SqliteStatement(connection, sql);
        }
        return statement;
    }

    public void Execute(SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, _) in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
            _prepared[sql] = command;
        }
        command.Transaction = transaction;
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters[i].Value = parameters[i].Value;
        }
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}

/// <summary>
/// The names of the profile store's tables. A rebuild writes a shadow copy (prefixed) and swaps it in
/// when done, so the studio keeps reading the old profiles meanwhile.
/// </summary>
public sealed record ProfileTables(string Prefix)
{
    public static ProfileTables Live { get; } = new("");

    public static ProfileTables Rebuild { get; } = new("Rebuild_");

    public string Profiles => Prefix + "Profiles";
    public string Identities => Prefix + "Identities";
    public string IdentityLinks => Prefix + "IdentityLinks";
    public string ProfileAttributes => Prefix + "ProfileAttributes";
    public string ProfileEvents => Prefix + "ProfileEvents";
    public string IdentityInsights => Prefix + "IdentityInsights";
    public string UnificationCheckpoints => Prefix + "UnificationCheckpoints";

    public IReadOnlyList<string> All => [IdentityLinks, Identities, ProfileAttributes, ProfileEvents, IdentityInsights, Profiles, UnificationCheckpoints];
}
