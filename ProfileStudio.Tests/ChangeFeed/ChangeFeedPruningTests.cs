using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ChangeFeed;

/// <summary>Pruning is a periodic job on the injected clock: nothing goes before the interval has passed on it.</summary>
public sealed class ChangeFeedPruningTests : IAsyncLifetime
{
    private readonly StoragePorts _database = new();

    private IDbContextFactory<ProfileStudioDbContext> Factory => _database.Get<IDbContextFactory<ProfileStudioDbContext>>();

    private sealed class Named(string name) : IChangeFeedConsumer
    {
        public string Name => name;
        public string Description => "test";
        public bool StartsAtEnd => false;
        public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct) => Task.CompletedTask;
    }

    private async Task<int> RowsAsync()
    {
        await using var db = await Factory.CreateDbContextAsync();
        return await db.ProfileChanges.CountAsync();
    }

    [Fact]
    public async Task Pruning_RunsWhenTheInjectedClockPassesItsInterval()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero));
        var store = new ChangeFeedStore(Factory, clock);
        await using (var db = await Factory.CreateDbContextAsync())
        {
            for (var i = 1; i <= 8; i++)
            {
                db.ProfileChanges.Add(new ProfileChange { At = clock.GetUtcNow().UtcDateTime.AddDays(-2), ProfileId = i, Kinds = ProfileChangeKinds.Events });
            }
            await db.SaveChangesAsync();
        }
        await store.PositionAsync("reader", startsAtEnd: false);
        await store.SavePositionAsync("reader", 5);
        var pruning = new ChangeFeedPruning([new Named("reader")], store, Options.Create(new ChangeFeedOptions { RetentionHours = 24 }), clock, NullLogger<ChangeFeedPruning>.Instance);
        await pruning.StartAsync(CancellationToken.None);

        await Task.Delay(200);
        Assert.Equal(8, await RowsAsync());
        clock.Advance(ChangeFeedPruning.PruneInterval);
        await Poll.UntilAsync(RowsAsync, rows => rows == 3, "the rows the consumer has read to be pruned");

        await pruning.StopAsync(CancellationToken.None);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _database.DisposeAsync();
}
