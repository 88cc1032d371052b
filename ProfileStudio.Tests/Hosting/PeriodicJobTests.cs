using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Hosting;

/// <summary>The one pattern of scheduled background work: driven by the injected clock, and a failed run never stops the next.</summary>
public sealed class PeriodicJobTests
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    private sealed class CountingJob(TimeProvider time, ILogger logger, int failFirst = 0) : PeriodicJob(time, logger)
    {
        private int _calls;
        public int Succeeded;

        public override string Name => "counting";
        public override TimeSpan Interval => Every;

        protected override Task RunOnceAsync(CancellationToken ct)
        {
            if (Interlocked.Increment(ref _calls) <= failFirst)
            {
                throw new InvalidOperationException("the snapshot store is down");
            }
            Interlocked.Increment(ref Succeeded);
            return Task.CompletedTask;
        }
    }

    private static Task<long> RunsAsync(PeriodicJob job, long atLeast) =>
        Poll.UntilAsync(() => Task.FromResult(job.Runs), runs => runs >= atLeast, $"{atLeast} runs of the job");

    [Fact]
    public async Task Runs_OnlyWhenTheInjectedClockPassesEachInterval()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var job = new CountingJob(clock, new LoggerFactory().CreateLogger("test"));
        await job.StartAsync(CancellationToken.None);

        clock.Advance(Every - TimeSpan.FromSeconds(1));
        await Task.Delay(200); // real time passes: nothing may run before the clock says so
        Assert.Equal(0, job.Runs);

        clock.Advance(TimeSpan.FromSeconds(1));
        await RunsAsync(job, 1);
        clock.Advance(Every);
        await RunsAsync(job, 2);

        await job.StopAsync(CancellationToken.None);
        Assert.Equal(2, job.Succeeded);
    }

    [Fact]
    public async Task AFailingRun_IsLoggedWithTheJobsName_AndTheNextRunHappens()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var job = new CountingJob(clock, loggers.CreateLogger("jobs"), failFirst: 2);
        await job.StartAsync(CancellationToken.None);

        for (var i = 1; i <= 3; i++)
        {
            clock.Advance(Every);
            await RunsAsync(job, i);
        }
        await job.StopAsync(CancellationToken.None);

        Assert.Equal((3L, 2L, 1), (job.Runs, job.Failures, job.Succeeded));
        var errors = logs.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal("counting", e.Values["Job"]));
    }
}
