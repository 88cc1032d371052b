using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ChangeFeed;

/// <summary>The change feed's consumers on real SQLite: each from its own position, at least once, and one failing consumer holds up nobody.</summary>
public sealed class ChangeFeedHostTests : IAsyncLifetime
{
    private readonly StoragePorts _database = new();
    private readonly ChangeFeedSignal _signal = new();
    private readonly ChangeFeedProgress _progress = new();

    private IDbContextFactory<ProfileStudioDbContext> Factory => _database.Get<IDbContextFactory<ProfileStudioDbContext>>();

    private ChangeFeedStore Store => new(Factory, TimeProvider.System, _progress);

    private sealed class Recording(string name, bool startsAtEnd = false) : IChangeFeedConsumer
    {
        public ConcurrentQueue<long> Seen { get; } = new();
        public ConcurrentQueue<long[]> Batches { get; } = new();
        public ChangeFeedUrgency Urgency { get; init; }
        public volatile bool Failing;
        public Action? OnHandled { get; init; }
        public string Name => name;
        public string Description => "test";
        public bool StartsAtEnd => startsAtEnd;

        public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
        {
            if (Failing)
            {
                throw new InvalidOperationException("the destination is down");
            }
            foreach (var change in changes)
            {
                Seen.Enqueue(change.ProfileId);
            }
            Batches.Enqueue([.. changes.Select(c => c.ProfileId)]);
            OnHandled?.Invoke();
            return Task.CompletedTask;
        }
    }

    private ChangeFeedHost Host(params IChangeFeedConsumer[] consumers) => Host(TimeProvider.System, consumers);

    private ChangeFeedHost Host(TimeProvider time, params IChangeFeedConsumer[] consumers) =>
        Host(time, new ChangeFeedOptions { BatchSize = 7, MaxBackoffSeconds = 0.05 }, consumers);

    private ChangeFeedHost Host(TimeProvider time, ChangeFeedOptions options, params IChangeFeedConsumer[] consumers) =>
        new(consumers, Store, _signal, _progress, Options.Create(options), time, NullLogger<ChangeFeedHost>.Instance);

