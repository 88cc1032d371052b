using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.ChangeFeed;

/// <summary>Reads the change feed, keeps each consumer's position, and prunes what every consumer has read.</summary>
public sealed class ChangeFeedStore(IDbContextFactory<ProfileStudioDbContext> dbFactory, TimeProvider time, ChangeFeedProgress? progress = null,
    int recentCapacity = ChangeFeedStore.RecentCapacity, int fetchSize = ChangeFeedStore.FetchSize)
{
    /// <summary>The consumer's position; a consumer seen for the first time starts at the end or the start of the feed.</summary>
    public async Task<long> PositionAsync(string consumer, bool startsAtEnd, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ChangeFeedCheckpoints.FindAsync([consumer], ct) is { } known)
        {
            return known.Position;
        }
        var start = startsAtEnd ? await db.ProfileChanges.MaxAsync(c => (long?)c.Id, ct) ?? 0 : 0;
        db.ChangeFeedCheckpoints.Add(new ChangeFeedCheckpoint { Consumer = consumer, Position = start, UpdatedAt = time.GetUtcNow().UtcDateTime });
        await db.SaveChangesAsync(ct);
        return start;
    }

    /// <summary>Whether the consumer has taken its place in the feed yet.</summary>
    public async Task<bool> HasPositionAsync(string consumer, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ChangeFeedCheckpoints.AnyAsync(c => c.Consumer == consumer, ct);
    }

    /// <summary>
    /// Up to <paramref name="take"/> rows after <paramref name="after"/>, in order. Consumers that keep up share one read:
    /// the newest rows read are kept (<see cref="RecentRows"/>), so five consumers at the feed's end cost one query, not five.
    /// Consumers further behind read the database directly. Rows handed out are shared: consumers only read them.
    /// </summary>
    public async Task<IReadOnlyList<ProfileChange>> ReadAsync(long after, int take, CancellationToken ct = default)
    {
        while (true)
        {
            var recent = _recent;
            if (recent.Covers(after))
            {
                var kept = recent.After(after, take);
                if (kept.Count == take)
                {
                    return kept;
                }
                var more = await ReadAsync(recent.To, take - kept.Count, ct); // the rest, if any, comes after the kept rows
                return more.Count == 0 ? kept : [.. kept, .. more];
            }
            if (after < recent.To)
            {
                return await ReadStoredAsync(after, take, ct); // behind what is kept
            }
            await _fetching.WaitAsync(ct);
            try
            {
                recent = _recent;
                if (!recent.Covers(after)) // else another consumer read them meanwhile: served from memory on the next turn
                {
                    var rows = await ReadStoredAsync(after, Math.Max(take, fetchSize), ct);
                    if (rows.Count > 0)
                    {
                        _recent = after == recent.To ? recent.Append(rows, recentCapacity) : new RecentRows(after, rows[^1].Id, [.. rows]);
                    }
                    return rows.Count <= take ? rows : rows.GetRange(0, take);
                }
            }
            finally
            {
                _fetching.Release();
            }
        }
    }

    private async Task<List<ProfileChange>> ReadStoredAsync(long after, int take, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ProfileChanges.AsNoTracking().Where(c => c.Id > after).OrderBy(c => c.Id).Take(take).ToListAsync(ct);
    }

    /// <summary>The most rows one read of the newest rows fetches for everyone.</summary>
    public const int FetchSize = 5_000;

    /// <summary>The most recent rows kept in memory (a few MB).</summary>
    public const int RecentCapacity = 50_000;

    private readonly SemaphoreSlim _fetching = new(1, 1);
    private volatile RecentRows _recent = new(0, 0, []);

    /// <summary>
    /// Every feed row with an id in (<see cref="From"/>, <see cref="To"/>], in order. A read that saw row N committed has seen
    /// every row before it that will ever be: the feed's rows are written under the database's one write lock, so ids grow in
    /// commit order (the position each consumer keeps relies on the same). Immutable: a read appends into a new one.
    /// </summary>
    internal sealed record RecentRows(long From, long To, ProfileChange[] Rows)
    {
        public bool Covers(long after) => after >= From && after < To;

        public IReadOnlyList<ProfileChange> After(long after, int take)
        {
            var start = Array.BinarySearch(Rows, new ProfileChange { Id = after }, ById.Instance);
            start = start >= 0 ? start + 1 : ~start;
            return new ArraySegment<ProfileChange>(Rows, start, Math.Min(take, Rows.Length - start));
        }

        public RecentRows Append(List<ProfileChange> rows, int capacity)
        {
            var keep = Math.Max(0, Math.Min(Rows.Length, capacity - rows.Count));
            var kept = Rows.AsSpan(Rows.Length - keep);
            var from = keep == Rows.Length ? From : Rows[Rows.Length - keep - 1].Id;
            return new RecentRows(from, rows[^1].Id, [.. kept, .. rows]);
        }
    }

    private sealed class ById : IComparer<ProfileChange>
    {
        public static readonly ById Instance = new();

        public int Compare(ProfileChange? x, ProfileChange? y) => x!.Id.CompareTo(y!.Id);
    }

    public async Task SavePositionAsync(string consumer, long position, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        await db.ChangeFeedCheckpoints.Where(c => c.Consumer == consumer)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Position, position).SetProperty(c => c.UpdatedAt, now).SetProperty(c => c.Failures, 0), ct);
    }

    public async Task RecordFailureAsync(string consumer, string error, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var text = error.Length <= 2000 ? error : error[..1999] + "…";
        await db.ChangeFeedCheckpoints.Where(c => c.Consumer == consumer)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Failures, c => c.Failures + 1).SetProperty(c => c.LastError, text).SetProperty(c => c.LastErrorAt, now), ct);
    }

    /// <summary>Removes the rows every one of <paramref name="consumers"/> has read that are older than <paramref name="retention"/>.</summary>
    public async Task<int> PruneAsync(IReadOnlyCollection<string> consumers, TimeSpan retention, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var positions = await db.ChangeFeedCheckpoints.Where(c => consumers.Contains(c.Consumer)).Select(c => c.Position).ToListAsync(ct);
        if (positions.Count < consumers.Count)
        {
            return 0; // a consumer that has not started yet may need every row
        }
        var readByAll = positions.Count == 0 ? long.MaxValue : positions.Min();
        var before = time.GetUtcNow().UtcDateTime - retention;
        return await db.ProfileChanges.Where(c => c.Id <= readByAll && c.At < before).ExecuteDeleteAsync(ct);
    }

    /// <summary>Each consumer's place: its position as handled (<see cref="ChangeFeedProgress"/>), the feed's end, the oldest row it has not handled, its failures.</summary>
    public async Task<IReadOnlyList<ChangeFeedConsumerStatus>> StatusAsync(IEnumerable<IChangeFeedConsumer> consumers, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var end = await db.ProfileChanges.MaxAsync(c => (long?)c.Id, ct) ?? 0;
        var checkpoints = await db.ChangeFeedCheckpoints.AsNoTracking().ToDictionaryAsync(c => c.Consumer, ct);
        var statuses = new List<ChangeFeedConsumerStatus>();
        foreach (var consumer in consumers)
        {
            var checkpoint = checkpoints.GetValueOrDefault(consumer.Name);
            var position = checkpoint is null ? 0 : progress?.Position(consumer.Name, checkpoint.Position) ?? checkpoint.Position;
            var oldestUnread = await db.ProfileChanges.Where(c => c.Id > position).OrderBy(c => c.Id).Select(c => (DateTime?)c.At).FirstOrDefaultAsync(ct);
            statuses.Add(new ChangeFeedConsumerStatus(consumer.Name, consumer.Description, position, end, oldestUnread,
                checkpoint?.Failures ?? 0, checkpoint?.LastError, checkpoint?.LastErrorAt) { Urgency = consumer.Urgency });
        }
        return statuses;
    }
}
