using Microsoft.Data.Sqlite;

namespace ProfileStudio.Core.Storage.Sqlite;

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
