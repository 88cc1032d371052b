using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Dashboard;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Bench;

/// <summary>
/// The lag benchmark's load (<see cref="PacedLoad"/>), watched from the change feed's side: every 20 ms
/// the feed's end (max ProfileChanges.Id) is read from the database and each consumer's handled position
/// from <c>/metrics</c> (<c>profilestudio_changefeed_consumer_position</c>, kept in memory by the host as
/// each batch is handled; the saved checkpoint trails it by up to a second and waits for the write lock, so
/// sampling the checkpoints measured the save interval too). Rows behind = end − position at each sample. Time behind, per feed row:
/// from its <c>At</c> (when the unification run appended it, after its stages wrote) to the first sample that sees the
/// consumer's position past it; and, as a check on it, from the first sample that saw the row committed (the feed's
/// end at or past it) to the one that saw it handled.
/// Prints p50/p95/p99 per consumer, after a 5 s warm-up, and how far apart the samples really were (a late sample charges
/// its delay to every row it sees handled). Which rows each position passed is read from the feed after the run, so the
/// sampling loop does the same small work however far behind the consumers are.
/// </summary>
internal static class FeedBenchmark
{
    private sealed class ConsumerTrack(string name)
    {
        public string Name => name;
        public long Position = -1;
        public List<double> RowsBehind { get; } = [];
        public List<double> MillisecondsBehind { get; } = [];
        public List<double> MillisecondsAfterCommit { get; } = [];
        /// <summary>The same lags as <see cref="MillisecondsBehind"/>, by the 10 s of the run their sample fell in.</summary>
        public SortedDictionary<int, List<double>> ByWindow { get; } = [];
    }

    public static async Task<int> RunAsync(int seconds, int rate, int segments = 0)
    {
        Console.WriteLine($"feed: {PacedLoad.Conditions(rate, seconds)}; {segments} active streaming segments; consumer positions sampled every 20 ms");
        var directory = segments > 0 ? await SegmentsStreamingBenchmark.DataDirectoryWithSegmentsAsync(segments) : null;
        await using var load = await PacedLoad.StartAsync(directory, new Dictionary<string, string> { ["ProfileStudio__Metrics__Token"] = MetricsToken });
        await using var db = new SqliteConnection(SqliteDatabase.ConnectionString(load.Server.DataDirectory) + ";Mode=ReadOnly");
        await db.OpenAsync();
        using var metrics = new HttpClient { BaseAddress = load.Server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        metrics.DefaultRequestHeaders.Authorization = new("Bearer", MetricsToken);

        // The sampling loop only reads the feed's end and the positions, so that a sample every 20 ms stays a sample every 20 ms
        // on a busy machine; which rows each position passed, and when they were appended, are read once the run is over
        // (the feed keeps its rows for a day). Reading them inside the loop made it slower the further consumers got behind,
        // and a late sample charges its delay to every row it sees handled.
        var samples = new List<Sample>();
        var stopwatch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var warmUp = TimeSpan.FromSeconds(5);
        var caughtUpAt = TimeSpan.Zero;
        var sampling = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            // Keeps sampling after the senders stop, until every consumer has read the whole feed.
            while (await timer.WaitForNextTickAsync())
            {
                var elapsed = stopwatch.Elapsed;
                var end = LagBenchmark.Scalar(db, "SELECT coalesce(max(Id), 0) FROM ProfileChanges");
                var positions = await PositionsAsync(metrics);
                var now = DateTime.UtcNow; // after the read: by now each position had passed its rows
                samples.Add(new Sample(elapsed, now, end, positions));
                if (elapsed <= deadline)
                {
                    continue;
                }
                // Done when the worker has unified the whole lake and every consumer has read what that wrote.
                var caughtUp = positions.Count > 0 && positions.All(p => p.Position >= end)
                    && LagBenchmark.Scalar(db, "SELECT coalesce(max(LastMessageId), 0) FROM UnificationCheckpoints") >= LagBenchmark.Scalar(db, "SELECT coalesce(max(Id), 0) FROM RawMessages");
                if (caughtUp)
                {
                    caughtUpAt = elapsed;
                    return;
                }
                if (elapsed > deadline + TimeSpan.FromSeconds(120))
                {
                    return;
                }
            }
        });

