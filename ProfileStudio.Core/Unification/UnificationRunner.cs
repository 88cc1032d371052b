using Microsoft.Data.Sqlite;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// Catches the profile store up with the lake, overlapping the two halves of the work on two cores:
/// while run N's changes are written (one transaction with its checkpoint), run N+1 is read and
/// resolved in memory. The in-memory graph is thus at most one run ahead of storage; after a failure
/// the caller restores it from storage and resumes from the stored checkpoint.
/// </summary>
public sealed class UnificationRunner(SqliteConnection reading, SqliteConnection writing, UnificationEngine engine, TimeProvider time, ProfileTables? tables = null)
{
    private readonly UnificationStore _reader = new(reading);
    private readonly UnificationStore _writer = new(writing, tables);

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
                var run = _reader.ReadLake(checkpoint, runSize);
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

    /// <summary>Opens the reading and writing connections the runner needs, tuned for bulk work.</summary>
    public static async Task<(SqliteConnection Reading, SqliteConnection Writing)> OpenConnectionsAsync(string connectionString, CancellationToken ct)
    {
        var reading = new SqliteConnection(connectionString);
        var writing = new SqliteConnection(connectionString);
        await reading.OpenAsync(ct);
        await writing.OpenAsync(ct);
        using var pragma = writing.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-131072; PRAGMA wal_autocheckpoint=100000;";
        pragma.ExecuteNonQuery();
        return (reading, writing);
    }
}
