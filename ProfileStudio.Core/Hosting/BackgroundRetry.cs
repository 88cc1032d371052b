using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ProfileStudio.Core.Hosting;

/// <summary>
/// How a background service survives a failure outside the loop that already handles one message, row or run:
/// opening its storage, reading what it resumes from, restoring its state. A failure there used to end the
/// service's <c>ExecuteAsync</c>, and the host's default then stops the whole app. Here the step is retried
/// until it succeeds or the app stops, with exponential back-off (1 s doubling to 30 s, jittered), each failure
/// logged. Polly's retry strategy does the counting and waiting. The back-off is an operational wait, so the
/// services wait it in real time (<see cref="TimeProvider.System"/>), not on the app's clock: a test's clock that
/// stands still, or a moved demo clock, must not hold a retry for ever.
/// </summary>
public static class BackgroundRetry
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>A pipeline that retries <paramref name="what"/> for as long as the service runs.</summary>
    public static ResiliencePipeline Forever(TimeProvider time, ILogger logger, string what) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                // A stop is not a failure; anything else (a cancelled timeout included) is retried.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                OnRetry = args =>
                {
                    logger.LogError(args.Outcome.Exception, "{What} failed (attempt {Attempt}); retrying in {Delay}.", what, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>Runs <paramref name="step"/> until it completes, retrying failures in real time; throws only when <paramref name="ct"/> is cancelled.</summary>
    public static Task RunAsync(ILogger logger, string what, Func<CancellationToken, Task> step, CancellationToken ct) =>
        RunAsync(TimeProvider.System, logger, what, step, ct);

    /// <inheritdoc cref="RunAsync(ILogger, string, Func{CancellationToken, Task}, CancellationToken)"/>
    public static Task<T> RunAsync<T>(ILogger logger, string what, Func<CancellationToken, Task<T>> step, CancellationToken ct) =>
        RunAsync(TimeProvider.System, logger, what, step, ct);

    /// <summary>Runs <paramref name="step"/> until it completes, the back-off waited on <paramref name="time"/>; throws only when <paramref name="ct"/> is cancelled.</summary>
    public static Task RunAsync(TimeProvider time, ILogger logger, string what, Func<CancellationToken, Task> step, CancellationToken ct) =>
        Forever(time, logger, what).ExecuteAsync(async token => await step(token), ct).AsTask();

    /// <inheritdoc cref="RunAsync(TimeProvider, ILogger, string, Func{CancellationToken, Task}, CancellationToken)"/>
    public static Task<T> RunAsync<T>(TimeProvider time, ILogger logger, string what, Func<CancellationToken, Task<T>> step, CancellationToken ct) =>
        Forever(time, logger, what).ExecuteAsync(async token => await step(token), ct).AsTask();
}
