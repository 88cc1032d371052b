namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// Long reads in progress in this process (a dashboard refresh: seconds of scans), and their pauses for the log.
/// <para>
/// Under steady ingestion the write-ahead log only starts over after a restart checkpoint, which waits until nobody
/// reads from the log; writers wait behind it meanwhile. A long read in one statement would hold writers up for the
/// whole wait, and if the checkpoint gives up the log grows (gigabytes in a minute), and every page read searches it.
/// So a long read scans in short statements, and calls <see cref="Pause"/> between two of them: when the
/// <see cref="WalCheckpointer"/> has asked for a restart (<see cref="RequestRestart"/>), the read waits there, holding
/// no snapshot, until the checkpointer has run it (<see cref="Restarted"/>) or <see cref="MaxPause"/> has passed.
/// While a long read is inside a statement the checkpointer does not try (<see cref="Reading"/>).
/// </para>
/// One per database file (<see cref="For"/>): reads of one database never hold up another's log.
/// </summary>
internal sealed class LongReads
{
    /// <summary>The longest a long read waits at a pause for a restart (one comes after the next commit, at most 0.1–0.3 s under load).</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, LongReads> Databases = new(StringComparer.Ordinal);

    private int _active;
    private int _paused;
    private readonly Lock _gate = new();
    private TaskCompletionSource _restarted = NewSignal();

    /// <summary>Under <see cref="_gate"/>: when the checkpointer asked for a restart (Environment.TickCount64), 0 when none is wanted.</summary>
    private long _restartWantedAt;

    /// <summary>The long reads of the database a connection string opens (by its file's full path).</summary>
    public static LongReads For(string connectionString)
    {
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;
        return Databases.GetOrAdd(string.IsNullOrEmpty(file) || file == ":memory:" ? file : Path.GetFullPath(file), static _ => new LongReads());
    }

    /// <summary>Whether a long read is inside a statement now (in progress and not at a pause).</summary>
    public bool Reading => Volatile.Read(ref _active) > Volatile.Read(ref _paused);

    /// <summary>Whether a long read waits at a pause for a restart.</summary>
    public bool Paused => Volatile.Read(ref _paused) > 0;

    /// <summary>Whether the checkpointer asked for a restart that has not run yet.</summary>
    public bool RestartWanted
    {
        get
        {
            lock (_gate)
            {
                return _restartWantedAt != 0;
            }
        }
    }

    /// <summary>Marks a long read until the returned scope is disposed.</summary>
    public IDisposable Begin()
    {
        Interlocked.Increment(ref _active);
        return new Scope(this);
    }

    /// <summary>The checkpointer's request: the log should start over at the next pause.</summary>
    public void RequestRestart()
    {
        lock (_gate)
        {
            if (_restartWantedAt == 0)
            {
                _restartWantedAt = Environment.TickCount64;
            }
        }
    }

    /// <summary>The checkpointer's news: the log started over (or it will not try now), so paused reads go on.</summary>
    public void Restarted()
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            _restartWantedAt = 0;
            done = _restarted;
            _restarted = NewSignal();
        }
        done.TrySetResult();
    }

    /// <summary>
    /// Called by a long read between two statements (holding no snapshot): waits there while a restart is wanted, until
    /// the checkpointer ran it or <see cref="MaxPause"/> passed. Returns at once otherwise. The checkpointer only runs after a
    /// commit: a request no commit followed within <see cref="MaxPause"/> (ingestion stopped) is dropped here, so that
    /// later pauses do not each wait for it.
    /// </summary>
    public void Pause()
    {
        Task signal;
        lock (_gate)
        {
            if (_restartWantedAt == 0)
            {
                return;
            }
            if (Environment.TickCount64 - _restartWantedAt > 2 * (long)MaxPause.TotalMilliseconds)
            {
                _restartWantedAt = 0; // stale: nobody ran it
                return;
            }
            signal = _restarted.Task;
            Interlocked.Increment(ref _paused);
        }
        try
        {
            if (!signal.Wait(MaxPause))
            {
                lock (_gate)
                {
                    _restartWantedAt = 0; // no commit came to run it: drop it (the next commit's checkpoint asks again)
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _paused);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Scope(LongReads reads) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref reads._active);
            }
        }
    }
}