        var (cpuBefore, sendingFrom) = (load.Server.CpuTime(), stopwatch.Elapsed);
        var (sent, failed) = await load.SendAsync(rate, stopwatch, deadline);
        var sendSeconds = stopwatch.Elapsed.TotalSeconds;
        await sampling;
        var (cpu, busy) = (load.Server.CpuTime() - cpuBefore, stopwatch.Elapsed - sendingFrom);

        var (ids, appended) = AllRows(db);
        var consumers = new Dictionary<string, ConsumerTrack>();
        var committedAt = new DateTime[ids.Length]; // when a sample first saw each row committed (the feed's end at or past it)
        var seenUpTo = 0;
        foreach (var sample in samples)
        {
            for (; seenUpTo < ids.Length && ids[seenUpTo] <= sample.End; seenUpTo++)
            {
                committedAt[seenUpTo] = sample.Now;
            }
        }
        for (; seenUpTo < ids.Length; seenUpTo++)
        {
            committedAt[seenUpTo] = samples[^1].Now;
        }
        foreach (var sample in samples)
        {
            var measured = sample.Elapsed >= warmUp && sample.Elapsed <= deadline;
            foreach (var (name, position) in sample.Positions)
            {
                if (!consumers.TryGetValue(name, out var track))
                {
                    consumers[name] = track = new ConsumerTrack(name);
                }
                if (measured)
                {
                    track.RowsBehind.Add(Math.Max(0, sample.End - position));
                }
                if (track.Position >= 0 && position > track.Position && measured)
                {
                    // Every row the position passed since the last sample was handled by now (within one sampling interval).
                    for (var i = FirstAfter(ids, track.Position); i < ids.Length && ids[i] <= position; i++)
                    {
                        var behind = Math.Max(0, (sample.Now - appended[i]).TotalMilliseconds);
                        track.MillisecondsBehind.Add(behind);
                        var window = (int)(sample.Elapsed.TotalSeconds / 10);
                        if (!track.ByWindow.TryGetValue(window, out var lags))
                        {
                            track.ByWindow[window] = lags = [];
                        }
                        lags.Add(behind);
                        track.MillisecondsAfterCommit.Add(Math.Max(0, (sample.Now - committedAt[i]).TotalMilliseconds));
                    }
                }
                track.Position = position;
            }
        }
        var intervals = samples.Zip(samples.Skip(1), (a, b) => (b.Elapsed - a.Elapsed).TotalMilliseconds)
            .Where((_, i) => samples[i].Elapsed >= warmUp && samples[i].Elapsed <= deadline).Order().ToList();

