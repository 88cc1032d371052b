using System.Diagnostics.Metrics;
using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Core.Hosting;

/// <summary>
/// Every instrument of the one meter, <see cref="MeterName"/> (exported on <c>GET /metrics</c> in
/// Prometheus text; README › Metrics lists them with their Prometheus names). The worker reports its
/// runs; the gauges are read when a scrape asks for them: the lake writer's queue from memory, the lag
/// figures through <see cref="PipelineLag"/>, which keeps them for a couple of seconds.
/// </summary>
public sealed class ProfileStudioMetrics
{
    public const string MeterName = "ProfileStudio";

    /// <summary>Bucket bounds of the run duration, in seconds: a steady run takes milliseconds, a catch-up run of 100,000 messages seconds.</summary>
    public static readonly IReadOnlyList<double> RunDurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    // Created by the host's meter factory, which disposes it with the host (tests start many hosts in one process).
    private readonly Meter _meter;
    private readonly Counter<long> _messagesUnified;
    private readonly Histogram<double> _runDuration;
    private readonly TimeProvider _time;
    private long _runStartedAt;

    public ProfileStudioMetrics(IMeterFactory meters, LakeWriter lakeWriter, PipelineLag lag, ChangeFeed.ChangeFeedProgress progress, TimeProvider time)
    {
        _time = time;
        _runStartedAt = time.GetTimestamp();
        _meter = meters.Create(MeterName);
        _messagesUnified = _meter.CreateCounter<long>("profilestudio.unification.messages", "{message}",
            "Lake messages unified into profiles (set-aside messages included: they were processed too)");
        _runDuration = _meter.CreateHistogram("profilestudio.unification.run.duration", "s",
            "Time of one unification run, from the end of the previous commit (or the worker starting to look) to its commit",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RunDurationBuckets });
        _meter.CreateObservableGauge("profilestudio.unification.lag.messages", () => lag.Current.MessagesBehind, "{message}",
            "Lake messages after the unification checkpoint (lake end − checkpoint)");
        _meter.CreateObservableGauge("profilestudio.unification.lag.age", () => lag.Current.OldestPendingAgeSeconds, "s",
            "Age of the oldest lake message not unified yet (0 when unification has caught up)");
        _meter.CreateObservableGauge("profilestudio.changefeed.consumer.lag.rows",
            () => lag.Current.Consumers.Select(c => new Measurement<long>(c.RowsBehind, new KeyValuePair<string, object?>("consumer", c.Consumer))), "{row}",
            "Change-feed rows a consumer has not handled yet (feed end − its position)");
        _meter.CreateObservableGauge("profilestudio.changefeed.consumer.lag.age",
            () => lag.Current.Consumers.Select(c => new Measurement<double>(c.OldestUnreadAgeSeconds, new KeyValuePair<string, object?>("consumer", c.Consumer))), "s",
            "Age of the oldest change-feed row a consumer has not handled yet (0 when it has caught up)");
        _meter.CreateObservableGauge("profilestudio.changefeed.consumer.position",
            () => progress.Handled().Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("consumer", p.Key))), "{row}",
            "The last change-feed row a consumer has handled, read from memory on every scrape (its saved checkpoint trails by up to a second)");
        _meter.CreateObservableGauge("profilestudio.lake.queue.depth", () => lakeWriter.QueuedMessages, "{message}",
            "Accepted messages waiting for the lake writer's next commit");
        _meter.CreateObservableGauge("profilestudio.unification.set_aside.messages", () => lag.Current.SetAsideMessages, "{message}",
            "Messages unification set aside (Data › Rejected messages) until someone retries them");
    }

    /// <summary>The worker starts looking for work: the next run's duration counts from here.</summary>
    public void RunsStarting() => Volatile.Write(ref _runStartedAt, _time.GetTimestamp());

    /// <summary>A run of <paramref name="messages"/> committed: counted, and timed since the previous commit or <see cref="RunsStarting"/>.</summary>
    public void RunCommitted(int messages)
    {
        var now = _time.GetTimestamp();
        var started = Interlocked.Exchange(ref _runStartedAt, now);
        _runDuration.Record(_time.GetElapsedTime(started, now).TotalSeconds);
        if (messages > 0)
        {
            _messagesUnified.Add(messages);
        }
    }
}
