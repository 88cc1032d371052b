using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// Moves time windows: every <see cref="SegmentOptions.ClockCheckSeconds"/>, re-evaluates the (profile, segment)
/// pairs whose stored clock check is due (<see cref="SegmentDependencies.NextClockChange"/>), so people leave
/// "bought in the last 30 days" and enter "added to cart, no order in 7 days" with no new event; prunes history
/// older than <see cref="SegmentOptions.HistoryDays"/>. <see cref="RunNowAsync"/> runs it at once (the test clock does).
/// </summary>
public sealed class SegmentClockJob(
    SegmentMembershipEvaluator evaluator, IOptions<SegmentOptions> options,
    TimeProvider clock, ILogger<SegmentClockJob> logger) : PeriodicJob(clock, logger)
{
    private readonly TimeProvider _time = clock;
    private readonly SemaphoreSlim _one = new(1, 1);

    public override string Name => "segment clock checks";

    public override TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, options.Value.ClockCheckSeconds));

    protected override Task RunOnceAsync(CancellationToken ct) => RunNowAsync(ct);

    /// <summary>Re-evaluates every due check now; returns how many memberships changed.</summary>
    public async Task<long> RunNowAsync(CancellationToken ct = default)
    {
        await _one.WaitAsync(ct);
        try
        {
            var changed = await evaluator.CheckDueAsync(ct: ct);
            var before = _time.GetUtcNow().UtcDateTime.AddDays(-Math.Max(1, options.Value.HistoryDays));
            await evaluator.Writer.PruneHistoryAsync(before, ct);
            // Membership changes a failed relay pass left in the outbox reach the feed within a round, even with no new write.
            evaluator.Writer.Relay.Kick();
            return changed;
        }
        finally
        {
            _one.Release();
        }
    }
}

