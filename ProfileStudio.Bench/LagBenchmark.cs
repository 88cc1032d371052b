using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Bench;

/// <summary>
/// Sustained tracking traffic at a fixed rate into the real server with the unification worker on;
/// every 20 ms the lake's end and the worker's checkpoint are sampled from the database, which gives
/// for each sampled message the time from accepted (in the lake, the client answered) to visible
/// (its profile changes committed). Prints the lag percentiles and both rates.
/// With <c>--dashboard DIR</c> (a database kept by <c>dashboard --keep DIR</c>, e.g. a million profiles) the
/// server runs on a copy of that database with the dashboard's full snapshot refresh every
/// <c>--refresh-seconds</c>, and the lag is also given for the samples taken while a refresh ran (the refresh
/// must not hold up unification).
/// With <c>--computed</c> the five computed attributes of <c>unify --computed</c> (all on Product Viewed) are active from
/// the start (their backfill done), so the lag includes the live computed-attributes stage.
/// </summary>
internal static class LagBenchmark
{
    public static async Task<int> RunAsync(int seconds, int rate, string? dashboard = null, int refreshSeconds = 10, bool computed = false)
    {
        Console.WriteLine($"lag: {PacedLoad.Conditions(rate, seconds)}{(computed ? "; 5 active computed attributes" : "")}");
        string? directory = null;
        const string metricsToken = "bench-metrics-token-0123456789abcdef";
        var settings = new Dictionary<string, string> { ["ProfileStudio__Metrics__Token"] = metricsToken };
        if (dashboard is not null)
        {
            directory = Directory.CreateTempSubdirectory("profilestudio-lag-").FullName;
            // The store and the consumers' file beside it, each with its log.
            foreach (var file in Directory.GetFiles(dashboard, SqliteDatabase.FileName + "*").Concat(Directory.GetFiles(dashboard, SqliteDatabase.ConsumersFileName + "*"))
                         .Concat(Directory.GetFiles(dashboard, SqliteDatabase.SegmentsFileName + "*")))
            {
                File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
            }
            settings["ProfileStudio__Dashboard__RefreshMinutes"] = (refreshSeconds / 60.0).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Console.WriteLine($"  on a copy of {Path.Combine(dashboard, SqliteDatabase.FileName)} ({new FileInfo(Path.Combine(directory, SqliteDatabase.FileName)).Length / 1_048_576.0:N0} MB), " +
                $"the dashboard's full snapshot refresh every {refreshSeconds} s");
        }
        if (computed)
        {
            directory ??= Directory.CreateTempSubdirectory("profilestudio-lag-").FullName;
            await using var definitions = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>()
                .UseSqlite(SqliteDatabase.ConnectionString(directory)).Options);
            await definitions.Database.MigrateAsync();
            foreach (var d in ComputedBenchmark.Definitions(viewsOnly: true))
            {
                d.BackfillDone = true; // active before the data arrives: the live stage does it all
                definitions.ComputedAttributeDefinitions.Add(d);
            }
            await definitions.SaveChangesAsync();
        }
        await using var load = await PacedLoad.StartAsync(directory, settings);
        var server = load.Server;
        if (dashboard is not null)
        {
            // A large store's start-up work (the estimate index, the identity graph, a migration) runs in the background
            // after the server answers: the figure is the steady state, so the load starts once the server is quiet.
            // With refreshes every few seconds it is never quiet for long: their first one starts after one interval.
            var quiet = await WaitQuietAsync(server.ProcessId, TimeSpan.FromSeconds(Math.Min(300, refreshSeconds)));
            Console.WriteLine($"  load started {quiet.TotalSeconds:N0} s after the server answered (once under 25% of a core, or at the first refresh)");
        }
        await using var db = new SqliteConnection(SqliteDatabase.ConnectionString(server.DataDirectory) + ";Mode=ReadOnly");
        await db.OpenAsync();
        ProfileStudio.Core.Storage.Sqlite.SqliteConsumerTables.Attach(db); // the dashboard's figures are in the consumers' file

