using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Bench;

/// <summary>
/// Sustained tracking traffic at a fixed rate into the real server with the unification worker on;
/// every 20 ms the lake's end and the worker's checkpoint are sampled from the database, which gives
/// for each sampled message the time from accepted (in the lake, the client answered) to visible
/// (its profile changes committed). Prints the lag percentiles and both rates.
/// </summary>
internal static class LagBenchmark
{
    public static async Task<int> RunAsync(int seconds, int rate)
    {
        Console.WriteLine($"lag: {PacedLoad.Conditions(rate, seconds)}");
        await using var load = await PacedLoad.StartAsync();
        var server = load.Server;
        await using var db = new SqliteConnection(SqliteDatabase.ConnectionString(server.DataDirectory) + ";Mode=ReadOnly");
        await db.OpenAsync();

        var samples = new List<(double At, long LakeEnd, long Unified)>(seconds * 60);
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
                if (stopwatch.Elapsed > deadline && unified >= end || stopwatch.Elapsed > deadline + TimeSpan.FromSeconds(120))
                {
                    return;
                }
            }
        });

        var (sent, failed) = await load.SendAsync(rate, stopwatch, deadline);
        var sendSeconds = stopwatch.Elapsed.TotalSeconds;
        await sampling;

        // For each sample after a 5 s warm-up: the first later sample whose checkpoint reached that lake end.
        var lags = new List<double>();
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
            }
        }
        lags.Sort();
        double P(double q) => PacedLoad.Percentile(lags, q);
        var last = samples[^1];
        Console.WriteLine($"  sent {sent:N0} messages in {sendSeconds:N1} s = {sent / sendSeconds:N0} msg/s accepted ({failed} failed requests)");
        Console.WriteLine($"  unified {last.Unified:N0} of {last.LakeEnd:N0}; caught up {(last.At - deadline.TotalMilliseconds) / 1000:N1} s after the senders stopped");
        Console.WriteLine($"  lag accepted → visible over {lags.Count:N0} samples (20 ms resolution): p50 {P(0.50):N0} ms, p95 {P(0.95):N0} ms, p99 {P(0.99):N0} ms, max {lags.LastOrDefault():N0} ms");
        Console.WriteLine($"  server peak RSS {server.PeakRssMb():N0} MB");
        Console.WriteLine(P(0.95) < 1000 ? "  target p95 < 1 s: met" : "  target p95 < 1 s: MISSED");
        return 0;
    }

    internal static long Scalar(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }
}
