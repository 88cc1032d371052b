using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.ComputedAttributes;

public sealed class ComputedAttributeOptions
{
    public const string Section = "ProfileStudio:ComputedAttributes";

    /// <summary>How often the expiry job looks for values whose oldest bucket left the window (the finest bucket is an hour).</summary>
    public int ExpiryIntervalSeconds { get; set; } = 60;

    /// <summary>Profiles per backfill transaction (the unification writer waits at most one chunk).</summary>
    public int BackfillChunk { get; set; } = ComputedAttributeMaintenance.DefaultChunk;
}

/// <summary>
/// Moves windows with the clock: every <see cref="ComputedAttributeOptions.ExpiryIntervalSeconds"/>, recomputes
/// the values whose oldest bucket has left the window (see <see cref="ComputedAttributeMaintenance.ExpireDue"/>),
/// so "orders in the last 30 days" drops without a new event. <see cref="RunNowAsync"/> runs it at once
/// (the test clock does, after moving time).
/// </summary>
public sealed class ComputedAttributeExpiryJob(
    IOptions<ProfileStudioOptions> options,
    IOptions<ComputedAttributeOptions> computedOptions,
    ChangeFeedSignal feed,
    TimeProvider clock,
    ILogger<ComputedAttributeExpiryJob> logger) : PeriodicJob(clock, logger)
{
    private readonly TimeProvider _time = clock;

    private readonly SemaphoreSlim _one = new(1, 1);

    public override string Name => "computed attribute windows";

    public override TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, computedOptions.Value.ExpiryIntervalSeconds));

    protected override Task RunOnceAsync(CancellationToken ct) => RunNowAsync(ct);

    /// <summary>Recomputes every due value now; returns how many changed.</summary>
    public async Task<int> RunNowAsync(CancellationToken ct = default)
    {
        await _one.WaitAsync(ct);
        try
        {
            var changed = await Task.Run(() =>
            {
                using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(options.Value.DataDirectoryFullPath));
                connection.Open();
                using var maintenance = new ComputedAttributeMaintenance(connection, _time);
                return maintenance.ExpireDue();
            }, ct);
            if (changed > 0)
            {
                feed.Notify();
                logger.LogInformation("{Values} computed values changed as their windows moved.", changed);
            }
            return changed;
        }
        finally
        {
            _one.Release();
        }
    }
}

/// <summary>
/// Backfills activated or edited definitions in the background (see <see cref="ComputedAttributeMaintenance.BackfillStep"/>):
/// wakes when the definitions change and every few seconds, resumes from the stored cursor after a restart,
/// and records a failure on the definitions (shown on their page) before trying again. Publishes the active
/// definitions to the live stage at start-up.
/// </summary>
public sealed class ComputedAttributeBackfillJob(
    IOptions<ProfileStudioOptions> options,
    IOptions<ComputedAttributeOptions> computedOptions,
    ComputedAttributeStore store,
    ComputedDefinitionCatalog catalog,
    ChangeFeedSignal feed,
    TimeProvider time,
    ILogger<ComputedAttributeBackfillJob> logger) : BackgroundService
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Raised after every backfill step (pages showing progress refresh).</summary>
    public event Action<BackfillStep>? Progressed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        catalog.Changed += Wake;
        try
        {
            var catalogLoaded = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!catalogLoaded)
                    {
                        await store.RefreshCatalogAsync(stoppingToken);
                        catalogLoaded = true;
                    }
                    await Task.Run(() => Backfill(stoppingToken), stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "Backfill of computed attributes failed; it resumes from its cursor.");
                    TryRecordFailure(ex);
                }
                // Until the definitions change, or a while (a failed attempt is retried; the clock is the injected one).
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var woken = _wake.WaitAsync(wait.Token);
                await Task.WhenAny(woken, Task.Delay(Idle, time, wait.Token));
                await wait.CancelAsync();
                await Task.WhenAny(woken); // observed, cancelled or not
            }
        }
        finally
        {
            catalog.Changed -= Wake;
        }
    }

    private void Wake() => _wake.Release();

    private void Backfill(CancellationToken ct)
    {
        using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(options.Value.DataDirectoryFullPath));
        connection.Open();
        // Timelines are read on a second connection while the first writes (see ComputedAttributeMaintenance.BackfillStep).
        using var reading = new SqliteConnection(SqliteDatabase.ConnectionString(options.Value.DataDirectoryFullPath));
        reading.Open();
        using var maintenance = new ComputedAttributeMaintenance(connection, time, reading: reading);
        maintenance.BackfillAll(Math.Max(100, computedOptions.Value.BackfillChunk), step =>
        {
            if (step.Finished)
            {
                feed.Notify();
            }
            Progressed?.Invoke(step);
        }, ct);
    }

    private void TryRecordFailure(Exception ex)
    {
        try
        {
            using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(options.Value.DataDirectoryFullPath));
            connection.Open();
            using var maintenance = new ComputedAttributeMaintenance(connection, time);
            maintenance.RecordFailure($"{ex.GetType().Name}: {ex.Message}");
        }
        catch (Exception)
        {
            // The database itself is failing; the log has the cause.
        }
    }
}
