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
    IdentityRulesStore rulesStore,
    LakeNotifications lake,
    UnificationNotifications notifications,
    TimeProvider time,
    ILogger<UnificationWorker> logger) : BackgroundService
{
    public const int RunSize = 5000;
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lake.Committed += OnLakeCommitted;
        try
        {
            await using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(options.Value.DataDirectoryFullPath));
            await connection.OpenAsync(stoppingToken);
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;";
                pragma.ExecuteNonQuery();
            }
            var store = new UnificationStore(connection);
            var engine = new UnificationEngine(store.RestoreGraph(await rulesStore.LoadAsync(stoppingToken)));
            var checkpoint = store.ReadCheckpoint();
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var messages = store.ReadLake(checkpoint, RunSize);
                    if (messages.Count == 0)
                    {
                        await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                        continue;
                    }
                    var stopwatch = Stopwatch.StartNew();
                    var changes = engine.Process(messages);
                    store.Apply(changes, time.GetUtcNow().UtcDateTime);
                    checkpoint = changes.LastMessageId;
                    notifications.Publish(changes);
                    logger.LogDebug("Unified {Count} messages up to {Checkpoint} in {Ms} ms.", messages.Count, checkpoint, stopwatch.ElapsedMilliseconds);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Unification after message {Checkpoint} failed; restoring the graph and retrying.", checkpoint);
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
                    engine = new UnificationEngine(store.RestoreGraph(await rulesStore.LoadAsync(stoppingToken)));
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
        }
    }

    private void OnLakeCommitted(IReadOnlyCollection<int> sources)
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }
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
