using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Demo;

/// <summary>
/// The demo's website and app traffic is sent in one go at the first start, so the lake would say it all
/// arrived today. As a real site's would have, it is dated as received when it happened (its event time),
/// and the sources' hourly counts are recounted from the lake: the dashboard's ingestion chart and the
/// sources' activity then show months of traffic. Only once the worker has unified those messages, so the
/// unification lag (the age of the oldest message not unified yet) never reads months.
/// </summary>
public static class DemoReceiveTimes
{
    public static async Task BackdateAsync(IDbContextFactory<ProfileStudioDbContext> dbFactory, IReadOnlyCollection<int> sourceIds, TimeProvider time, CancellationToken ct)
    {
        string connectionString;
        long lastMessage;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            connectionString = db.Database.GetConnectionString()!;
            lastMessage = await db.RawMessages.Where(m => sourceIds.Contains(m.SourceId)).MaxAsync(m => (long?)m.Id, ct) ?? 0;
        }
        // The worker takes about a minute for the default demo; give up after ten (the demo stays dated today).
        var deadline = time.GetUtcNow().AddMinutes(10);
        while (true)
        {
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                if ((await db.UnificationCheckpoints.Select(c => (long?)c.LastMessageId).FirstOrDefaultAsync(ct) ?? 0) >= lastMessage)
                {
                    break;
                }
            }
            if (time.GetUtcNow() > deadline)
            {
                return;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
        }
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var transaction = connection.BeginTransaction();
        var ids = string.Join(',', sourceIds);
        foreach (var sql in new[]
                 {
                     $"UPDATE RawMessages SET ReceivedAt = EventAt WHERE SourceId IN ({ids}) AND Id <= {lastMessage} AND EventAt < ReceivedAt",
                     $"DELETE FROM SourceHourlyStats WHERE SourceId IN ({ids})",
                     $"""
                     INSERT INTO SourceHourlyStats (SourceId, Hour, Received, Accepted, Rejected, LastMessageAt)
                     SELECT SourceId, substr(ReceivedAt, 1, 13) || ':00:00', count(*), sum(Status = 1), sum(Status = 2), max(ReceivedAt)
                     FROM RawMessages WHERE SourceId IN ({ids}) GROUP BY SourceId, substr(ReceivedAt, 1, 13)
                     """,
                 })
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
