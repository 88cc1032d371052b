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

    /// <summary>
    /// Feed rows handled per write transaction. Unification waits for the database's write lock while the schema saves, so
    /// a feed batch (thousands of rows) is saved in parts; each part is complete on its own (a replay after a crash recounts
    /// the same profiles and counts no event twice), so at-least-once delivery of the whole batch stays harmless.
    /// </summary>
    public const int WriteBatch = 1_000;

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
