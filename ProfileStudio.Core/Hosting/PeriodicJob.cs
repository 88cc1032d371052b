using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ProfileStudio.Core.Hosting;

/// <summary>
/// The one pattern for background work done on a schedule: change-feed pruning (<c>ChangeFeedPruning</c>),
/// the expiry of computed attributes' time windows (<c>ComputedAttributeExpiryJob</c>), segment clock checks
/// (<c>SegmentClockJob</c>) and the dashboard's full refresh (<c>DashboardRefreshJob</c>). A job says what it is called, how often it runs and what one run does; the base
/// waits on a <see cref="PeriodicTimer"/> of the injected <see cref="TimeProvider"/> (so tests move
/// the clock instead of sleeping), runs one at a time, and logs a failed run and goes on: one bad
/// run never stops the next. The first run comes one interval after the start, not during it.
/// Register a job with <c>services.AddHostedService&lt;TJob&gt;()</c>.
/// </summary>
public abstract class PeriodicJob(TimeProvider time, ILogger logger) : BackgroundService
{
    /// <summary>A short name for the logs.</summary>
    public abstract string Name { get; }

    /// <summary>Time between the starts of two runs; a run that takes longer delays the next, never overlaps it.</summary>
    public abstract TimeSpan Interval { get; }

    /// <summary>Runs that ended, failed ones included (for status pages and tests).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Runs that threw.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    private long _runs;
    private long _failures;

    /// <summary>One run of the job.</summary>
    protected abstract Task RunOnceAsync(CancellationToken ct);

    private PeriodicTimer? _timer;

    /// <summary>
    /// Creates the timer before the host goes on (ExecuteAsync runs on a thread of its own since .NET 10):
    /// the interval counts from the start, and a test's clock moved right after the start is seen.
    /// </summary>
    public sealed override Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = new PeriodicTimer(Interval, time);
        return base.StartAsync(cancellationToken);
    }

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = _timer ?? new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref _failures);
                    logger.LogError(ex, "Periodic job {Job} failed; it runs again in {Interval}.", Name, Interval);
                }
                finally
                {
                    Interlocked.Increment(ref _runs);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
