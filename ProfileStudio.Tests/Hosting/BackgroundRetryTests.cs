using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Hosting;

/// <summary>
/// A background service whose start-up step fails (the database locked while it opens its storage) retries
/// it on the injected clock instead of ending, which would stop the whole app.
/// </summary>
public sealed class BackgroundRetryTests
{
    [Fact]
    public async Task AFailingStep_IsRetriedOnTheInjectedClock_UntilItWorks_EachFailureLogged()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var calls = 0;
        var run = BackgroundRetry.RunAsync(clock, loggers.CreateLogger("test"), "Opening the store", _ =>
            ++calls <= 2 ? throw new IOException("database is locked") : Task.FromResult(42), CancellationToken.None);

        await Poll.UntilAsync(() => Task.FromResult(calls), c => c == 1, "the first attempt");
        await Task.Delay(100);
        Assert.Equal(1, calls); // the retry waits for the clock, not for real time
        clock.Advance(BackgroundRetry.MaxDelay);
        await Poll.UntilAsync(() => Task.FromResult(calls), c => c == 2, "the second attempt");
        clock.Advance(BackgroundRetry.MaxDelay);

        Assert.Equal(42, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        var failures = logs.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.Contains("Opening the store failed", f.Message));
    }

    [Fact]
    public async Task AStop_EndsTheRetries()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var stop = new CancellationTokenSource();
        var run = BackgroundRetry.RunAsync(clock, LoggerFactoryFor.Nothing, "Opening the store", _ => throw new IOException("disk full"), stop.Token);
        await Task.Delay(50);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TheLakeWriter_WhoseStoreFailsToOpen_RetriesAndThenStoresWhatWasQueued()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var lake = new FlakyLake(failures: 1);
        var writer = new LakeWriter(lake, Options.Create(new IngestionOptions()), new LakeNotifications(), clock, LoggerFactoryFor.Nothing);
        await writer.StartAsync(CancellationToken.None);

        Assert.True(writer.TryWrite(1, [new IncomingMessage("track", "m-1", DateTime.UnixEpoch, "{}", null)], null, out var committed));
        await Poll.UntilAsync(() => Task.FromResult(lake.Opens), o => o == 1, "the failed open");
        Assert.False(committed.IsCompleted);
        clock.Advance(BackgroundRetry.MaxDelay);

        Assert.Equal(1, (await committed.WaitAsync(TimeSpan.FromSeconds(10))).Accepted);
        Assert.Equal(2, lake.Opens);
        await writer.StopAsync(CancellationToken.None);
        Assert.False(writer.ExecuteTask!.IsFaulted);
    }

    private sealed class FlakyLake(int failures) : ILakeAppend, ILakeAppendSession
    {
        public int Opens;

        public Task<ILakeAppendSession> OpenAsync(CancellationToken ct) =>
            Interlocked.Increment(ref Opens) <= failures
                ? Task.FromException<ILakeAppendSession>(new IOException("SQLite Error 5: 'database is locked'."))
                : Task.FromResult<ILakeAppendSession>(this);

        public LakeWriteResult[] Append(IReadOnlyList<LakeAppendGroup> groups) => [.. groups.Select(g => new LakeWriteResult(g.Messages.Count, 0, 0))];

        public void Dispose()
        {
        }
    }

    private static class LoggerFactoryFor
    {
        public static readonly ILogger<LakeWriter> Nothing = Microsoft.Extensions.Logging.Abstractions.NullLogger<LakeWriter>.Instance;
    }
}
