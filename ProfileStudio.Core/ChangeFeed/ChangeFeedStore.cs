using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.ChangeFeed;

/// <summary>Reads the change feed, keeps each consumer's position, and prunes what every consumer has read.</summary>
public sealed class ChangeFeedStore(IDbContextFactory<ProfileStudioDbContext> dbFactory, TimeProvider time, ChangeFeedProgress? progress = null)
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

    public async Task<List<ProfileChange>> ReadAsync(long after, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ProfileChanges.AsNoTracking().Where(c => c.Id > after).OrderBy(c => c.Id).Take(take).ToListAsync(ct);
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
                checkpoint?.Failures ?? 0, checkpoint?.LastError, checkpoint?.LastErrorAt));
        }
        return statuses;
    }
}