    [Fact]
    public async Task APeriodicConsumer_TakesTheRowsOfSeveralCommitsInOneBatch_WhileAnImmediateOneIsWokenByEachCommit()
    {
        var pages = new Recording("studio-pages");
        var figures = new Recording("dashboard") { Urgency = ChangeFeedUrgency.Periodic };
        var host = Host(TimeProvider.System, new ChangeFeedOptions { BatchSize = 100, PeriodicConsumerSeconds = 3 }, pages, figures);
        await host.StartAsync(CancellationToken.None);
        Append(1, 1);
        _signal.Notify();
        await Poll.UntilAsync(() => Task.FromResult(figures.Seen.Count + pages.Seen.Count), n => n == 2, "both consumers to handle the first row");

        // Three commits while the periodic consumer waits out its 3 s after the first row.
        for (var i = 2; i <= 4; i++)
        {
            Append(i, i);
            _signal.Notify();
            await Poll.UntilAsync(() => Task.FromResult(pages.Seen.Contains(i)), seen => seen, $"the immediate consumer to handle row {i}");
        }
        Assert.Equal(4, pages.Batches.Count); // one batch per commit
        Assert.Single(figures.Batches); // still waiting: the rows gather

        await Poll.UntilAsync(() => Task.FromResult(figures.Batches.Count), n => n == 2, "the periodic consumer's next batch", TimeSpan.FromSeconds(10));
        Assert.Equal([2L, 3L, 4L], figures.Batches.Last());
        await host.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task APeriodicConsumerThatIsBehind_ReadsOnWithoutWaiting_AndAStopDuringItsWait_SavesItsPositionAtOnce()
    {
        Append(1, 20);
        var figures = new Recording("schema-catalog") { Urgency = ChangeFeedUrgency.Periodic };
        var host = Host(TimeProvider.System, new ChangeFeedOptions { BatchSize = 7, PeriodicConsumerSeconds = 60 }, figures);
        await host.StartAsync(CancellationToken.None);

        // Full batches of 7, 7, then 6: no wait between full ones (it would take two minutes).
        await Poll.UntilAsync(() => Task.FromResult(figures.Seen.Count), n => n == 20, "all 20 rows", TimeSpan.FromSeconds(10));
        Assert.Equal([7, 7, 6], figures.Batches.Select(b => b.Length));

        // It now waits a minute for rows to gather; a stop does not wait for that, and keeps the position.
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await host.StopAsync(CancellationToken.None);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {stopping.Elapsed}");
        Assert.Equal(20, await Store.PositionAsync(figures.Name, startsAtEnd: false));
    }

    [Fact]
    public async Task AConsumerStoppedAbruptly_ResumesFromItsSavedPosition_WithNothingMissed()
    {
        Append(1, 20);
        var first = new Recording("snapshots");
        using (var stopping = new CancellationTokenSource())
        {
            var host = Host(first);
            await host.StartAsync(stopping.Token);
            await Poll.UntilAsync(() => Task.FromResult(first.Seen.Count), n => n >= 20, "the first 20 rows");
            // Stopped while rows were flowing; only the saved position survives into the next host.
            stopping.Cancel();
            await host.StopAsync(CancellationToken.None);
        }
        Append(21, 50);

        var resumed = new Recording("snapshots");
        var again = Host(resumed);
        await again.StartAsync(CancellationToken.None);
        _signal.Notify();
        await Poll.UntilAsync(() => Task.FromResult(resumed.Seen.Contains(50)), seen => seen, "the rows written while it was down");
        await again.StopAsync(CancellationToken.None);

        var everything = first.Seen.Concat(resumed.Seen).ToHashSet();
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), everything.Order());
        Assert.DoesNotContain(resumed.Seen, p => p <= 14); // it resumed from its saved position, not from the start
    }

    [Fact]
    public async Task AFailingConsumer_IsRetriedWithBackOff_WhileTheOthersGoOn_AndCatchesUpOnceItWorks()
    {
        var failing = new Recording("destination") { Failing = true };
        var healthy = new Recording("dashboard");
        var host = Host(failing, healthy);
        await host.StartAsync(CancellationToken.None);
        Append(1, 30);
        _signal.Notify();

        await Poll.UntilAsync(() => Task.FromResult(healthy.Seen.Count), n => n == 30, "the healthy consumer to read everything");
        // The healthy consumer saves its position just after handling its last rows, so wait for that too.
        var status = await Poll.UntilAsync(() => Store.StatusAsync([failing, healthy]), s => s[0].Failures >= 2 && s[1].RowsBehind == 0, "the failing consumer to be retried while the healthy one saved its position");
        Assert.Contains("the destination is down", status[0].LastError);
        Assert.Equal(30, status[0].RowsBehind);
        Assert.Equal(0, status[1].RowsBehind);

        failing.Failing = false;
        await Poll.UntilAsync(() => Task.FromResult(failing.Seen.Count), n => n == 30, "the consumer to catch up once it works");
        await Poll.UntilAsync(() => Store.StatusAsync([failing]), s => s[0].Failures == 0, "its failures to be cleared");
        await host.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AConsumerGoesOnHandlingRows_WhileSavingItsPositionWaitsForTheWriteLock_AndSavesItOnceTheLockIsFree()
    {
        Append(1, 30);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // Each batch of 7 takes a save interval on the consumer's clock, so the host saves after every one.
        var consumer = new Recording("dashboard") { OnHandled = () => clock.Advance(ChangeFeedHost.SaveInterval * 2) };
        Assert.Equal(0, await Store.PositionAsync(consumer.Name, startsAtEnd: false));
        // A long unification run holds the database's write lock.
        await using var run = new SqliteConnection(SqliteDatabase.ConnectionString(_database.DataDirectory));
        await run.OpenAsync();
        using (var begin = run.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }
        var host = Host(clock, consumer);
        await host.StartAsync(CancellationToken.None);

        // Every row is handled while the first save still waits for the lock (a save that blocked the loop kept it at 7).
        await Poll.UntilAsync(() => Task.FromResult(consumer.Seen.Count), n => n == 30, "every row to be handled while the write lock is held", TimeSpan.FromSeconds(10));
        Assert.Equal(30, (await Store.StatusAsync([consumer]))[0].Position);
        using (var rollback = run.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        // Once the run commits, the position is saved: a restart resumes after row 30.
        await Poll.UntilAsync(() => Store.PositionAsync(consumer.Name, startsAtEnd: false), p => p == 30, "the handled position to be saved");
        await host.StopAsync(CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), consumer.Seen.Order());
    }

    [Fact]
    public async Task Status_ShowsWhatAConsumerHasHandled_BeforeItsPositionIsSaved_AndPruningKeepsToTheSavedOne()
    {
        var handledAt = DateTime.UtcNow.AddDays(-2);
        Append(1, 20, at: handledAt);
        var consumer = new Recording("destinations");
        await Store.PositionAsync(consumer.Name, startsAtEnd: false);
        await Store.SavePositionAsync(consumer.Name, 10);
        // Handled up to 15 in memory; the save (at most once a second, behind the write lock) has not happened yet.
        _progress.Handled(consumer.Name, 15);
        _progress.Handled(consumer.Name, 12); // an older report never moves it back

        var status = (await Store.StatusAsync([consumer]))[0];
        Assert.Equal(15, status.Position);
        Assert.Equal(5, status.RowsBehind);
        // A restart resumes at the saved position, so pruning keeps every row after it.
        Assert.Equal(10, await Store.PruneAsync([consumer.Name], TimeSpan.FromDays(1)));
        Assert.Equal(10, await Store.PositionAsync(consumer.Name, startsAtEnd: false));
    }

    [Fact]
    public async Task Prune_RemovesOnlyRowsEveryConsumerHasRead_AndOlderThanTheRetention()
    {
        Append(1, 10, at: DateTime.UtcNow.AddDays(-2));
        Append(11, 12, at: DateTime.UtcNow);
        await Store.PositionAsync("a", startsAtEnd: false);
        await Store.PositionAsync("b", startsAtEnd: false);
        await Store.SavePositionAsync("a", 12);
        await Store.SavePositionAsync("b", 6);

        Assert.Equal(6, await Store.PruneAsync(["a", "b"], TimeSpan.FromDays(1)));
        Assert.Equal(0, await Store.PruneAsync(["a", "b", "not-started"], TimeSpan.FromDays(1)));
        await using var db = await Factory.CreateDbContextAsync();
        Assert.Equal(Enumerable.Range(7, 6).Select(i => (long)i), await db.ProfileChanges.OrderBy(c => c.Id).Select(c => c.ProfileId).ToListAsync());
    }

    private void Append(int from, int to, DateTime? at = null)
    {
        using var db = Factory.CreateDbContext();
        for (var i = from; i <= to; i++)
        {
            db.ProfileChanges.Add(new ProfileChange { At = at ?? DateTime.UtcNow, ProfileId = i, Kinds = ProfileChangeKinds.Attributes });
        }
        db.SaveChanges();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _database.DisposeAsync();
}
