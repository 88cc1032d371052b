using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// Catches the profile store up with the lake, overlapping the work on two cores: while run N's
/// changes are written (one transaction with its checkpoint), run N+1 is read and resolved in memory,
/// and the session is told of run N-1's commit (SQLite copies its write-ahead log into the database
/// file on a third connection). The in-memory graph is thus at most one run ahead of storage.
/// One message never stops the rest: the engine sets aside a message it cannot read, and when a run
/// fails for any other reason than the machine (a full disk, a locked database, as the storage session
/// judges: those are thrown to the caller, which waits and retries), the graph is restored from storage and the failed stretch
/// retried in smaller runs until the one message that fails alone is found and set aside.
/// Dispose it when done: it owns the two stores it opened on the session (prepared statements).
/// <paramref name="shadow"/> writes a rebuild's shadow store instead of the live one.
/// </summary>
public sealed class UnificationRunner(IUnificationSession session, UnificationEngine engine, TimeProvider time, bool shadow = false)
    : IAsyncDisposable
{
    /// <summary>
    /// A run also stops at this many characters of payload, so large messages (up to 32 KB each)
    /// cannot make a run of <c>runSize</c> messages hold gigabytes.
    /// </summary>
    public const long MaxRunPayloadChars = 64L * 1024 * 1024;

    /// <summary>How much smaller each retry of a failed stretch is: a poison message in a run of 100,000 is found in six tries.</summary>
    private const int Narrowing = 8;

    private readonly IUnificationStore _reader = session.OpenLakeReader();
    private readonly IUnificationStore _writer = session.OpenStore(engine.Pipeline, shadow);
    private UnificationEngine _engine = engine;

    /// <summary>Set when a stop interrupted a run: the in-memory graph may be ahead of storage until restored.</summary>
    private bool _graphAhead;

    public UnificationEngine Engine => _engine;

    /// <summary>Raised with the message id and the reason when a message is set aside after its run failed.</summary>
    public event Action<long, string>? SetAside;

    /// <summary>
    /// Unifies every message after <paramref name="checkpoint"/>; returns the new checkpoint and how many messages it took.
    /// A stop asked for through <paramref name="ct"/> interrupts the run in progress, whether it is being read, resolved or
    /// written: its transaction rolls back and <see cref="OperationCanceledException"/> is thrown; committed runs stay.
    /// </summary>
    public async Task<(long Checkpoint, int Messages)> CatchUpAsync(long checkpoint, int runSize, Action<UnificationChanges>? applied, CancellationToken ct)
    {
        if (_graphAhead)
        {
            checkpoint = Restore();
        }
        var total = 0;
        var size = runSize;
        // After a failure, only the stretch that failed is retried in smaller runs; past it, full runs again.
        var stretch = long.MaxValue;
        while (true)
        {
            try
            {
                var (reached, caughtUp) = await RunAsync(checkpoint, size, stretch, changes =>
                {
                    total += changes.Messages;
                    applied?.Invoke(changes);
                }, ct);
                checkpoint = reached;
                if (caughtUp || ct.IsCancellationRequested)
                {
                    return (checkpoint, total);
                }
                (size, stretch) = (runSize, long.MaxValue); // the failed stretch went through in smaller runs
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && !session.IsTransient(ex))
            {
                checkpoint = Restore();
                if (size > 1)
                {
                    // The failing run may be the one being written or the one after it (they overlap): two runs' worth.
                    stretch = 2L * size;
                    size = Math.Max(1, size / Narrowing);
                    continue;
                }
                // A run of one message failed: that message is the cause (the messages before it are committed).
                if (_writer.NextLakeMessage(checkpoint) is not { } poison)
                {
                    throw;
                }
                var reason = $"unification failed on this message: {ex.GetType().Name}: {ex.Message}";
                _writer.SetAside(poison, reason, time.GetUtcNow().UtcDateTime);
                SetAside?.Invoke(poison, reason);
                checkpoint = _writer.ReadCheckpoint();
                (size, stretch) = (runSize, long.MaxValue);
            }
        }
    }

    /// <summary>
    /// Processes the set-aside messages someone asked to retry (after a fix), in lake order, in one run
    /// of their own; those that fail again are set aside again with the new reason. Returns how many it took.
    /// </summary>
    public async Task<int> RetrySetAsideAsync(Action<UnificationChanges>? applied, CancellationToken ct)
    {
        if (_graphAhead)
        {
            Restore();
        }
        var messages = _reader.ReadRetryRequested(UnificationWorker.RunSize);
        foreach (var message in messages)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var changes = _engine.Process([message]);
                changes.Retried.Add(message.Id);
                await Task.Run(() => _writer.Apply(changes, time.GetUtcNow().UtcDateTime), CancellationToken.None);
                applied?.Invoke(changes);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && !session.IsTransient(ex))
            {
                Restore();
                var reason = $"unification failed on this message again: {ex.GetType().Name}: {ex.Message}";
                _writer.SetAside(message.Id, reason, time.GetUtcNow().UtcDateTime);
                SetAside?.Invoke(message.Id, reason);
            }
        }
        return messages.Count;
    }

    /// <summary>Runs of <paramref name="runSize"/> until the lake is caught up (true) or <paramref name="stretch"/> messages were taken (false).</summary>
    private async Task<(long Checkpoint, bool CaughtUp)> RunAsync(long checkpoint, int runSize, long stretch, Action<UnificationChanges> applied, CancellationToken ct)
    {
        Task? writing = null;
        var taken = 0L;
        var caughtUp = false;
        try
        {
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    if (taken >= stretch)
                    {
                        break;
                    }
                    var run = _reader.ReadLake(checkpoint, (int)Math.Min(runSize, stretch - taken), MaxRunPayloadChars);
                    if (run.Count == 0)
                    {
                        caughtUp = true;
                        break;
                    }
                    taken += run.Count;
                    var changes = _engine.Process(run, ct);
                    if (writing is not null)
                    {
                        await writing;
                    }
                    checkpoint = changes.LastMessageId;
                    writing = Task.Run(() =>
                    {
                        _writer.Apply(changes, time.GetUtcNow().UtcDateTime, ct);
                        session.RunCommitted();
                        try
                        {
                            applied(changes);
                        }
                        catch (Exception)
                        {
                            // A listener's failure after the commit is not the run's: it must not get the next message set aside.
                        }
                    }, CancellationToken.None);
                }
            }
            finally
            {
                if (writing is not null)
                {
                    await writing; // a write a stop interrupted rolls back at its next statement
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _graphAhead = true; // a run was resolved in memory and not written: the next catch-up restores the graph first
            throw;
        }
        return (checkpoint, caughtUp);
    }

    /// <summary>After a failed run: the graph as storage has it (the in-memory one may be a run ahead), and the stored checkpoint.</summary>
    private long Restore()
    {
        _graphAhead = false;
        _engine = new UnificationEngine(_writer.RestoreGraph(_engine.Graph.Rules), pipeline: _engine.Pipeline);
        return _writer.ReadCheckpoint();
    }

    public ValueTask DisposeAsync()
    {
        _writer.Dispose();
        _reader.Dispose();
        return ValueTask.CompletedTask;
    }
}
