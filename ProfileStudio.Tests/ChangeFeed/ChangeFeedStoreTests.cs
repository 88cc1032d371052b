using FsCheck;
using FsCheck.Fluent;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ChangeFeed;

/// <summary>
/// The feed's reads on real SQLite: consumers that keep up share the newest rows kept in memory, and whatever the
/// order of commits and reads, every consumer is handed exactly the rows a query of the table gives, in order.
/// </summary>
public sealed class ChangeFeedStoreTests : IAsyncLifetime
{
    private readonly StoragePorts _database = new();

    private IDbContextFactory<ProfileStudioDbContext> Factory => _database.Get<IDbContextFactory<ProfileStudioDbContext>>();

    /// <summary>A commit of some rows, or a read by one of three consumers.</summary>
    public sealed record Step(int Commit, int Consumer, int Take);

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public Property EveryConsumer_IsHandedExactlyTheCommittedRowsAfterItsPosition_InOrder()
    {
        var step = Gen.OneOf(
            Gen.Choose(1, 12).Select(n => new Step(n, 0, 0)),
            Gen.Choose(0, 2).SelectMany(c => Gen.Choose(1, 10).Select(t => new Step(0, c, t))));
        return Prop.ForAll(step.ListOf().Select(l => l.ToList()).ToArbitrary(), steps =>
        {
            // A small window and fetch, so reads run past it, trim it and fall behind it.
            var store = new ChangeFeedStore(Factory, TimeProvider.System, recentCapacity: 8, fetchSize: 5);
            var start = End();
            var positions = new[] { start, start, start };
            var handed = new List<long>[] { [], [], [] };
            foreach (var s in steps)
            {
                if (s.Commit > 0)
                {
                    Commit(s.Commit);
                    continue;
                }
                var rows = store.ReadAsync(positions[s.Consumer], s.Take).GetAwaiter().GetResult();
                var expected = Stored(positions[s.Consumer], s.Take);
                Assert.Equal(expected, rows.Select(r => (r.Id, r.ProfileId, r.Kinds)));
                if (rows.Count > 0)
                {
                    positions[s.Consumer] = rows[^1].Id;
                    handed[s.Consumer].AddRange(rows.Select(r => r.Id));
                }
            }
            // Reading on to the end, each consumer has been handed every row once.
            var all = Stored(start, int.MaxValue).Select(r => r.Id).ToList();
            for (var c = 0; c < 3; c++)
            {
                while (store.ReadAsync(positions[c], 4).GetAwaiter().GetResult() is { Count: > 0 } rows)
                {
                    positions[c] = rows[^1].Id;
                    handed[c].AddRange(rows.Select(r => r.Id));
                }
                Assert.Equal(all, handed[c]);
            }
        });
    }

    [Fact]
    public async Task ConsumersAtTheEnd_ShareOneRead_AndSeeRowsCommittedAfterIt()
    {
        var store = new ChangeFeedStore(Factory, TimeProvider.System);
        Commit(3);
        var first = await store.ReadAsync(0, 10);
        var second = await store.ReadAsync(0, 10);
        Assert.Equal([1L, 2L, 3L], first.Select(r => r.Id));
        Assert.Same(first[0], second[0]); // the second consumer was handed the rows the first read
        Commit(2);
        Assert.Equal([4L, 5L], (await store.ReadAsync(3, 10)).Select(r => r.Id));
        Assert.Equal([2L, 3L, 4L, 5L], (await store.ReadAsync(1, 10)).Select(r => r.Id));
    }

    private long End()
    {
        using var db = Factory.CreateDbContext();
        return db.ProfileChanges.Max(c => (long?)c.Id) ?? 0;
    }

    private int _profile;

    private void Commit(int rows)
    {
        using var db = Factory.CreateDbContext();
        for (var i = 0; i < rows; i++)
        {
            db.ProfileChanges.Add(new ProfileChange { At = DateTime.UtcNow, ProfileId = ++_profile, Kinds = (ProfileChangeKinds)(1 << (_profile % 8)) });
        }
        db.SaveChanges();
    }

    private List<(long Id, long ProfileId, ProfileChangeKinds Kinds)> Stored(long after, int take)
    {
        using var db = Factory.CreateDbContext();
        return db.ProfileChanges.Where(c => c.Id > after).OrderBy(c => c.Id).Take(take).AsEnumerable().Select(c => (c.Id, c.ProfileId, c.Kinds)).ToList();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _database.DisposeAsync();
}
