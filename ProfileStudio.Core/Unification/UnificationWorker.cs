using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// The one ordered reader of the lake: takes the messages after the checkpoint in runs, resolves
/// them through the in-memory identity graph, and writes each run's profile changes with the new
/// checkpoint in one transaction. Woken by the lake writer's commits. A message that cannot be
/// processed is set aside by the runner and the rest goes on; a failure of the machine (disk full,
/// database locked) is logged, the graph restored from storage, and the run retried after a pause.
/// </summary>
public sealed class UnificationWorker(
    IUnificationStorage storage,
    IOptions<UnificationOptions> unificationOptions,
    IdentityRulesStore rulesStore,
    UnificationJobs jobs,
    LakeNotifications lake,
    ChangeFeed.ChangeFeedSignal feed,
    PoisonMessages poisonMessages,
    ProfileStudioMetrics metrics,
    TimeProvider time,
    ILogger<UnificationWorker> logger,
    IEnumerable<IRebuildFollower>? rebuildFollowers = null) : BackgroundService
{
    /// <summary>
    /// The most messages in one run (one transaction). Large runs write each touched page once for
    /// many changes: catching up 1,000,000 messages took 43.6 s in runs of 20,000 and 31.0 s in runs of
    /// 100,000. At a steady rate a run is just what arrived since the last one.
    /// </summary>
    public const int RunSize = 100_000;
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>How long the worker waits before retrying after a failure of the machine (not of a message).</summary>
    public static readonly TimeSpan FailurePause = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!unificationOptions.Value.Enabled)
        {
            logger.LogWarning("Unification is off (ProfileStudio:Unification:Enabled=false): messages are stored but not unified into profiles.");
            return;
        }
        lake.Committed += OnLakeCommitted;
        rulesStore.Changed += OnRulesChanged;
        jobs.RulesChanged += OnRulesChanged;
        jobs.Changed += OnJobChanged;
        poisonMessages.RetryRequested += OnRetryRequested;
        try
        {
            // Opening the storage, restoring the graph or a failed retry's restore throwing ends this attempt only:
            // the whole worker starts again after a back-off, from the stored checkpoint.
            await BackgroundRetry.RunAsync(logger, "Unification", RunAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            lake.Committed -= OnLakeCommitted;
            rulesStore.Changed -= OnRulesChanged;
            jobs.RulesChanged -= OnRulesChanged;
            jobs.Changed -= OnJobChanged;
            poisonMessages.RetryRequested -= OnRetryRequested;
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        await jobs.RequeueInterruptedAsync(stoppingToken);
        await using var session = await storage.OpenAsync(stoppingToken);
        using var store = session.OpenStore();
        UnificationRunner? runner = null;
        // A fresh graph from storage; the runner it replaces is disposed (its statements and checkpointer).
        async Task<UnificationRunner> StartAsync()
        {
            if (runner is not null)
            {
                await runner.DisposeAsync();
            }
            var started = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(await rulesStore.LoadAsync(stoppingToken)), pipeline: session.Pipeline), time);
            started.SetAside += (id, reason) =>
            {
                logger.LogWarning("Lake message {Id} was set aside: {Reason}", id, reason);
                poisonMessages.NotifyChanged();
            };
            return started;
        }
        runner = await StartAsync();
        var checkpoint = store.ReadCheckpoint();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    metrics.RunsStarting();
                    if (Interlocked.Exchange(ref _rulesChanged, 0) == 1)
                    {
                        // New rules apply to messages from here on; a rebuild applies them to the past.
                        runner = await StartAsync();
                        logger.LogInformation("Identity rules changed; unification continues with the new rules.");
                    }
                    if (Interlocked.Exchange(ref _retryRequested, 0) == 1)
                    {
                        var retried = await runner.RetrySetAsideAsync(Applied, stoppingToken);
                        logger.LogInformation("Retried {Count} set-aside messages.", retried);
                        poisonMessages.NotifyChanged();
                    }
                    var stopwatch = Stopwatch.StartNew();
                    var (next, count) = await runner.CatchUpAsync(checkpoint, RunSize, Applied, stoppingToken);
                    checkpoint = next;
                    if (await jobs.StartNextAsync(stoppingToken) is { } job)
                    {
                        await RunJobAsync(job, session.Maintenance, checkpoint, stoppingToken);
                        runner = await StartAsync();
                        checkpoint = store.ReadCheckpoint();
                        continue;
                    }
                    if (count == 0)
                    {
                        await WaitForWorkAsync(stoppingToken);
                        continue;
                    }
                    logger.LogDebug("Unified {Count} messages up to {Checkpoint} in {Ms} ms.", count, checkpoint, stopwatch.ElapsedMilliseconds);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Unification after message {Checkpoint} failed; restoring the graph and retrying.", checkpoint);
                    await Task.Delay(FailurePause, TimeProvider.System, stoppingToken); // real time, whatever the app's clock
                    runner = await StartAsync();
                    checkpoint = store.ReadCheckpoint();
                }
            }
        }
        finally
        {
            await runner.DisposeAsync();
        }
    }

    /// <summary>Runs a rebuild, a split or a deletion between two catch-ups (the graph and the store agree then); a failure is recorded on the job.</summary>
    private async Task RunJobAsync(UnificationJob job, IProfileMaintenance maintenance, long checkpoint, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        void Progress(long processed, long total)
        {
            if (stopwatch.Elapsed - lastReport < TimeSpan.FromMilliseconds(250) && processed < total)
            {
                return;
            }
            lastReport = stopwatch.Elapsed;
            jobs.ReportProgressAsync(job, processed, total, ct).GetAwaiter().GetResult();
        }
        try
        {
            var rules = await rulesStore.LoadAsync(ct);
            string outcome;
            if (job.Kind == UnificationJobKinds.Split && job.ProfileId is { } profileId)
            {
                var split = maintenance.Split(profileId, rules, checkpoint, time.GetUtcNow().UtcDateTime, IdentityKey.Parse(job.SplitOff), Progress);
                outcome = split.Describe();
            }
            else if (UnificationJobKinds.IsDeletion(job.Kind) && job.ProfileId is { } deleted)
            {
                var deletion = maintenance.Delete(deleted, job.Kind == UnificationJobKinds.Erase, rules, time.GetUtcNow().UtcDateTime)
                    ?? throw new InvalidOperationException($"Profile {deleted} was not found (already deleted, or merged into another profile).");
                outcome = deletion.Describe();
            }
            else
            {
                var reached = await maintenance.RebuildAsync(rules, RunSize, Progress, ct);
                maintenance.Swap();
                foreach (var follower in rebuildFollowers ?? [])
                {
                    try
                    {
                        await follower.SwappedInAsync(time.GetUtcNow().UtcDateTime, ct);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // The rebuild is in: a follower's failure must not report it failed (nor drop it). The change feed's
                        // Rebuilt row reaches the same data through its consumer.
                        logger.LogWarning(ex, "After the rebuild was swapped in, {Follower} could not follow it at once; its change-feed consumer will.", follower.GetType().Name);
                    }
                }
                outcome = $"rebuilt every profile from {reached:N0} lake messages in {stopwatch.Elapsed.TotalSeconds:N1} s";
            }
            feed.Notify(); // the job's change-feed rows are committed
            logger.LogInformation("Unification job {Id} ({Kind}) done: {Outcome}", job.Id, job.Kind, outcome);
            await jobs.FinishAsync(job, true, outcome, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Unification job {Id} ({Kind}) failed.", job.Id, job.Kind);
            maintenance.DropRebuild();
            await jobs.FinishAsync(job, false, ex.Message, ct);
        }
    }

    private void OnJobChanged(UnificationJob job)
    {
        if (job.Status == UnificationJobStatus.Queued)
        {
            OnLakeCommitted([]);
        }
    }

    private int _rulesChanged;

    /// <summary>After each committed run: the change feed's consumers are woken, and the set-aside list refreshed when it set messages aside.</summary>
    private void Applied(UnificationChanges changes)
    {
        metrics.RunCommitted(changes.Messages);
        feed.Notify();
        if (changes.SetAside.Count > 0)
        {
            poisonMessages.NotifyChanged();
        }
    }
    private int _retryRequested = 1; // set-aside messages asked for before a restart are retried after it

    private void OnRetryRequested()
    {
        Interlocked.Exchange(ref _retryRequested, 1);
        OnLakeCommitted([]);
    }

    /// <summary>Until new messages are committed, a job or retry is asked for, or a second of the injected clock passes.</summary>
    private async Task WaitForWorkAsync(CancellationToken ct)
    {
        using var tick = new CancellationTokenSource(TimeSpan.FromSeconds(1), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, tick.Token);
        try
        {
            await _wake.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    private void OnRulesChanged()
    {
        Interlocked.Exchange(ref _rulesChanged, 1);
        OnLakeCommitted([]);
    }

    private void OnLakeCommitted(IReadOnlyCollection<int> sources)
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }
}

public sealed class UnificationOptions
{
    public const string Section = "ProfileStudio:Unification";

    /// <summary>Off only to measure ingestion alone (the benchmarks); the lake keeps everything for later.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>Tells open pages which profiles changed (fed by <see cref="ChangeFeed.StudioPagesConsumer"/> from the change feed).</summary>
public sealed class UnificationNotifications
{
    public event Action<IReadOnlyCollection<long>>? ProfilesChanged;

    /// <summary>Raised when every profile changed: a rebuild swapped in a new profile store, or every profile's computed values changed (every open page should reload).</summary>
    public event Action? Rebuilt;

    public void PublishRebuilt()
    {
        try
        {
            Rebuilt?.Invoke();
        }
        catch (Exception)
        {
            // A closed page must not stop unification.
        }
    }

    public void PublishProfiles(IReadOnlyCollection<long> profiles)
    {
        if (ProfilesChanged is null)
        {
            return;
        }
        foreach (var subscriber in ProfilesChanged.GetInvocationList())
        {
            try
            {
                ((Action<IReadOnlyCollection<long>>)subscriber)(profiles);
            }
            catch (Exception)
            {
                // A closed page must not stop unification.
            }
        }
    }
}
