using System.Diagnostics;
using Microsoft.Data.Sqlite;
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
/// checkpoint in one transaction. Woken by the lake writer's commits; a failed run is logged, the
/// graph restored from storage, and the run retried.
/// </summary>
public sealed class UnificationWorker(
    IOptions<ProfileStudioOptions> options,
    IOptions<UnificationOptions> unificationOptions,
    IdentityRulesStore rulesStore,
    LakeNotifications lake,
    UnificationNotifications notifications,
    TimeProvider time,
    ILogger<UnificationWorker> logger) : BackgroundService
{
    public const int RunSize = 20_000;
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!unificationOptions.Value.Enabled)
        {
            logger.LogWarning("Unification is off (ProfileStudio:Unification:Enabled=false): messages are stored but not unified into profiles.");
            return;
        }
        lake.Committed += OnLakeCommitted;
        rulesStore.Changed += OnRulesChanged;
        try
        {
            var (reading, writing) = await UnificationRunner.OpenConnectionsAsync(
                SqliteDatabase.ConnectionString(options.Value.DataDirectoryFullPath), stoppingToken);
            await using var _ = reading;
            await using var __ = writing;
            var store = new UnificationStore(writing);
            async Task<UnificationRunner> StartAsync() =>
                new(reading, writing, new UnificationEngine(store.RestoreGraph(await rulesStore.LoadAsync(stoppingToken))), time);
            var runner = await StartAsync();
            var checkpoint = store.ReadCheckpoint();
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (Interlocked.Exchange(ref _rulesChanged, 0) == 1)
                    {
                        // New rules apply to messages from here on; a rebuild applies them to the past.
                        runner = await StartAsync();
                        logger.LogInformation("Identity rules changed; unification continues with the new rules.");
                    }
                    var stopwatch = Stopwatch.StartNew();
                    var (next, count) = await runner.CatchUpAsync(checkpoint, RunSize, notifications.Publish, stoppingToken);
                    checkpoint = next;
                    if (count == 0)
                    {
                        await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                        continue;
                    }
                    logger.LogDebug("Unified {Count} messages up to {Checkpoint} in {Ms} ms.", count, checkpoint, stopwatch.ElapsedMilliseconds);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Unification after message {Checkpoint} failed; restoring the graph and retrying.", checkpoint);
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
                    runner = await StartAsync();
                    checkpoint = store.ReadCheckpoint();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            lake.Committed -= OnLakeCommitted;
            rulesStore.Changed -= OnRulesChanged;
        }
    }

    private int _rulesChanged;

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

/// <summary>Tells open pages which profiles a unification run changed.</summary>
public sealed class UnificationNotifications
{
    public event Action<IReadOnlyCollection<long>>? ProfilesChanged;

    public void Publish(UnificationChanges changes)
    {
        if (ProfilesChanged is null)
        {
            return;
        }
        var profiles = changes.Touched.Keys.Concat(changes.Merges.Select(m => m.From)).ToHashSet();
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
