using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Core.ChangeFeed;

/// <summary>Every five minutes, removes the change-feed rows every consumer has read that are older than the retention.</summary>
public sealed class ChangeFeedPruning(
    IEnumerable<IChangeFeedConsumer> consumers,
    ChangeFeedStore store,
    IOptions<ChangeFeedOptions> options,
    TimeProvider time,
    ILogger<ChangeFeedPruning> logger) : PeriodicJob(time, logger)
{
    public static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(5);

    private readonly IReadOnlyCollection<string> _names = [.. consumers.Select(c => c.Name)];

    public override string Name => "change-feed pruning";

    public override TimeSpan Interval => PruneInterval;

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        var pruned = await store.PruneAsync(_names, TimeSpan.FromHours(options.Value.RetentionHours), ct);
        if (pruned > 0)
        {
            logger.LogInformation("Pruned {Rows} change-feed rows every consumer has read.", pruned);
        }
    }
}
