using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Core.Dashboard;

public sealed class DashboardOptions
{
    public const string Section = "ProfileStudio:Dashboard";

    /// <summary>How often every figure is computed afresh from stored data (the profile history follows the change feed within seconds).</summary>
    public double RefreshMinutes { get; set; } = 5;
}

/// <summary>
/// Keeps the profile history current from the change feed: a new, merged or moved profile recomputes the
/// days from its first-seen day on; a split, delete or rebuild recomputes them all.
/// </summary>
public sealed class DashboardConsumer(DashboardSnapshots snapshots) : IChangeFeedConsumer
{
    public const string ConsumerName = "dashboard";

    public string Name => ConsumerName;

    public string Description => "Dashboard: profiles first seen per day and the running total.";

    /// <summary>The history before its place in the feed is back-filled from stored data (<see cref="DashboardBackfill"/>).</summary>
    public bool StartsAtEnd => true;

    public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
    {
        const ProfileChangeKinds everyDay = ProfileChangeKinds.Split | ProfileChangeKinds.Deleted | ProfileChangeKinds.Rebuilt;
        // Only a change to who exists or when they were first seen moves the history; attribute and computed changes do not.
        const ProfileChangeKinds counted = ProfileChangeKinds.Identities | ProfileChangeKinds.Events | ProfileChangeKinds.Merged | ProfileChangeKinds.Attributes;
        var everything = changes.Any(c => (c.Kinds & everyDay) != 0);
        var ids = new HashSet<long>();
        foreach (var change in changes.Where(c => (c.Kinds & counted) != 0))
        {
            ids.Add(change.ProfileId);
            if (change.OtherProfileId is { } other)
            {
                ids.Add(other);
            }
        }
        return snapshots.UpdateHistoryAsync(ids, everything, ct);
    }
}

/// <summary>Computes every figure afresh every <see cref="DashboardOptions.RefreshMinutes"/>.</summary>
public sealed class DashboardRefreshJob(DashboardSnapshots snapshots, IOptions<DashboardOptions> options, TimeProvider time, ILogger<DashboardRefreshJob> logger)
    : PeriodicJob(time, logger)
{
    public override string Name => "dashboard refresh";

    public override TimeSpan Interval => TimeSpan.FromMinutes(Math.Max(0.1, options.Value.RefreshMinutes));

    protected override Task RunOnceAsync(CancellationToken ct) => snapshots.RefreshAsync(ct);
}

/// <summary>
/// The first start after an upgrade (or on a new database): computes the figures and the whole history from
/// stored data once, after the consumer has its place in the feed, so no change between the two is missed.
/// </summary>
public sealed class DashboardBackfill(DashboardSnapshots snapshots, ChangeFeedStore feed, ILogger<DashboardBackfill> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await BackgroundRetry.RunAsync(logger, "back-filling the dashboard history", async ct =>
            {
                while (!await feed.HasPositionAsync(DashboardConsumer.ConsumerName, ct))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, ct); // operational: real time, whatever the app's clock
                }
                if (!await snapshots.HasSnapshotAsync(ct))
                {
                    await snapshots.RefreshAsync(ct);
                }
            }, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Back-filling the dashboard history failed; the periodic refresh computes it later.");
        }
    }
}
