using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Hosting;

/// <summary>How far one change-feed consumer is behind the end of the feed.</summary>
public sealed record ConsumerLag(string Consumer, long RowsBehind, double OldestUnreadAgeSeconds);

/// <summary>
/// How far the pipeline is behind the lake at one moment: unification (lake end − checkpoint, and the
/// age of the oldest message not unified yet), each change-feed consumer, and the set-aside messages.
/// </summary>
public sealed record PipelineLagSnapshot(
    long LakeEnd,
    long Checkpoint,
    double OldestPendingAgeSeconds,
    long FeedEnd,
    IReadOnlyList<ConsumerLag> Consumers,
    long SetAsideMessages)
{
    public long MessagesBehind => Math.Max(0, LakeEnd - Checkpoint);

    public static readonly PipelineLagSnapshot Empty = new(0, 0, 0, 0, [], 0);
}

/// <summary>
/// Reads <see cref="PipelineLagSnapshot"/> for the metrics' observable gauges, which are asked on every
/// scrape: the answer is kept for <see cref="MaxAge"/> of the injected clock, so any number of scrapes
/// (and the several gauges of one scrape) cost at most one read of a handful of indexed rows per period.
/// A failed read is logged and the previous answer kept.
/// </summary>
public sealed class PipelineLag(
    IDbContextFactory<ProfileStudioDbContext> dbFactory,
    IEnumerable<IChangeFeedConsumer> consumers,
    ChangeFeedProgress progress,
    TimeProvider time,
    ILogger<PipelineLag> logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly Lock _lock = new();
    private readonly IReadOnlyList<IChangeFeedConsumer> _consumers = [.. consumers];
    private PipelineLagSnapshot? _last;
    private DateTimeOffset _readAt;

    /// <summary>The latest snapshot, read afresh when the one kept is older than <see cref="MaxAge"/>.</summary>
    public PipelineLagSnapshot Current
    {
        get
        {
            lock (_lock)
            {
                var now = time.GetUtcNow();
                if (_last is null || now - _readAt >= MaxAge)
                {
                    try
                    {
                        _last = Read(now.UtcDateTime);
                    }
                    catch (Exception ex)
                    {
                        logger.LogWarning(ex, "Reading the pipeline's lag for the metrics failed; the previous values are reported.");
                        _last ??= PipelineLagSnapshot.Empty;
                    }
                    _readAt = now;
                }
                return _last;
            }
        }
    }

    private PipelineLagSnapshot Read(DateTime now)
    {
        using var db = dbFactory.CreateDbContext();
        var lakeEnd = db.RawMessages.Max(m => (long?)m.Id) ?? 0;
        var checkpoint = db.UnificationCheckpoints.Where(c => c.Id == 1).Select(c => (long?)c.LastMessageId).FirstOrDefault() ?? 0;
        // Set-aside messages are behind the checkpoint's back: they wait for a retry, not for the worker.
        var oldestPending = db.RawMessages
            .Where(m => m.Id > checkpoint && !db.SetAsideMessages.Any(s => s.MessageId == m.Id))
            .OrderBy(m => m.Id).Select(m => (DateTime?)m.ReceivedAt).FirstOrDefault();
        var feedEnd = db.ProfileChanges.Max(c => (long?)c.Id) ?? 0;
        var positions = db.ChangeFeedCheckpoints.AsNoTracking().ToDictionary(c => c.Consumer, c => c.Position);
        var lags = new List<ConsumerLag>(_consumers.Count);
        foreach (var consumer in _consumers)
        {
            // A consumer not started yet begins where its first run will; a running one is as far as it has handled (its save trails).
            var position = positions.TryGetValue(consumer.Name, out var known) ? progress.Position(consumer.Name, known) : consumer.StartsAtEnd ? feedEnd : 0;
            var oldestUnread = db.ProfileChanges.Where(c => c.Id > position).OrderBy(c => c.Id).Select(c => (DateTime?)c.At).FirstOrDefault();
            lags.Add(new ConsumerLag(consumer.Name, Math.Max(0, feedEnd - position), AgeSeconds(oldestUnread, now)));
        }
        var setAside = db.SetAsideMessages.LongCount();
        return new PipelineLagSnapshot(lakeEnd, checkpoint, AgeSeconds(oldestPending, now), feedEnd, lags, setAside);
    }

    private static double AgeSeconds(DateTime? since, DateTime now) => since is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0;
}
