using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ProfileStudio.Core.ChangeFeed;

/// <summary>
/// Runs every registered <see cref="IChangeFeedConsumer"/> on its own loop: read the rows after its
/// position, hand them over, save the new position (at least once: a crash between the two hands the
/// rows over again). A failing consumer is retried with exponential back-off on the injected clock,
/// while unification and the other consumers go on. Rows every consumer has read are pruned by
/// <see cref="ChangeFeedPruning"/>.
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
        // The position is saved at most every SaveInterval while rows keep coming (and whenever the
        // consumer catches up): a save waits for the database's write lock, which a large unification
        // run holds for a while, and the consumer should go on handling rows meanwhile. A crash replays
        // at most that much, which at-least-once delivery allows.
        async Task SaveAsync(CancellationToken token)
        {
            if (position is { } p && (p != saved || failures > 0))
            {
                await store.SavePositionAsync(consumer.Name, p, token);
                (saved, lastSave) = (p, time.GetUtcNow());
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
                        await SaveAsync(ct);
                        await WaitAsync(woken, PollInterval, ct);
                        continue;
                    }
                    await consumer.HandleAsync(rows, ct);
                    position = rows[^1].Id;
                    progress.Handled(consumer.Name, position.Value);
                    if (failures > 0 || time.GetUtcNow() - lastSave >= SaveInterval)
                    {
                        await SaveAsync(ct);
                    }
                    failures = 0;
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
                await SaveAsync(CancellationToken.None); // a graceful stop keeps the last position
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
