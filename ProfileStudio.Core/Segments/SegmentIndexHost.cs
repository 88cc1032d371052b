using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>How the in-memory segment index stands (for the builder's "answered by" line and the bench).</summary>
public sealed record SegmentIndexStatus(bool Ready, int Profiles, long Events, long ApproximateBytes, DateTime? LoadedAt, TimeSpan? LoadTook, long ChangesApplied);

/// <summary>
/// Holds the one <see cref="SegmentIndex"/> of the app: loaded once in the background at start
/// (<see cref="SegmentIndexLoading"/>), then kept current from the change feed (<see cref="SegmentIndexConsumer"/>):
/// touched profiles are reloaded from storage, merged and deleted ones dropped, a rebuild reloads everything.
/// Readers share the index; a writer excludes them only while it swaps in rows it has already read.
/// </summary>
public sealed class SegmentIndexHost(IDbContextFactory<ProfileStudioDbContext> dbFactory, TimeProvider time, ILogger<SegmentIndexHost> logger)
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    // Loads and change batches one at a time, so a profile's rows read later are never overwritten by rows read earlier.
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SegmentIndex? _index;
    private DateTime? _loadedAt;
    private TimeSpan? _loadTook;
    private long _changesApplied;

    public bool IsReady => Volatile.Read(ref _index) is not null;

    /// <summary>Why the last load failed (it is retried), or null when it did not fail.</summary>
    public string? LastLoadError => Volatile.Read(ref _lastLoadError);

    private string? _lastLoadError;

    /// <summary>Completes when the first load is done.</summary>
    public Task Loaded => _loaded.Task;

    public SegmentIndexStatus Status
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _index is { } index
                    ? new SegmentIndexStatus(true, index.Count, index.EventCount, index.ApproximateBytes, _loadedAt, _loadTook, Interlocked.Read(ref _changesApplied))
                    : new SegmentIndexStatus(false, 0, 0, 0, null, null, 0);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Runs <paramref name="read"/> over the index (several readers at once); false while it is not loaded.</summary>
    public bool TryRead<T>(Func<SegmentIndex, T> read, out T result)
    {
        ArgumentNullException.ThrowIfNull(read);
        _lock.EnterReadLock();
        try
        {
            if (_index is null)
            {
                result = default!;
                return false;
            }
            result = read(_index);
            return true;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>(Re)loads every current profile from storage and swaps the new index in.</summary>
    public Task LoadAsync(CancellationToken ct) => LoadAsync(ct, null);

    /// <inheritdoc cref="LoadAsync(CancellationToken)"/>
    /// <param name="phases">Told each load phase's name and duration (the bench prints them).</param>
    public async Task LoadAsync(CancellationToken ct, Action<string, TimeSpan>? phases)
    {
        await _writer.WaitAsync(ct);
        try
        {
            var clock = Stopwatch.StartNew();
            SegmentIndex index;
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                index = await SegmentIndexLoader.LoadAllAsync(db, time.GetUtcNow().UtcDateTime, ct, phases);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                Volatile.Write(ref _lastLoadError, ex.Message);
                throw;
            }
            _lock.EnterWriteLock();
            try
            {
                _index = index;
                (_loadedAt, _loadTook) = (time.GetUtcNow().UtcDateTime, clock.Elapsed);
            }
            finally
            {
                _lock.ExitWriteLock();
            }
            _loaded.TrySetResult();
            Volatile.Write(ref _lastLoadError, null);
            logger.LogInformation("Segment index loaded: {Profiles} profiles, {Events} track events, about {Megabytes} MB, in {Seconds:N1} s.",
                index.Count, index.EventCount, index.ApproximateBytes / 1_048_576, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Brings the index up to date with change-feed rows: every profile named (and the other profile of a merge or
    /// split) is read again as it is now. Rows handed over before the first load wait for it (the load reads after
    /// they were committed, so applying them again is harmless). A rebuild of every profile, and a change of every
    /// profile's computed values (profile 0), reload the whole index.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await _loaded.Task.WaitAsync(ct);
        // A rebuild changed every profile; so did the end of a computed attribute's backfill, or the removal of a
        // definition's values, which name no profile (profile 0): the index's computed values are read again with the rest.
        if (changes.Any(c => c.Kinds.HasFlag(ProfileChangeKinds.Rebuilt) || c.ComputedForEveryProfile))
        {
            await LoadAsync(ct);
            return;
        }
        // Memberships are not in the index (estimates read them apart): a row about them alone changes nothing here.
        var ids = changes.Where(c => !c.OnlyMemberships).SelectMany(c => new[] { c.ProfileId, c.OtherProfileId ?? 0 }).Where(id => id > 0).ToHashSet();
        if (ids.Count == 0)
        {
            return;
        }
        await _writer.WaitAsync(ct);
        try
        {
            List<SegmentIndexProfile> current;
            List<long> gone;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                (current, gone) = await SegmentIndexLoader.LoadProfilesAsync(db, ids, time.GetUtcNow().UtcDateTime, ct);
            }
            _lock.EnterWriteLock();
            try
            {
                foreach (var id in gone)
                {
                    _index!.Remove(id);
                }
                foreach (var profile in current)
                {
                    _index!.Set(profile);
                }
            }
            finally
            {
                _lock.ExitWriteLock();
            }
            Interlocked.Add(ref _changesApplied, ids.Count);
        }
        finally
        {
            _writer.Release();
        }
    }
}

/// <summary>Keeps the segment index current: a change-feed consumer that needs no history (the load reads what exists).</summary>
public sealed class SegmentIndexConsumer(SegmentIndexHost host) : IChangeFeedConsumer
{
    public const string ConsumerName = "segment-index";

    public string Name => ConsumerName;

    public string Description => "Keeps the in-memory segment index current for live estimates and batch evaluation";

    public bool StartsAtEnd => true;

    public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct) => host.ApplyAsync(changes, ct);
}

/// <summary>
/// Loads the segment index once at start, in the background (estimates use the SQL path until then). It waits
/// until the consumer has its place in the feed, so every change committed after the load began reaches the
/// index through the feed. Failures are retried (<see cref="BackgroundRetry"/>); it never stops the app.
/// </summary>
public sealed class SegmentIndexLoading(SegmentIndexHost host, ChangeFeedStore feed, ILogger<SegmentIndexLoading> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await BackgroundRetry.RunAsync(logger, "Waiting for the segment index's place in the change feed", async ct =>
            {
                while (!await feed.HasPositionAsync(SegmentIndexConsumer.ConsumerName, ct))
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, ct); // operational: real time, whatever the app's clock
                }
            }, stoppingToken);
            await BackgroundRetry.RunAsync(logger, "Loading the segment index", host.LoadAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
