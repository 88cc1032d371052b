using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>Lake append on SQLite: one connection for the single lake writer (<see cref="ILakeAppend"/>).</summary>
public sealed class SqliteLakeAppend(IOptions<ProfileStudioOptions> options) : ILakeAppend
{
    public async Task<ILakeAppendSession> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(SqliteDatabase.ConnectionString(options.Value.DataDirectoryFullPath));
        try
        {
            await connection.OpenAsync(ct);
            return new SqliteLakeAppendSession(connection, ownsConnection: true);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

/// <summary>
/// Writes groups of messages and the per-source hourly counters in one transaction, with prepared
/// statements on one connection. Retried messages (same source and messageId) are ignored by the
/// unique index and counted as duplicates. A file line already stored for its own batch and line (a batch
/// resumed after a restart) counts as accepted again, for the batch's totals; a file line whose messageId the
/// lake has from elsewhere is a duplicate.
/// </summary>
public sealed class SqliteLakeAppendSession : ILakeAppendSession
{
    private readonly SqliteConnection _connection;
    private readonly bool _ownsConnection;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _stats;
    private readonly SqliteCommand _rejectedLineExists;
    private readonly SqliteCommand _storedForLine;

    public SqliteLakeAppendSession(SqliteConnection connection, bool ownsConnection = false)
    {
        _connection = connection;
        _ownsConnection = ownsConnection;
        using (var pragma = connection.CreateCommand())
        {
            // WAL + NORMAL: a commit survives a process crash (kill -9); only power loss can lose the last commits.
            // A 64 MB page cache and checkpoints every ~40 MB of WAL instead of 4 MB keep bulk loads off the disk's critical path.
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=10000; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=FAST; PRAGMA busy_timeout=30000;"; // busy_timeout: see SqlitePragmas
            pragma.ExecuteNonQuery();
        }
        _insert = connection.CreateCommand();
        _insert.CommandText = """
            INSERT OR IGNORE INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status, Error, BatchId, LineNumber)
            VALUES ($source, $messageId, $type, $receivedAt, $eventAt, $payload, $status, $error, $batch, $line)
            """;
        // A file line is stored once, even rejected (it has no messageId to dedupe on): a batch resumed after a
        // crash starts over. Accepted lines dedupe on their messageId (file-{batch}-{line}); only rejected lines
        // are looked up, through the partial index on rejected rows (the literal Status = 2 selects it).
        _rejectedLineExists = connection.CreateCommand();
        _rejectedLineExists.CommandText = "SELECT EXISTS (SELECT 1 FROM RawMessages WHERE BatchId = $batch AND LineNumber = $line AND Status = 2)";
        _rejectedLineExists.Parameters.Add(new SqliteParameter { ParameterName = "$batch" });
        _rejectedLineExists.Parameters.Add(new SqliteParameter { ParameterName = "$line" });
        // Asked only when an accepted file line was not inserted: is the row that has its messageId this very line?
        _storedForLine = connection.CreateCommand();
        _storedForLine.CommandText = """
            SELECT EXISTS (SELECT 1 FROM RawMessages WHERE SourceId = $source AND MessageId = $messageId AND Status = 1 AND BatchId = $batch AND LineNumber = $line)
            """;
        foreach (var name in new[] { "$source", "$messageId", "$batch", "$line" })
        {
            _storedForLine.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        foreach (var name in new[] { "$source", "$messageId", "$type", "$receivedAt", "$eventAt", "$payload", "$status", "$error", "$batch", "$line" })
        {
            _insert.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        _stats = connection.CreateCommand();
        _stats.CommandText = """
            INSERT INTO SourceHourlyStats (SourceId, Hour, Received, Accepted, Rejected, LastMessageAt)
            VALUES ($source, $hour, $received, $accepted, $rejected, $last)
            ON CONFLICT (SourceId, Hour) DO UPDATE SET
                Received = Received + excluded.Received,
                Accepted = Accepted + excluded.Accepted,
                Rejected = Rejected + excluded.Rejected,
                LastMessageAt = max(LastMessageAt, excluded.LastMessageAt)
            """;
        foreach (var name in new[] { "$source", "$hour", "$received", "$accepted", "$rejected", "$last" })
        {
            _stats.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
    }

    public LakeWriteResult[] Append(IReadOnlyList<LakeAppendGroup> group)
    {
        var results = new LakeWriteResult[group.Count];
        var counters = new Dictionary<(int Source, DateTime Hour), (long Received, long Accepted, long Rejected, DateTime Last)>();
        using var transaction = _connection.BeginTransaction();
        _insert.Transaction = transaction;
        _stats.Transaction = transaction;
        _insert.Prepare();
        for (var g = 0; g < group.Count; g++)
        {
            var pending = group[g];
            int accepted = 0, rejected = 0, duplicates = 0;
            var p = _insert.Parameters;
            p[0].Value = pending.SourceId;
            p[3].Value = pending.ReceivedAt;
            p[8].Value = (object?)pending.BatchId ?? DBNull.Value;
            foreach (var message in pending.Messages)
            {
                p[1].Value = (object?)message.MessageId ?? DBNull.Value;
                p[2].Value = message.Type;
                p[4].Value = message.EventAt;
                p[5].Value = message.Payload;
                p[6].Value = (int)message.Status;
                p[7].Value = (object?)message.Error ?? DBNull.Value;
                p[9].Value = (object?)message.LineNumber ?? DBNull.Value;
                if (!message.IsValid && pending.BatchId is { } batch && message.LineNumber is { } line && RejectedLineStored(transaction, batch, line))
                {
                    rejected++; // already in the lake from before a restart; still counts for this batch's totals
                    continue;
                }
                var inserted = _insert.ExecuteNonQuery();
                if (!message.IsValid)
                {
                    rejected++;
                }
                else if (inserted == 1 || pending.BatchId is { } own && message.LineNumber is { } ownLine
                         && StoredForLine(transaction, pending.SourceId, message.MessageId, own, ownLine))
                {
                    accepted++;
                }
                else
                {
                    duplicates++;
                }
            }
            results[g] = new LakeWriteResult(accepted, rejected, duplicates);
            var hour = new DateTime(pending.ReceivedAt.Year, pending.ReceivedAt.Month, pending.ReceivedAt.Day, pending.ReceivedAt.Hour, 0, 0, DateTimeKind.Utc);
            counters.TryGetValue((pending.SourceId, hour), out var c);
            counters[(pending.SourceId, hour)] = (c.Received + pending.Messages.Count, c.Accepted + accepted, c.Rejected + rejected,
                pending.ReceivedAt > c.Last ? pending.ReceivedAt : c.Last);
        }
        foreach (var ((source, hour), c) in counters)
        {
            var p = _stats.Parameters;
            p[0].Value = source;
            p[1].Value = hour;
            p[2].Value = c.Received;
            p[3].Value = c.Accepted;
            p[4].Value = c.Rejected;
            p[5].Value = c.Last;
            _stats.ExecuteNonQuery();
        }
        transaction.Commit();
        return results;
    }

    private bool RejectedLineStored(SqliteTransaction transaction, long batch, int line)
    {
        _rejectedLineExists.Transaction = transaction;
        _rejectedLineExists.Parameters[0].Value = batch;
        _rejectedLineExists.Parameters[1].Value = line;
        return (long)_rejectedLineExists.ExecuteScalar()! == 1;
    }

    private bool StoredForLine(SqliteTransaction transaction, int source, string? messageId, long batch, int line)
    {
        _storedForLine.Transaction = transaction;
        _storedForLine.Parameters[0].Value = source;
        _storedForLine.Parameters[1].Value = (object?)messageId ?? DBNull.Value;
        _storedForLine.Parameters[2].Value = batch;
        _storedForLine.Parameters[3].Value = line;
        return (long)_storedForLine.ExecuteScalar()! == 1;
    }

    public void Dispose()
    {
        _insert.Dispose();
        _stats.Dispose();
        _rejectedLineExists.Dispose();
        _storedForLine.Dispose();
        if (_ownsConnection)
        {
            _connection.Dispose();
        }
    }
}
