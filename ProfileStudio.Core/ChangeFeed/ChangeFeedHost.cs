using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ProfileStudio.Core.ChangeFeed;

/// <summary>
/// Runs every registered <see cref="IChangeFeedConsumer"/> on its own loop: read the rows after its
/// position, hand them over, save the new position (at least once: a crash between the two hands the
/// rows over again). A failing consumer is retried with exponential back-off on the injected clock,
/// while unification and the other consumers go on. Rows every consumer has read are pruned by
/// <see cref="ChangeFeedPruning"/>. A <see cref="ChangeFeedUrgency.Periodic"/> consumer that has caught up waits
/// <see cref="ChangeFeedOptions.PeriodicConsumerSeconds"/> before it reads again.
/// </summary>
public sealed class ChangeFeedHost(
    IEnumerable<IChangeFeedConsumer> consumers,
    ChangeFeedStore store,
    ChangeFeedSignal signal,
    ChangeFeedProgress progress,
    IOptions<ChangeFeedOptions> options,
    TimeProvider time,
    ILogger<ChangeFeedHost> logger) : BackgroundService
{
    /// <summary>How often consumers look for rows when no commit woke them.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often a consumer that is handling rows saves its position.</summary>
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = consumers.Select(c => Task.Run(() => ConsumeAsync(c, stoppingToken), CancellationToken.None)).ToList();
        return Task.WhenAll(loops);
    }

    private async Task ConsumeAsync(IChangeFeedConsumer consumer, CancellationToken ct)
    {
        var failures = 0;
        long? position = null;
        var saved = 0L;
        var lastSave = time.GetUtcNow();
        var saving = Task.CompletedTask;
        var failuresShown = false; // the checkpoint shows failures, which the next save clears
        // The position is saved at most every SaveInterval while rows keep coming (and whenever the consumer
        // catches up), and in the background: a save waits for the database's write lock, which a large
        // unification run holds for seconds under load, and the consumer goes on handling rows meanwhile (when
        // a save blocked the loop, rows committed during it waited up to a run's length: the feed's p95 lag).
        // One save at a time; a crash replays what was handled after the last one, which at-least-once allows.
        void StartSave()
        {
            if (!saving.IsCompleted || position is not { } p || (p == saved && !failuresShown))
            {
                return;
            }
            lastSave = time.GetUtcNow();
            // On a pool thread: SQLite's "async" calls run synchronously, waiting for the lock included.
            saving = Task.Run(() => SaveAsync(p), CancellationToken.None);
        }
        async Task SaveAsync(long p)
        {
            try
            {
                await store.SavePositionAsync(consumer.Name, p, ct);
                (saved, failuresShown) = (p, false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                // Not the consumer's failure: the next save (the next batch, or the next idle poll) tries again.
                logger.LogWarning(ex, "Could not save the position of change-feed consumer {Consumer}; retrying with the next batch.", consumer.Name);
            }
        }
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var woken = signal.Next; // taken before reading, so a commit during the read is not missed
                try
                {
                    if (position is null)
                    {
                        position = saved = await store.PositionAsync(consumer.Name, consumer.StartsAtEnd, ct);
                    }
                    var rows = await store.ReadAsync(position.Value, options.Value.BatchSize, ct);
                    if (rows.Count == 0)
                    {
                        StartSave();
                        await WaitAsync(woken, PollInterval, ct);
                        continue;
                    }
                    await consumer.HandleAsync(rows, ct);
                    position = rows[^1].Id;
                    progress.Handled(consumer.Name, position.Value);
                    if (failuresShown || time.GetUtcNow() - lastSave >= SaveInterval)
                    {
                        StartSave();
                    }
                    failures = 0;
                    if (consumer.Urgency == ChangeFeedUrgency.Periodic && rows.Count < options.Value.BatchSize && options.Value.PeriodicConsumerSeconds > 0)
                    {
                        // Caught up: let rows gather for the next batch (one behind reads on at once).
                        await Task.Delay(TimeSpan.FromSeconds(options.Value.PeriodicConsumerSeconds), TimeProvider.System, ct);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    failures++;
                    var pause = TimeSpan.FromSeconds(Math.Min(options.Value.MaxBackoffSeconds, Math.Pow(2, Math.Min(failures - 1, 20))));
                    logger.LogError(ex, "Change-feed consumer {Consumer} failed ({Failures} in a row); retrying in {Pause}.", consumer.Name, failures, pause);
                    try
                    {
                        await saving; // a save in flight would clear the failure recorded next
                        failuresShown = true;
                        await store.RecordFailureAsync(consumer.Name, $"{ex.GetType().Name}: {ex.Message}", ct);
                        await Task.Delay(pause, TimeProvider.System, ct); // operational waits are in real time, whatever the app's clock
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception recordFailed)
                    {
                        logger.LogWarning(recordFailed, "Could not record the failure of change-feed consumer {Consumer}.", consumer.Name);
                    }
                }
            }
        }
        finally
        {
            try
            {
                await saving; // never throws: SaveAsync logs its own errors
                if (position is { } p && p != saved)
                {
                    await store.SavePositionAsync(consumer.Name, p, CancellationToken.None); // a graceful stop keeps the last position
                }
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not save the position of change-feed consumer {Consumer} on stop.", consumer.Name);
            }
        }
    }

    private async Task WaitAsync(Task woken, TimeSpan timeout, CancellationToken ct)
    {
        using var tick = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, TimeProvider.System, tick.Token);
        await Task.WhenAny(woken, delay);
        await tick.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}
