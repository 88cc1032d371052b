using Microsoft.Data.Sqlite;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// Copies committed write-ahead-log frames into the database file (a passive checkpoint) on its own
/// connection, so the writer does not pay for it: one checkpoint at a time, started after a commit
/// and not waited for. A passive checkpoint never blocks readers or the writer. It is best effort:
/// a failed one loses nothing (the log stays, and the writer's own checkpoint copies it).
/// <para>
/// A passive checkpoint never makes the log start over: SQLite writes from the log's beginning again
/// only when every frame was copied and no reader still reads from the log, and under steady ingestion
/// new frames and readers never stop. The log then grows without end (1.9 GB after 40 s at 5,000
/// messages/s, beside a 294 MB database), and every read of a page searches an index that grows with it.
/// So once the log holds <paramref name="restartFrames"/> frames, the checkpointer asks for a restart
/// checkpoint: it takes the write lock, copies what is left, waits for the readers of the log to finish,
/// and the next writer starts the log over. Writers wait while it is pending (its waits, then copying
/// the frames since the passive checkpoint), so it gives up after <paramref name="restartWait"/> of
/// waiting (a long read in progress), and after giving up it waits
/// <see cref="RestartBackOff"/> before the next try, so a long read (a dashboard refresh, a full segment
/// evaluation) does not hold writers up after every run; passive checkpoints go on meanwhile.
/// </para>
/// <para>
/// Checkpoints start at most every <paramref name="minInterval"/> (<see cref="DefaultMinInterval"/>), not after every
/// commit: a page that several runs rewrote meanwhile (the index pages of recent activity, the end of the lake and of the
/// timeline, a busy person's rows) is copied into the database once instead of once per run. Copying after every run of
/// 2,000 messages wrote 16.0 KB per message (log and database); at most once a second, 10.7–12.2 KB, and a second less
/// CPU in 200,000 messages (<c>unify --computed --run-size 2000</c>). A request that comes sooner is dropped (a later one
/// copies its frames), unless a long read waits at a pause for the log to start over.
/// </para>
/// </summary>
internal sealed class WalCheckpointer(string connectionString, int restartFrames = WalCheckpointer.DefaultRestartFrames,
    TimeSpan? restartWait = null, TimeSpan? minInterval = null) : IAsyncDisposable
{
    /// <summary>The shortest time between the starts of two checkpoints.</summary>
    public static readonly TimeSpan DefaultMinInterval = TimeSpan.FromSeconds(1);

    /// <summary>About 64 MB of log with 4 KB pages.</summary>
    public const int DefaultRestartFrames = 16_384;

    /// <summary>How long after a restart checkpoint gave up the next one may be tried.</summary>
    public static readonly TimeSpan RestartBackOff = TimeSpan.FromSeconds(2);

    private readonly LongReads _longReads = LongReads.For(connectionString);
    private readonly int _restartWaitMs = (int)(restartWait ?? TimeSpan.FromMilliseconds(250)).TotalMilliseconds;
    private long _restartAfter; // Environment.TickCount64: operational, real time whatever the app's clock
    private SqliteConnection? _connection;
    private Task _running = Task.CompletedTask;
    private readonly long _minIntervalMs = (long)(minInterval ?? DefaultMinInterval).TotalMilliseconds;
    private long _lastStart = long.MinValue / 2; // Environment.TickCount64 when the last checkpoint started
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private bool _putOff; // under _gate: a request waits to be made again

    /// <summary>Restart checkpoints tried so far.</summary>
    internal int RestartsTried { get; private set; }

    /// <summary>The checkpoint in progress, if any (completed when none).</summary>
    internal Task Running => _running;

    /// <summary>
    /// Starts a checkpoint unless one is still running or the last started less than the minimum interval ago; a long read paused
    /// for a restart is never kept waiting by the interval. A request put off is made again once the interval has passed (when
    /// ingestion stops after a burst, no later commit would ask, and the burst's last frames would stay in the log).
    /// </summary>
    public void Request()
    {
        lock (_gate)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }
            var sinceLast = Environment.TickCount64 - _lastStart;
            if (_running.IsCompleted && (sinceLast >= _minIntervalMs || _longReads.Paused))
            {
                _lastStart = Environment.TickCount64;
                _running = Task.Run(Checkpoint);
                return;
            }
            if (!_putOff)
            {
                _putOff = true;
                var wait = TimeSpan.FromMilliseconds(Math.Max(_minIntervalMs - sinceLast, MinRetryMs));
                _ = Task.Delay(wait, _stop.Token).ContinueWith(delay =>
                {
                    lock (_gate)
                    {
                        _putOff = false;
                    }
                    if (!delay.IsCanceled)
                    {
                        Request();
                    }
                }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>How soon a request put off while a checkpoint still runs is made again.</summary>
    private const long MinRetryMs = 50;

    private void Checkpoint()
    {
        try
        {
            if (_connection is null)
            {
                // Not pooled: its short busy timeout must not come back to whoever opens the next connection.
                var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
                connection.Open();
                using (var pragma = connection.CreateCommand())
                {
                    // How long a restart checkpoint waits for the write lock and for readers, writers waiting behind it.
                    pragma.CommandText = $"PRAGMA busy_timeout={_restartWaitMs}";
                    pragma.ExecuteNonQuery();
                }
                _connection = connection;
            }
            var frames = Run("PASSIVE").Frames;
            if (frames < restartFrames && _longReads.RestartWanted)
            {
                _longReads.Restarted(); // the log started over meanwhile: a paused read has nothing to wait for
            }
            else if (frames >= restartFrames)
            {
                if (_longReads.Reading)
                {
                    // A long read is inside a statement: the restart would wait for it with writers behind. It pauses at its
                    // next statement boundary, and a later request (after the next commit) finds it paused.
                    _longReads.RequestRestart();
                }
                else if (Environment.TickCount64 >= _restartAfter)
                {
                    RestartsTried++;
                    if (Run("RESTART").Blocked)
                    {
                        _restartAfter = Environment.TickCount64 + (long)RestartBackOff.TotalMilliseconds;
                    }
                    _longReads.Restarted();
                }
                else if (_longReads.Paused)
                {
                    _longReads.Restarted(); // backing off after a restart another reader blocked: the paused read goes on
                }
            }
        }
        catch (Exception)
        {
            // Best effort (see above); a connection that failed is opened afresh next time.
            _connection?.Dispose();
            _connection = null;
        }
    }

    /// <summary>Runs a checkpoint; returns whether it could not finish (a restart that gave up) and the frames in the log (-1 when SQLite does not say).</summary>
    private (bool Blocked, long Frames) Run(string mode)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = $"PRAGMA wal_checkpoint({mode})";
        using var reader = command.ExecuteReader();
        // One row: blocked (1 when a restart could not finish), frames in the log, frames copied.
        return reader.Read() ? (reader.GetInt64(0) != 0, reader.IsDBNull(1) ? -1 : reader.GetInt64(1)) : (false, -1);
    }

    public async ValueTask DisposeAsync()
    {
        Task running;
        lock (_gate)
        {
            _stop.Cancel();
            running = _running;
        }
        await running;
        _connection?.Dispose();
        _connection = null;
    }
}
