using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Bench;

/// <summary>
/// The live estimate and batch evaluation through <see cref="SegmentEstimator"/> answered by the in-memory
/// <see cref="SegmentIndex"/>: the same bulk-loaded store as <c>segments-sql</c> (N profiles, 10·N events), the
/// index loaded once (seconds, memory), then the 10-condition segment estimated and evaluated several times,
/// each condition alone, and a change-feed batch of touched profiles applied. <c>--sql</c> also counts with the
/// SQL path once and checks the two agree.
/// </summary>
internal static class SegmentsBenchmark
{
    public static async Task<int> RunAsync(int profiles, string? keep, int runs, bool sql)
    {
        var directory = keep ?? Directory.CreateTempSubdirectory("profilestudio-segments-").FullName;
        Directory.CreateDirectory(directory);
        Console.WriteLine($"segments: {profiles:N0} profiles, {profiles * 10L:N0} events; {Environment.ProcessorCount} cores (shared), load average {LoadAverage()}; " +
                          $".NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}; SQLite {SegmentsSqlBenchmark.SqliteVersion()}");
        try
        {
            await SegmentsSqlBenchmark.EnsureSeededAsync(directory, profiles);
            var factory = new DbFactory(SqliteDatabase.ConnectionString(directory));
            var time = new FixedTime(SegmentsSqlBenchmark.Now);
            var host = new SegmentIndexHost(factory, time, NullLogger<SegmentIndexHost>.Instance);
            var estimator = new SegmentEstimator(host, factory, new StoredSegmentMemberships(factory), time);
            var rule = SegmentsSqlBenchmark.Rule();
            Console.WriteLine("  rule: " + SegmentSentence.Describe(rule));

            GC.Collect();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var load = Stopwatch.StartNew();
            var phases = new List<string>();
            await host.LoadAsync(CancellationToken.None, (phase, took) => phases.Add($"{phase} {took.TotalSeconds:N1} s"));
            load.Stop();
            var after = GC.GetTotalMemory(forceFullCollection: true);
            var status = host.Status;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            Console.WriteLine($"  index load: {load.Elapsed.TotalSeconds:N1} s wall, {cpu.TotalSeconds:N1} s CPU (this process, all threads), for {status.Profiles:N0} profiles / {status.Events:N0} events; " +
                              $"managed heap +{(after - before) / 1_048_576.0:N0} MB (index's own estimate {status.ApproximateBytes / 1_048_576.0:N0} MB); " +
                              $"process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576.0:N0} MB");
            Console.WriteLine($"    phases: {string.Join("; ", phases)}");

            var estimates = new List<double>();
            SegmentEstimate? estimate = null;
            var estimateCpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var run = 0; run < runs; run++)
            {
                estimate = await estimator.EstimateAsync(rule, CancellationToken.None);
                estimates.Add(estimate.Took.TotalMilliseconds);
            }
            estimateCpu = Process.GetCurrentProcess().TotalProcessorTime - estimateCpu;
            Console.WriteLine($"  estimate (10 conditions, exact): {estimate!.Matching:N0} of {estimate.Total:N0} ({estimate.Share:P2}), answered by {estimate.Path}; " +
                              $"runs {Runs(estimates)}, CPU {estimateCpu.TotalMilliseconds / runs:N0} ms per run; samples {string.Join(", ", estimate.SampleProfileIds.Take(5))}…");

            var batches = new List<double>();
            IReadOnlyList<long> ids = [];
            for (var run = 0; run < Math.Max(3, runs / 2); run++)
            {
                var clock = Stopwatch.StartNew();
                ids = await estimator.MatchingIdsAsync(rule, CancellationToken.None);
                batches.Add(clock.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine($"  batch evaluation (MatchingIds): {ids.Count:N0} ids; runs {Runs(batches)}");

            // Where the time goes: each condition alone, on the index.
            foreach (var condition in ((GroupNode)rule.Root).Children)
            {
                var single = await estimator.EstimateAsync(new SegmentRule(condition), CancellationToken.None);
                Console.WriteLine($"    {single.Took.TotalMilliseconds,7:N0} ms  {single.Matching,10:N0}  {SegmentSentence.Clause(condition, nested: false)}");
            }

            // A change-feed batch (the consumer's default size) of touched profiles, reloaded from storage.
            var random = new Random(7);
            var touched = Enumerable.Range(0, 5_000).Select(_ => new ProfileChange { ProfileId = random.NextInt64(1, profiles + 1), Kinds = ProfileChangeKinds.Events }).ToList();
            var apply = Stopwatch.StartNew();
            await host.ApplyAsync(touched, CancellationToken.None);
            Console.WriteLine($"  change-feed batch: 5,000 touched profiles reloaded and applied in {apply.Elapsed.TotalMilliseconds:N0} ms");
            var again = await estimator.EstimateAsync(rule, CancellationToken.None);
            var ok = again.Matching == estimate.Matching;
            Console.WriteLine($"  estimate after the batch (same data): {again.Matching:N0} in {again.Took.TotalMilliseconds:N0} ms{(ok ? "" : " DIFFERS")}");

            if (sql)
            {
                await using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(directory));
                await connection.OpenAsync();
                var clock = Stopwatch.StartNew();
                var count = await SegmentSql.CountAsync(connection, rule, SegmentsSqlBenchmark.Now);
                Console.WriteLine($"  SQL path count: {count:N0} in {clock.Elapsed.TotalMilliseconds:N0} ms; " + (count == estimate.Matching ? "index = SQL" : "index DIFFERS from SQL"));
                ok &= count == estimate.Matching;
            }
            return ok ? 0 : 1;
        }
        finally
        {
            if (keep is null)
            {
                SqliteConnection.ClearAllPools();
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static string Runs(List<double> timings)
    {
        var sorted = timings.Order().ToList();
        return $"{string.Join(" / ", timings.Select(t => $"{t:N0} ms"))} (median {sorted[sorted.Count / 2]:N0} ms, max {sorted[^1]:N0} ms)";
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private sealed class DbFactory(string connectionString) : IDbContextFactory<ProfileStudioDbContext>
    {
        public ProfileStudioDbContext CreateDbContext() =>
            new(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options);
    }

    private sealed class FixedTime(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now, TimeSpan.Zero);
    }
}