        var feedEnd = LagBenchmark.Scalar(db, "SELECT coalesce(max(Id), 0) FROM ProfileChanges");
        Console.WriteLine($"  sent {sent:N0} messages in {sendSeconds:N1} s = {sent / sendSeconds:N0} msg/s accepted ({failed} failed requests); the feed has {feedEnd:N0} rows");
        Console.WriteLine($"  sampling intervals while sending (asked every 20 ms): p50 {PacedLoad.Percentile(intervals, 0.50):N0} ms, p95 {PacedLoad.Percentile(intervals, 0.95):N0} ms, max {intervals.LastOrDefault():N0} ms");
        Console.WriteLine(caughtUpAt > TimeSpan.Zero
            ? $"  the worker unified the whole lake and every consumer read the whole feed {(caughtUpAt - deadline).TotalSeconds:N1} s after the senders stopped"
            : "  the consumers had NOT caught up 120 s after the senders stopped");
        var met = true;
        var metFromCommit = true;
        foreach (var track in consumers.Values.OrderBy(t => t.Name))
        {
            // A periodic consumer (ChangeFeedUrgency.Periodic) takes its rows every PeriodicConsumerSeconds by design: its target is that period plus 1 s.
            var limit = Periodic.Contains(track.Name) ? 1000 + PeriodicSeconds * 1000 : 1000;
            track.RowsBehind.Sort();
            track.MillisecondsBehind.Sort();
            track.MillisecondsAfterCommit.Sort();
            double Committed(double q) => PacedLoad.Percentile(track.MillisecondsAfterCommit, q);
            double Rows(double q) => PacedLoad.Percentile(track.RowsBehind, q);
            double Ms(double q) => PacedLoad.Percentile(track.MillisecondsBehind, q);
            if (Periodic.Contains(track.Name))
            {
                Console.WriteLine($"  consumer {track.Name} is periodic (takes its rows every {PeriodicSeconds:0.#} s, the default): its target is p95 < {limit:N0} ms");
            }
            Console.WriteLine($"  consumer {track.Name}: lag row appended → handled over {track.MillisecondsBehind.Count:N0} rows (one sampling interval's resolution): p50 {Ms(0.50):N0} ms, p95 {Ms(0.95):N0} ms, p99 {Ms(0.99):N0} ms, max {track.MillisecondsBehind.LastOrDefault():N0} ms");
            Console.WriteLine($"    from the first sample that saw the row committed → handled: p50 {Committed(0.50):N0} ms, p95 {Committed(0.95):N0} ms, p99 {Committed(0.99):N0} ms (the rest is the run committing, and the 20 ms sampling)");
            Console.WriteLine("    p95 by 10 s of the run: " + string.Join(", ", track.ByWindow.Select(w => $"{w.Key * 10}–{w.Key * 10 + 10} s {PacedLoad.Percentile([.. w.Value.Order()], 0.95):N0} ms")));
            Console.WriteLine($"    rows behind over {track.RowsBehind.Count:N0} samples: p50 {Rows(0.50):N0}, p95 {Rows(0.95):N0}, p99 {Rows(0.99):N0}, max {track.RowsBehind.LastOrDefault():N0}");
            met &= Ms(0.95) < limit;
            metFromCommit &= Committed(0.95) < limit;
        }
        Console.WriteLine($"  {ProfileStudio.Testing.ServerProcess.CpuLine(cpu, busy, sent)}");
        Console.WriteLine($"  server peak RSS {load.Server.PeakRssMb():N0} MB");
        Console.WriteLine(consumers.Count == 0 ? "  no consumer found" : met ? "  target p95 < 1 s (row appended → handled) for every immediate consumer, within the period + 1 s for periodic ones: met" : "  target p95 < 1 s (row appended → handled) for every immediate consumer, within the period + 1 s for periodic ones: MISSED");
        if (consumers.Count > 0)
        {
            Console.WriteLine($"  consumers' own lag, row committed → handled p95 under the same targets: {(metFromCommit ? "yes" : "no")}");
        }
        return 0;
    }

    /// <summary>The consumers that declare <see cref="ChangeFeedUrgency.Periodic"/>, and the period the server runs them at (the default).</summary>
    private static readonly HashSet<string> Periodic = [DashboardConsumer.ConsumerName, SchemaConsumer.ConsumerName];

    private static readonly double PeriodicSeconds = new ChangeFeedOptions().PeriodicConsumerSeconds;

    private const string MetricsToken = "bench-metrics-token-0123456789abcdefghij";

    private const string PositionSeries = "profilestudio_changefeed_consumer_position{consumer=\"";

    /// <summary>Each consumer's handled position, from the server's <c>/metrics</c> (consumers that have handled nothing yet are absent).</summary>
    private static async Task<List<(string Name, long Position)>> PositionsAsync(HttpClient metrics)
    {
        var text = await metrics.GetStringAsync("/metrics");
        var positions = new List<(string, long)>();
        foreach (var line in text.Split('\n'))
        {
            // profilestudio_changefeed_consumer_position{consumer="studio-pages"} 1234 1733333333333
            if (!line.StartsWith(PositionSeries, StringComparison.Ordinal))
            {
                continue;
            }
            var close = line.IndexOf("\"}", PositionSeries.Length, StringComparison.Ordinal);
            var value = line[(close + 2)..].Trim().Split(' ')[0];
            positions.Add((line[PositionSeries.Length..close], (long)double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));
        }
        return positions;
    }

    private sealed record Sample(TimeSpan Elapsed, DateTime Now, long End, List<(string Name, long Position)> Positions);

    /// <summary>The index of the first of <paramref name="ids"/> (ascending) above <paramref name="position"/>.</summary>
    private static int FirstAfter(long[] ids, long position)
    {
        var at = Array.BinarySearch(ids, position);
        return at >= 0 ? at + 1 : ~at;
    }

    /// <summary>Every feed row's id and when it was appended, in id order.</summary>
    private static (long[] Ids, DateTime[] Appended) AllRows(SqliteConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT Id, At FROM ProfileChanges ORDER BY Id";
        using var reader = command.ExecuteReader();
        var (ids, appended) = (new List<long>(), new List<DateTime>());
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
            appended.Add(DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc));
        }
        return ([.. ids], [.. appended]);
    }
}