        var samples = new List<(double At, long LakeEnd, long Unified)>(seconds * 60);
        // The dashboard refreshes seen (start, seconds), read from its snapshot row while sampling.
        var refreshes = new HashSet<(DateTime Start, double Seconds)>();
        var walSizes = new SortedDictionary<int, long>(); // MB of write-ahead log, per 2 s (LAG_SERIES)
        var startedAt = DateTime.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var sampling = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            // Keeps sampling after the senders stop, until the worker has caught up with the lake.
            while (await timer.WaitForNextTickAsync())
            {
                var (end, unified) = (Scalar(db, "SELECT coalesce(max(Id), 0) FROM RawMessages"), Scalar(db, "SELECT coalesce(max(LastMessageId), 0) FROM UnificationCheckpoints"));
                samples.Add((stopwatch.Elapsed.TotalMilliseconds, end, unified));
                if (samples.Count % 25 == 0 && new FileInfo(Path.Combine(server.DataDirectory, "profilestudio.db-wal")) is { Exists: true } wal)
                {
                    var w = (int)(stopwatch.Elapsed.TotalMilliseconds / 2_000);
                    walSizes[w] = Math.Max(walSizes.GetValueOrDefault(w), wal.Length / 1024 / 1024);
                }
                if (dashboard is not null && samples.Count % 25 == 0)
                {
                    using var command = db.CreateCommand();
                    command.CommandText = "SELECT ComputedAt, ComputeSeconds FROM DashboardSnapshots";
                    using var reader = command.ExecuteReader();
                    while (reader.Read())
                    {
                        refreshes.Add((DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc), reader.GetDouble(1)));
                    }
                }
                if (stopwatch.Elapsed > deadline && unified >= end || stopwatch.Elapsed > deadline + TimeSpan.FromSeconds(120))
                {
                    return;
                }
            }
        });

        var (cpuBefore, sendingFrom) = (server.CpuTime(), stopwatch.Elapsed);
        var (sent, failed) = await load.SendAsync(rate, stopwatch, deadline);
        var sendSeconds = stopwatch.Elapsed.TotalSeconds;
        await sampling;
        var (cpu, busy) = (server.CpuTime() - cpuBefore, stopwatch.Elapsed - sendingFrom);

        // For each sample after a 5 s warm-up: the first later sample whose checkpoint reached that lake end.
        var lags = new List<double>();
        var lagsDuringRefresh = new List<double>();
        var windowMax = new SortedDictionary<int, double>();
        bool Refreshing(double at) => refreshes.Any(r => startedAt.AddMilliseconds(at) >= r.Start && startedAt.AddMilliseconds(at) <= r.Start.AddSeconds(r.Seconds));
        var j = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            if (samples[i].At < 5_000 || samples[i].At > deadline.TotalMilliseconds || samples[i].LakeEnd == 0)
            {
                continue;
            }
            j = Math.Max(j, i);
            while (j < samples.Count && samples[j].Unified < samples[i].LakeEnd)
            {
                j++;
            }
            if (j < samples.Count)
            {
                lags.Add(samples[j].At - samples[i].At);
                var window = (int)(samples[i].At / 10_000);
                windowMax[window] = Math.Max(windowMax.GetValueOrDefault(window), samples[j].At - samples[i].At);
                if (Refreshing(samples[i].At))
                {
                    lagsDuringRefresh.Add(samples[j].At - samples[i].At);
                }
            }
        }
        lags.Sort();
        double P(double q) => PacedLoad.Percentile(lags, q);
        var last = samples[^1];
        Console.WriteLine($"  sent {sent:N0} messages in {sendSeconds:N1} s = {sent / sendSeconds:N0} msg/s accepted ({failed} failed requests)");
        Console.WriteLine($"  unified {last.Unified:N0} of {last.LakeEnd:N0}; caught up {(last.At - deadline.TotalMilliseconds) / 1000:N1} s after the senders stopped");
        Console.WriteLine($"  lag accepted → visible over {lags.Count:N0} samples (20 ms resolution): p50 {P(0.50):N0} ms, p95 {P(0.95):N0} ms, p99 {P(0.99):N0} ms, max {lags.LastOrDefault():N0} ms");
        Console.WriteLine($"  worst lag per 10 s of sending: {string.Join(" | ", windowMax.Select(w => $"{w.Key * 10}–{w.Key * 10 + 10} s {w.Value:N0} ms"))}");
        if (Environment.GetEnvironmentVariable("LAG_SERIES") == "1")
        {
            // Where the lag is, 2 s at a time (investigation): the worst lag of the window's samples.
            var series = new SortedDictionary<int, double>();
            for (var i = 0; i < samples.Count; i++)
            {
                var k = i;
                while (k < samples.Count && samples[k].Unified < samples[i].LakeEnd)
                {
                    k++;
                }
                if (k < samples.Count && samples[i].LakeEnd > 0)
                {
                    var w = (int)(samples[i].At / 2_000);
                    series[w] = Math.Max(series.GetValueOrDefault(w), samples[k].At - samples[i].At);
                }
            }
            Console.WriteLine("  worst lag per 2 s: " + string.Join(" ", series.Select(w => $"{w.Key * 2}:{w.Value:N0}")));
            Console.WriteLine("  log MB per 2 s: " + string.Join(" ", walSizes.Select(w => $"{w.Key * 2}:{w.Value:N0}")));
            Console.WriteLine("  refreshes (s from start): " + string.Join(" ", refreshes.OrderBy(r => r.Start)
                .Select(r => $"{(r.Start - startedAt).TotalSeconds:N1}+{r.Seconds:N1}")));
        }
        if (dashboard is not null)
        {
            lagsDuringRefresh.Sort();
            var during = refreshes.Where(r => r.Start >= startedAt).OrderBy(r => r.Start).ToList();
            Console.WriteLine($"  {during.Count} dashboard refreshes during the run, {string.Join(" / ", during.Select(r => $"{r.Seconds:N1} s"))}; " +
                $"lag while one ran, over {lagsDuringRefresh.Count:N0} samples: p50 {PacedLoad.Percentile(lagsDuringRefresh, 0.50):N0} ms, " +
                $"p95 {PacedLoad.Percentile(lagsDuringRefresh, 0.95):N0} ms, max {lagsDuringRefresh.LastOrDefault():N0} ms " +
                (lagsDuringRefresh.Count > 0 && PacedLoad.Percentile(lagsDuringRefresh, 0.95) < 1000 ? "(target p95 < 1 s: met)" : "(target p95 < 1 s: MISSED)"));
        }
        Console.WriteLine($"  {await RunsAsync(server, metricsToken)}");
        Console.WriteLine($"  {ProfileStudio.Testing.ServerProcess.CpuLine(cpu, busy, sent)}");
        Console.WriteLine($"  server peak RSS {server.PeakRssMb():N0} MB");
        Console.WriteLine(P(0.95) < 1000 ? "  target p95 < 1 s: met" : "  target p95 < 1 s: MISSED");
        return 0;
    }

    /// <summary>Waits until the process uses under a quarter of a core over 2 s (or the limit); returns how long that took.</summary>
    private static async Task<TimeSpan> WaitQuietAsync(int pid, TimeSpan limit)
    {
        static double CpuSeconds(int pid)
        {
            // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second), after the ")" of the name.
            var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var before = CpuSeconds(pid);
            await Task.Delay(2_000);
            if (CpuSeconds(pid) - before < 0.5)
            {
                break;
            }
        }
        return clock.Elapsed;
    }

    /// <summary>The unification runs of the whole server life, from its /metrics: how many and how long on average.</summary>
    private static async Task<string> RunsAsync(ProfileStudio.Testing.ServerProcess server, string token)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var text = await http.GetStringAsync("/metrics");
        double Metric(string name) => text.Split('\n').Where(l => l.StartsWith(name + " ") || l.StartsWith(name + "{"))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        var (count, sum) = (Metric("profilestudio_unification_run_duration_seconds_count"), Metric("profilestudio_unification_run_duration_seconds_sum"));
        return count == 0 ? "no unification run recorded in /metrics" : $"{count:N0} unification runs, {sum / count * 1000:N0} ms on average (run duration from /metrics)";
    }

    internal static long Scalar(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }
}
