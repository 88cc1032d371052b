using Microsoft.Data.Sqlite;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// Catches the profile store up with the lake, overlapping the work on two cores: while run N's
/// changes are written (one transaction with its checkpoint), run N+1 is read and resolved in memory,
/// and the write-ahead log of run N-1 is copied into the database file on a third connection. The
/// in-memory graph is thus at most one run ahead of storage; after a failure the caller restores it
/// from storage and resumes from the stored checkpoint. Dispose it when done: it owns prepared
/// statements on the writing connection and the checkpointer's connection.
/// </summary>
public sealed class UnificationRunner(SqliteConnection reading, SqliteConnection writing, UnificationEngine engine, TimeProvider time, ProfileTables? tables = null)
    : IAsyncDisposable
{
    /// <summary>
    /// A run also stops at this many characters of payload, so large messages (up to 32 KB each)
    /// cannot make a run of <c>runSize</c> messages hold gigabytes.
    /// </summary>
    public const long MaxRunPayloadChars = 64L * 1024 * 1024;

    private readonly UnificationStore _reader = new(reading);
    private readonly UnificationStore _writer = new(writing, tables);
    private readonly WalCheckpointer _checkpointer = new(writing.ConnectionString);

    public UnificationEngine Engine => engine;

    /// <summary>Unifies every message after <paramref name="checkpoint"/>; returns the new checkpoint and how many messages it took.</summary>
    public async Task<(long Checkpoint, int Messages)> CatchUpAsync(long checkpoint, int runSize, Action<UnificationChanges>? applied, CancellationToken ct)
    {
        Task? writing = null;
        var total = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var run = _reader.ReadLake(checkpoint, runSize, MaxRunPayloadChars);
                if (run.Count == 0)
                {
                    break;
                }
                var changes = engine.Process(run);
                if (writing is not null)
                {
                    await writing;
                }
                checkpoint = changes.LastMessageId;
                total += changes.Messages;
                writing = Task.Run(() =>
                {
                    _writer.Apply(changes, time.GetUtcNow().UtcDateTime);
                    _checkpointer.Request();
                    applied?.Invoke(changes);
                }, CancellationToken.None);
            }
        }
        finally
        {
            if (writing is not null)
            {
                await writing;
            }
        }
        return (checkpoint, total);
    }

    public async ValueTask DisposeAsync()
    {
        await _checkpointer.DisposeAsync();
        _writer.Dispose();
        _reader.Dispose();
    }

    /// <summary>
    /// Opens the reading and writing connections the runner needs, tuned for bulk work: a 256 MB page
    /// cache, so a run's dirty pages are written once at commit; and the writer's own WAL checkpoint
    /// only past 1 GB of log, as a backstop: the <see cref="WalCheckpointer"/> copies the log in the
    /// background, and the writer's checkpoint then copies only what it has not reached yet, after which
    /// the log starts over.
    /// </summary>
    public static async Task<(SqliteConnection Reading, SqliteConnection Writing)> OpenConnectionsAsync(string connectionString, CancellationToken ct)
    {
        var reading = new SqliteConnection(connectionString);
        var writing = new SqliteConnection(connectionString);
        await reading.OpenAsync(ct);
        await writing.OpenAsync(ct);
        using var pragma = writing.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144; PRAGMA wal_autocheckpoint=262144; PRAGMA secure_delete=FAST;";
        pragma.ExecuteNonQuery();
        return (reading, writing);
    }
}

/// <summary>
/// Copies committed write-ahead-log frames into the database file (a passive checkpoint) on its own
/// connection, so the writer does not pay for it: one checkpoint at a time, started after a commit
/// and not waited for. A passive checkpoint never blocks readers or the writer. It is best effort:
/// a failed one loses nothing (the log stays, and the writer's own checkpoint copies it).
/// </summary>
internal sealed class WalCheckpointer(string connectionString) : IAsyncDisposable
{
    private SqliteConnection? _connection;
    private Task _running = Task.CompletedTask;

    /// <summary>Starts a checkpoint unless one is still running (it then misses only the newest commit, which the next request takes).</summary>
    public void Request()
    {
        if (_running.IsCompleted)
        {
            _running = Task.Run(Checkpoint);
        }
    }

    private void Checkpoint()
    {
        try
        {
            if (_connection is null)
            {
                var connection = new SqliteConnection(connectionString);
                connection.Open();
                _connection = connection;
            }
            using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            command.ExecuteNonQuery();
        }
        catch (Exception)
        {
            // Best effort (see above); a connection that failed is opened afresh next time.
            _connection?.Dispose();
            _connection = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _running;
        _connection?.Dispose();
        _connection = null;
    }
}
