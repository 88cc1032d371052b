using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// Copies the change-feed rows membership writes left in the outbox (<see cref="SegmentFeedOutboxRow"/>, in the segments'
/// own file) into the store's feed, in their order, and sets each segment's member count from its last daily size, in one
/// transaction in the store's write turn; then removes what it copied from the outbox. A crash between the two copies
/// the same rows again next time: the feed is read at least once, and its consumers are idempotent.
/// <para>
/// It runs in the background after each write that filled the outbox (<see cref="Kick"/>), one pass at a time, so the
/// segments' writers never wait for the store's turn; a failed pass is retried by the next kick: the next membership write,
/// the clock job's every round (<see cref="SegmentClockJob"/>), and start-up (<see cref="SegmentBatchJob"/>) for rows a stop left behind.
/// </para>
/// </summary>
public sealed class SegmentFeedRelay(
    IDbContextFactory<ProfileStudioDbContext> dbFactory, ChangeFeedSignal signal, Func<long, CancellationToken, Task> removeRelayed, ILogger<SegmentFeedRelay>? logger = null)
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _pass = new(1, 1); // one pass at a time, a test's or the app's: each copies what the other left
    private Task _running = Task.CompletedTask;
    private bool _active; // a loop is running and has not yet decided to stop (set and cleared under _gate)
    private bool _again;

    /// <summary>The pass in progress, if any (completed when none): tests wait for it.</summary>
    public Task Running
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    /// <summary>Starts a pass unless one is running; then that pass runs once more when it ends (it may have missed the newest rows).</summary>
    public void Kick()
    {
        lock (_gate)
        {
            if (_active)
            {
                _again = true;
                return;
            }
            _active = true;
            _running = Task.Run(LoopAsync);
        }
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            try
            {
                await RelayAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                // Nothing is lost: the rows stay in the outbox for the next pass.
                logger?.LogWarning(ex, "Could not copy segment membership changes into the change feed; the next membership write tries again.");
            }
            lock (_gate)
            {
                if (!_again)
                {
                    // Decided under the lock: a kick from now on starts a new loop (one between this and the task completing is not lost).
                    _active = false;
                    return;
                }
                _again = false;
            }
        }
    }

    /// <summary>Copies everything in the outbox now; returns the rows copied (0 also when the tables share the store's file, where there is no outbox).</summary>
    public async Task<int> RelayAsync(CancellationToken ct = default)
    {
        await _pass.WaitAsync(ct);
        try
        {
            return await PassAsync(ct);
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task<int> PassAsync(CancellationToken ct)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        var file = SqliteConsumerTables.Segments;
        if (!file.InOwnFile(connection))
        {
            return 0;
        }
        var copied = 0;
        while (Scalar(connection, "SELECT max(Id) FROM SegmentFeedOutbox") is long last)
        {
            int rows;
            using (await WriteTurns.TakeForAsync(connection.ConnectionString, ct, background: true))
            using (var transaction = connection.BeginTransaction(deferred: true))
            {
                // Deferred, and the first statement writes the store: it locks the store's file only (the outbox is read).
                rows = Execute(connection, transaction, """
                    INSERT INTO main.ProfileChanges (At, ProfileId, Kinds) SELECT At, ProfileId, Kinds FROM SegmentFeedOutbox WHERE Id <= $last ORDER BY Id
                    """, last);
                Execute(connection, transaction, SegmentMembershipWriter.MemberCountsFromSizes);
                transaction.Commit();
            }
            signal.Notify();
            // Through the writer's connection, the only one that writes the segments' file (its page cache stays valid).
            await removeRelayed(last, ct);
            copied += rows;
        }
        // Counts change without feed rows too (a recount): one more pass over them alone, in the store's turn, when they differ.
        if (copied == 0)
        {
            using (await WriteTurns.TakeForAsync(connection.ConnectionString, ct, background: true))
            using (var transaction = connection.BeginTransaction(deferred: true))
            {
                Execute(connection, transaction, SegmentMembershipWriter.MemberCountsFromSizes);
                transaction.Commit();
            }
        }
        return copied;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is var value && value is DBNull ? null : value;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, long? last = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        if (last is { } l)
        {
            command.Parameters.AddWithValue("$last", l);
        }
        return command.ExecuteNonQuery();
    }
}
