namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// The turns of this process's writers at one database file's single write lock.
/// <para>
/// SQLite has no queue for its write lock: a writer that finds it taken sleeps in the busy handler (1, 2, 5 … then
/// 100 ms at a time) and tries again. Unification holds the lock for a run's write (tenths of a second under load)
/// and starts the next one the moment it commits (the run is resolved meanwhile), so a change-feed consumer's write
/// woke mostly inside a run and waited several runs: seconds of its lag. Writers that take a turn here first wait in
/// line instead, and enter the moment the one before them commits.
/// </para>
/// <para>
/// Two lines: the foreground (a unification run, its set-asides and clears) and the background (the change-feed
/// consumers that write). When a foreground write ends and background writers wait, they go before the next foreground
/// writer (a round), and so do those that ask during the round, up to <see cref="RoundTurns"/> turns or as many as
/// waited, whichever is more; then the next run. A consumer writes once per batch it handled, mostly briefly (the
/// dashboard's days, a schema save), so a consumer waits for the run in progress only, and a run for a few writes, not
/// for writers that keep arriving (a batch segment evaluation writes 5,000 profiles at a time, hundreds of times).
/// When after a run only one consumer went, a consumer behind another waited a second run: in the feed bench
/// (5,000 msg/s) the dashboard consumer waited p50 123 ms, p90 509 ms, max 1.2 s per batch for its turn; with the
/// waiting consumers first, p50 38 ms, p90 300 ms, max 0.56 s.
/// The lake append takes no turn: in line with the runs, each acceptance waited for a run's write,
/// and the lag from acceptance to the profile doubled (p95 1.4–1.9 s against 0.4–1.1 s in the lag bench).
/// </para>
/// Long background writes (a computed attribute's back-fill chunk, window expiry) take no turn: a run would wait behind
/// each of them, seconds per run. They meet unification at SQLite's busy handler, as before.
/// Hold a turn only around one write transaction (BEGIN … COMMIT), never while waiting for another writer's work: the
/// turn is not re-entrant. Writers that take no turn (other processes, occasional EF saves) still meet at SQLite's
/// busy handler, as before. One per database file (<see cref="For"/>); an in-memory database has none.
/// </summary>
public sealed class WriteTurns
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, WriteTurns> Databases = new(StringComparer.Ordinal);

    /// <summary>Each connection string's turns (or none), so a hot writer parses its connection string once.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, WriteTurns?> ByConnectionString = new(StringComparer.Ordinal);

    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _foreground = new();
    private readonly Queue<TaskCompletionSource> _background = new();
    private bool _taken;

    /// <summary>Whether the turn now taken (or last released) is a background writer's.</summary>
    private bool _backgroundHolds;

    /// <summary>Background writers still to go in the round that began when the last foreground turn ended.</summary>
    private int _round;

    /// <summary>
    /// The fewest background turns a round allows (when any writer waited as it began): chosen when the dashboard, the schema
    /// catalog and segments all wrote the store. The first two now write their own file (<see cref="SqliteConsumerTables"/>)
    /// and take its turns; here they still write a schema example now and then, beside segment evaluation.
    /// </summary>
    internal const int RoundTurns = 3;

    /// <summary>The turns of the database a connection string opens (by its file's full path); null for an in-memory database.</summary>
    public static WriteTurns? For(string connectionString) => ByConnectionString.GetOrAdd(connectionString, static c => Resolve(c));

    /// <summary>Waits (blocking the thread) for a turn at the write lock of <paramref name="connection"/>'s database; null for an in-memory one.</summary>
    public static Turn? TakeFor(Microsoft.Data.Sqlite.SqliteConnection connection, CancellationToken ct = default, bool background = false)
        => For(connection.ConnectionString)?.Take(ct, background);

    /// <summary>Waits for a turn at the write lock of <paramref name="connectionString"/>'s database; null for an in-memory one.</summary>
    public static async ValueTask<Turn?> TakeForAsync(string connectionString, CancellationToken ct = default, bool background = false)
        => For(connectionString) is { } turns ? await turns.TakeAsync(ct, background).ConfigureAwait(false) : null;

    private static WriteTurns? Resolve(string connectionString)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        var file = builder.DataSource;
        if (string.IsNullOrEmpty(file) || file == ":memory:" || builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory)
        {
            return null;
        }
        return Databases.GetOrAdd(Path.GetFullPath(file), static _ => new WriteTurns());
    }

    /// <summary>Waits (blocking the thread) for this writer's turn; dispose the result right after the commit or rollback.</summary>
    public Turn Take(CancellationToken ct = default, bool background = false)
    {
        if (Enqueue(background) is not { } waiter)
        {
            return new Turn(this);
        }
        try
        {
            waiter.Task.Wait(ct);
        }
        catch
        {
            Abandon(waiter); // cancelled, or anything else: a waiter left in line would be handed the turn and never pass it on
            throw;
        }
        return new Turn(this);
    }

    /// <summary>Waits for this writer's turn without blocking a thread; dispose the result right after the commit or rollback.</summary>
    public async ValueTask<Turn> TakeAsync(CancellationToken ct = default, bool background = false)
    {
        if (Enqueue(background) is not { } waiter)
        {
            return new Turn(this);
        }
        try
        {
            await waiter.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            Abandon(waiter); // cancelled, or anything else: a waiter left in line would be handed the turn and never pass it on
            throw;
        }
        return new Turn(this);
    }

    /// <summary>Writers waiting for a turn now (for tests and diagnostics).</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _foreground.Count + _background.Count;
            }
        }
    }

    /// <summary>Takes the free turn (null) or joins the queue (the signal set when the turn is handed over).</summary>
    private TaskCompletionSource? Enqueue(bool background)
    {
        lock (_gate)
        {
            if (!_taken)
            {
                (_taken, _backgroundHolds) = (true, background);
                return null;
            }
            // Continuations run on the pool: the writer handing over its turn does not run the next writer's write.
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (background ? _background : _foreground).Enqueue(waiter);
            return waiter;
        }
    }

    /// <summary>A waiter that gave up: if the turn was handed to it meanwhile, it passes it on.</summary>
    private void Abandon(TaskCompletionSource waiter)
    {
        lock (_gate)
        {
            if (!waiter.Task.IsCompletedSuccessfully)
            {
                waiter.TrySetCanceled(); // under the gate: Release cannot hand it the turn any more
                return;
            }
        }
        Release();
    }

    private void Release()
    {
        lock (_gate)
        {
            if (!_backgroundHolds)
            {
                // The consumers waiting as a run ends go before the next one, and a consumer that asks meanwhile too, up to
                // RoundTurns in all: the feed's consumers wake at the same commit and ask within milliseconds of each other.
                _round = _background.Count == 0 ? 0 : Math.Max(_background.Count, RoundTurns);
            }
            if (_round > 0 && HandOver(_background, background: true))
            {
                _round--;
                return;
            }
            _round = 0;
            if (HandOver(_foreground, background: false) || HandOver(_background, background: true))
            {
                return;
            }
            _taken = false;
        }
    }

    /// <summary>Under the gate: hands the turn to the first writer of <paramref name="line"/> still waiting (the turn stays taken).</summary>
    private bool HandOver(Queue<TaskCompletionSource> line, bool background)
    {
        while (line.TryDequeue(out var next))
        {
            if (next.TrySetResult())
            {
                _backgroundHolds = background;
                return true;
            }
        }
        return false;
    }

    /// <summary>One writer's turn; disposing it hands the turn to the next writer (once).</summary>
    public sealed class Turn(WriteTurns owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}