/// <summary>
/// Full evaluations with progress: a segment just activated or edited, "evaluate now", a rebuild, and batch
/// segments every <see cref="Segment.BatchIntervalHours"/>. One segment at a time over every live profile, in
/// profile-id order and chunks, saving its progress on the segment after each chunk; members whose profile is
/// no longer live are removed at the end. Looks every <see cref="SegmentOptions.BatchPollSeconds"/> and
/// whenever a full evaluation is asked for.
/// </summary>
public sealed class SegmentBatchJob(
    SegmentMembershipEvaluator evaluator, SegmentStore store, IDbContextFactory<ProfileStudioDbContext> dbFactory, IOptions<SegmentOptions> options,
    TimeProvider clock, ILogger<SegmentBatchJob> logger) : BackgroundService
{
    /// <summary>Profiles per chunk (one read, one write transaction).</summary>
    public const int Chunk = SegmentFactsLoader.Chunk;

    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        store.EvaluationRequested += Wake;
        return base.StartAsync(cancellationToken);
    }

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // The active segments reach streaming evaluation before anything else reads the catalog.
            await BackgroundRetry.RunAsync(logger, "Loading the active segments", store.RefreshCatalogAsync, stoppingToken);
            // Membership changes a stop left in the outbox reach the change feed.
            evaluator.Writer.Relay.Kick();
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RunPendingAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "Segment evaluation failed; trying again later.");
                }
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                await Task.WhenAny(_wake.WaitAsync(tick.Token), Task.Delay(TimeSpan.FromSeconds(Math.Max(1, options.Value.BatchPollSeconds)), clock, tick.Token));
                await tick.CancelAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Runs every full evaluation that is due (asked for, or a batch segment's interval passed); returns how many ran.</summary>
    public async Task<int> RunPendingAsync(CancellationToken ct = default)
    {
        await _one.WaitAsync(ct);
        try
        {
            var ran = 0;
            while (!ct.IsCancellationRequested && await NextDueAsync(ct) is { } id)
            {
                await EvaluateAsync(id, ct);
                ran++;
            }
            return ran;
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task<long?> NextDueAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var active = await db.Segments.AsNoTracking().Where(s => s.Status == SegmentStatus.Active).ToListAsync(ct);
        var requested = active.Where(s => s.EvaluationRequestedAt is not null && s.EvaluationError is null).OrderBy(s => s.EvaluationRequestedAt).FirstOrDefault();
        if (requested is not null)
        {
            return requested.Id;
        }
        var batch = active.Where(s => s.Evaluation == SegmentEvaluationMode.Batch
                                      && (s.LastEvaluatedAt is null || s.LastEvaluatedAt.Value.AddHours(s.BatchIntervalHours) <= now)).OrderBy(s => s.LastEvaluatedAt).FirstOrDefault();
        // A failed evaluation is tried again on the next poll (its error shows meanwhile).
        var failed = active.Where(s => s.EvaluationError is not null).OrderBy(s => s.EvaluationRequestedAt).FirstOrDefault();
        return (batch ?? failed)?.Id;
    }

    /// <summary>Evaluates one active segment over every live profile, with progress on the segment.</summary>
    public async Task EvaluateAsync(long segmentId, CancellationToken ct = default)
    {
        var started = clock.GetUtcNow().UtcDateTime;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var total = await db.Profiles.LongCountAsync(p => p.MergedIntoId == null, ct);
            var updated = await db.Segments.Where(s => s.Id == segmentId && s.Status == SegmentStatus.Active).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.EvaluationStartedAt, started).SetProperty(s => s.EvaluationProcessed, 0L)
                .SetProperty(s => s.EvaluationTotal, total).SetProperty(s => s.EvaluationError, (string?)null), ct);
            if (updated == 0)
            {
                return;
            }
        }
        try
        {
            // The catalog may not have this segment yet (published after the request); read it from storage.
            await store.RefreshCatalogAsync(ct);
            var snapshot = evaluator.Catalog.Current;
            if (snapshot.Find(segmentId) is not { } segment)
            {
                return;
            }
            IReadOnlyList<ActiveSegment> only = [segment];
            var after = 0L;
            var processed = 0L;
            while (!ct.IsCancellationRequested)
            {
                List<long> ids;
                await using (var db = await dbFactory.CreateDbContextAsync(ct))
                {
                    ids = await db.Profiles.AsNoTracking().Where(p => p.Id > after && p.MergedIntoId == null).OrderBy(p => p.Id).Select(p => p.Id).Take(Chunk).ToListAsync(ct);
                }
                if (ids.Count == 0)
                {
                    break;
                }
                await evaluator.EvaluateAsync(ids, snapshot, _ => only, ct);
                (after, processed) = (ids[^1], processed + ids.Count);
                await using var progress = await dbFactory.CreateDbContextAsync(ct);
                await progress.Segments.Where(s => s.Id == segmentId).ExecuteUpdateAsync(u => u.SetProperty(s => s.EvaluationProcessed, processed), ct);
            }
            // Members whose profile went away without the consumer noticing (or before the segment was active).
            List<long> stale;
            await using (var db = await Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(dbFactory, ct)) // memberships are in the segments' file
            {
                stale = await db.SegmentMemberships.AsNoTracking().Where(m => m.SegmentId == segmentId && !db.Profiles.Any(p => p.Id == m.ProfileId && p.MergedIntoId == null))
                    .Select(m => m.ProfileId).ToListAsync(ct);
            }
            await evaluator.EvaluateAsync(stale, snapshot, _ => only, ct);
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var finished = clock.GetUtcNow().UtcDateTime;
                // A request made while this evaluation ran stays, so it runs again with what changed meanwhile.
                await db.Segments.Where(s => s.Id == segmentId).ExecuteUpdateAsync(u => u
                    .SetProperty(s => s.LastEvaluatedAt, finished).SetProperty(s => s.EvaluationStartedAt, (DateTime?)null)
                    .SetProperty(s => s.EvaluationTotal, processed)
                    .SetProperty(s => s.EvaluationRequestedAt, s => s.EvaluationRequestedAt > started ? s.EvaluationRequestedAt : null), ct);
            }
            logger.LogInformation("Segment {Segment} evaluated over {Profiles} profiles.", segment.Name, processed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var error = $"{ex.GetType().Name}: {ex.Message}";
            await db.Segments.Where(s => s.Id == segmentId).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.EvaluationStartedAt, (DateTime?)null).SetProperty(s => s.EvaluationError, error.Length > 2000 ? error[..2000] : error), CancellationToken.None);
            throw;
        }
    }
}
