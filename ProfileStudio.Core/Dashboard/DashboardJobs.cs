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
/// Keeps the profile history current from the change feed: a new profile, one whose first-seen time moved
/// (<see cref="ProfileChangeKinds.FirstSeen"/>) or one merged away recomputes the days from its first-seen day on;
/// a split, delete or rebuild recomputes them all. A merge's survivor needs no day of its own: it keeps the earlier
/// of the two first-seen times, so only days from the merged profile's on change. A profile merely touched (a
/// returning customer) changes no day; counting from its first-seen day, possibly years back, would read most
/// profiles for every batch. A batch whose only such changes are new profiles (<see cref="ProfileChangeKinds.Created"/>:
/// most batches) adds them to their days instead of counting those days again
/// (<see cref="DashboardSnapshots.UpdateHistoryAsync"/>). The figures are also computed again, beside the consumer, when
/// the live profiles outgrow what the stored ones counted (<see cref="DashboardSnapshots.RefreshIfOutgrownAsync"/>), as on a new install or in the demo.
/// </summary>
public sealed class DashboardConsumer(DashboardSnapshots snapshots, ILogger<DashboardConsumer>? logger = null) : IChangeFeedConsumer
{
    /// <summary>After a failed catch-up refresh (profiles outgrew the figures), how long before the consumer tries one again.</summary>
    private static readonly TimeSpan RefreshRetry = TimeSpan.FromMinutes(1);

    private long _refreshRetryAt;

    public const string ConsumerName = "dashboard";

    public string Name => ConsumerName;

    public string Description => "Dashboard: profiles first seen per day and the running total.";

    /// <summary>The dashboard's figures are a snapshot minutes old by design: its rows are taken every few seconds, in larger batches.</summary>
    public ChangeFeedUrgency Urgency => ChangeFeedUrgency.Periodic;

    /// <summary>The history before its place in the feed is back-filled from stored data (<see cref="DashboardBackfill"/>).</summary>
    public bool StartsAtEnd => true;

    public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
    {
        const ProfileChangeKinds everyDay = ProfileChangeKinds.Split | ProfileChangeKinds.Deleted | ProfileChangeKinds.Rebuilt;
        var everything = changes.Any(c => (c.Kinds & everyDay) != 0);
        var ids = new HashSet<long>();
        var created = new List<(long FeedId, long ProfileId)>();
        var onlyCreated = true;
        foreach (var change in changes)
        {
            if (change.Kinds.HasFlag(ProfileChangeKinds.FirstSeen))
            {
                ids.Add(change.ProfileId);
                if (change.Kinds.HasFlag(ProfileChangeKinds.Created))
                {
                    created.Add((change.Id, change.ProfileId));
                }
                else
                {
                    onlyCreated = false; // an older event moved the profile to an earlier day
                }
            }
            if (change.Kinds.HasFlag(ProfileChangeKinds.Merged) && change.OtherProfileId is { } mergedAway)
            {
                ids.Add(mergedAway);
                onlyCreated = false;
            }
        }
        return HandleAsync(ids, everything, onlyCreated && !everything ? created : null, ct);
    }

    private Task _catchingUp = Task.CompletedTask;

    /// <summary>The latest catch-up refresh the consumer started (completed when none runs); tests wait for it.</summary>
    internal Task CatchingUp => Volatile.Read(ref _catchingUp);

    private async Task HandleAsync(HashSet<long> ids, bool everything, List<(long FeedId, long ProfileId)>? created, CancellationToken ct)
    {
        var live = await snapshots.UpdateHistoryAsync(ids, everything, ct, created);
        if (live is null || Environment.TickCount64 < Volatile.Read(ref _refreshRetryAt) || !CatchingUp.IsCompleted)
        {
            return;
        }
        // Beside the consumer, not in its way: a refresh takes seconds at a million profiles, and the history of the
        // next batches must not wait for it (the consumer's lag). A later batch asks again once it is done.
        Volatile.Write(ref _catchingUp, Task.Run(() => CatchUpAsync(live.Value, ct), CancellationToken.None));
    }

    private async Task CatchUpAsync(long live, CancellationToken ct)
    {
        try
        {
            await snapshots.RefreshIfOutgrownAsync(live, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // The history is written; the periodic job refreshes anyway: try again a while later, not at every batch.
            Volatile.Write(ref _refreshRetryAt, Environment.TickCount64 + (long)RefreshRetry.TotalMilliseconds);
            logger?.LogWarning(ex, "Computing the dashboard's figures for the new profiles failed; trying again in {Seconds} s.", RefreshRetry.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
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
