using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.ChangeFeed;

namespace ProfileStudio.Core.Schema;

/// <summary>
/// The union schema and event catalog as a change-feed consumer: off the unification writer's path, so
/// a run pays nothing for it; every merge, split, delete and rebuild reaches it as a feed row. It needs
/// no history (the back-fill counts what exists), so it starts at the feed's end.
/// </summary>
public sealed class SchemaConsumer(SchemaMaintainer maintainer) : IChangeFeedConsumer
{
    public const string ConsumerName = "schema-catalog";

    public string Name => ConsumerName;

    public string Description => "Keeps Data › Schema current: attribute paths with fill rates, the event catalog with volumes";

    public bool StartsAtEnd => true;

    /// <summary>Fill rates and volumes nobody reads within seconds of an event: its rows are taken every few seconds, in larger batches.</summary>
    public ChangeFeedUrgency Urgency => ChangeFeedUrgency.Periodic;

    /// <summary>
    /// Feed rows handled per write transaction: a whole feed batch. When the counts were in the store's file, each save first
    /// waited for its write lock, which a unification run holds for hundreds of milliseconds under load, so saves of 1,000 rows
    /// spent most of the consumer's time waiting (23.7 s of 26.7 s in a 40 s feed bench at 4,800 msg/s). They are now in the
    /// consumers' own file (SqliteConsumerTables), where a save waits for the dashboard's at most; one save per batch still
    /// costs least. A larger batch is still saved in parts, each complete on its own (a replay after a crash recounts the
    /// same profiles and counts no event twice), so at-least-once delivery stays harmless.
    /// </summary>
    public const int WriteBatch = 5_000;

    public async Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
    {
        foreach (var part in changes.Chunk(WriteBatch))
        {
            await maintainer.HandleAsync(part, ct);
        }
    }
}

/// <summary>
/// The first start after an upgrade (or on a new database): counts the union schema and event catalog
/// from stored data once. It waits until the consumer has its place in the feed, so no change made
/// between the count and that place can be missed (a change after it is handled again, which is harmless).
/// </summary>
public sealed class SchemaBackfill(SchemaMaintainer maintainer, ChangeFeedStore feed, ILogger<SchemaBackfill> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                if (await feed.HasPositionAsync(SchemaConsumer.ConsumerName, stoppingToken))
                {
                    await maintainer.EnsureBuiltAsync(stoppingToken);
                    return;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Counting the union schema from stored data failed; retrying.");
            }
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 + attempt)), TimeProvider.System, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
