using System.Diagnostics;
<<<<<<< HEAD
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
=======
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
>>>>>>> segui

namespace ProfileStudio.Bench;

/// <summary>
<<<<<<< HEAD
/// <c>segments</c>: the same lake unified twice, back to back, each time into a fresh store: without segments,
/// then with N active streaming segments of mixed rules (event counts in windows, attribute equality, identity and
/// boolean, an aggregate of a property, segments of segments) kept current by the segments consumer reading the
/// change feed meanwhile, as the app runs it. Prints the unify loss and, for every feed row, the time from its
/// run's commit to the consumer having recorded its memberships (p50 / p95 / max). The lake is written
/// beforehand, so unification runs flat out: a harder load than 5,000 messages/s arriving.
/// </summary>
internal static class SegmentsBenchmark
{
    public static async Task<int> CompareAsync(int messages, int people, int segments)
    {
        Console.WriteLine($"segments: {messages:N0} messages over {people:N0} people, unified without then with {segments} active streaming segments; {Environment.ProcessorCount} cores (shared machine)");
        var (without, _) = await UnifyOnceAsync(messages, people, 0);
        var (with, lags) = await UnifyOnceAsync(messages, people, segments);
        Console.WriteLine($"  without segments: {without.TotalSeconds:N1} s = {messages / without.TotalSeconds:N0} messages/s");
        Console.WriteLine($"  with {segments} segments: {with.TotalSeconds:N1} s = {messages / with.TotalSeconds:N0} messages/s (consumer running alongside)");
        Console.WriteLine($"  unify loss: {(1 - without.TotalSeconds / with.TotalSeconds) * 100:N1}% of the throughput (target < 20%)");
        lags.Sort();
        double P(double q) => lags.Count == 0 ? 0 : lags[Math.Min(lags.Count - 1, (int)(q * lags.Count))];
        Console.WriteLine($"  run committed → memberships recorded, over {lags.Count:N0} feed rows: p50 {P(0.5):N0} ms, p95 {P(0.95):N0} ms, max {lags.LastOrDefault():N0} ms");
        Console.WriteLine($"  peak memory of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024:N0} MB");
        return 0;
    }

    private static async Task<(TimeSpan Elapsed, List<double> Lags)> UnifyOnceAsync(int messages, int people, int segments)
    {
        var directory = Directory.CreateTempSubdirectory("profilestudio-segments-").FullName;
        try
        {
            var connectionString = SqliteDatabase.ConnectionString(directory);
            var factory = new PooledDbContextFactory<ProfileStudioDbContext>(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options);
            await using (var db = await factory.CreateDbContextAsync())
            {
                await db.Database.MigrateAsync();
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
                db.Sources.AddRange(
                    new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "w", WriteKeyHint = "w" },
                    new Source { Name = "CRM", Kind = SourceKind.Batch, WriteKeyHash = "c", WriteKeyHint = "c" });
                await db.SaveChangesAsync();
            }
            var time = TimeProvider.System;
            var catalog = new SegmentCatalog();
            var writer = new SegmentMembershipWriter(factory, new ChangeFeedSignal());
            var evaluator = new SegmentMembershipEvaluator(factory, catalog, writer, time);
            var store = new SegmentStore(factory, new AuditLog(factory, time), time, catalog, writer);
            var consumer = new SegmentChangeConsumer(evaluator, writer, store, factory, time);
            await CreateSegmentsAsync(store, segments);
            await store.RefreshCatalogAsync();

            var (reading, connection) = await SqliteUnificationStorage.OpenConnectionsAsync(connectionString, CancellationToken.None);
            await using var _ = reading;
            await using var __ = connection;
            UnifyBenchmark.WriteLake(connection, messages, people);
            using var store2 = new SqliteUnificationStore(connection);
            using var unified = new CancellationTokenSource();
            var lags = new List<double>();
            var consuming = segments > 0 ? Task.Run(() => ConsumeAsync(factory, consumer, lags, unified.Token)) : Task.CompletedTask;
            var stopwatch = Stopwatch.StartNew();
            await using (var session = new SqliteUnificationSession(reading, connection, time))
            await using (var runner = new UnificationRunner(session, new UnificationEngine(store2.RestoreGraph(IdentityRules.Default)), time))
            {
                await runner.CatchUpAsync(0, UnificationWorker.RunSize, null, CancellationToken.None);
            }
            var elapsed = stopwatch.Elapsed;
            await unified.CancelAsync();
            await consuming;
            if (segments > 0)
            {
                await using var db = await factory.CreateDbContextAsync();
                var counts = await db.Segments.OrderBy(s => s.Id).Select(s => s.MemberCount).ToListAsync();
                Console.WriteLine($"  (with: consumer caught up {(stopwatch.Elapsed - elapsed).TotalSeconds:N1} s after unification ended; members per segment {string.Join(" ", counts)})");
            }
            return (elapsed, lags);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>As the change-feed host runs a consumer: rows after its position, 5,000 at a time; stops once unification ended and the feed is read.</summary>
    private static async Task ConsumeAsync(IDbContextFactory<ProfileStudioDbContext> factory, SegmentChangeConsumer consumer, List<double> lags, CancellationToken unified)
    {
        var position = 0L;
        while (true)
        {
            var done = unified.IsCancellationRequested;
            List<ProfileChange> rows;
            await using (var db = await factory.CreateDbContextAsync())
            {
                rows = await db.ProfileChanges.AsNoTracking().Where(c => c.Id > position).OrderBy(c => c.Id).Take(new ChangeFeedOptions().BatchSize).ToListAsync();
            }
            if (rows.Count == 0)
            {
                if (done)
                {
                    return;
                }
                await Task.Delay(ChangeFeedHost.PollInterval / 10);
                continue;
            }
            await consumer.HandleAsync(rows, CancellationToken.None);
            var now = DateTime.UtcNow;
            lags.AddRange(rows.Where(r => r.Kinds != ProfileChangeKinds.Segments).Select(r => (now - r.At).TotalMilliseconds));
            position = rows[^1].Id;
        }
    }

    private static async Task CreateSegmentsAsync(SegmentStore store, int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            SegmentNode root = (i % 5) switch
            {
                0 => All(new EventCondition("e", "Product Viewed", true)
                {
                    Count = new EventCount(CountOperator.AtLeast, i % 3 + 1),
                    Window = new EventWindow(WindowKind.LastDays) { Amount = 30 + i },
                }),
                1 => All(new AttributeCondition("a", "plan", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = i % 2 == 0 ? "pro" : "free" })),
                2 => All(new IdentityCondition("i", "email", true), new AttributeCondition("v", "vip", new ValueTest(ValueTestType.Boolean, ValueOperator.IsTrue))),
                3 => All(new EventCondition("s", "Product Viewed", true)
                {
                    Aggregate = new EventAggregate(AggregateFunction.Sum, "price", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 100 * i }),
                }),
                _ => new GroupNode("root", GroupKind.AnyOf,
                [
                    new AttributeCondition("c", "city", new ValueTest(ValueTestType.Text, ValueOperator.StartsWith) { Text = $"City {i % 10}" }),
                    new SegmentCondition("r", ids[i - 4], true),
                ]),
            };
            var created = await store.CreateAsync(AuditActor.System, new SegmentDraft($"Bench segment {i}", null, SegmentRuleJson.Serialize(new SegmentRule(root))));
            if (!created.Succeeded)
            {
                throw new InvalidOperationException(string.Join("; ", created.Problems));
            }
            await store.ActivateAsync(AuditActor.System, created.Segment!.Id);
            ids.Add(created.Segment.Id);
        }
    }

    private static GroupNode All(params SegmentNode[] children) => new("root", GroupKind.AllOf, children);
=======
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
            var estimator = new SegmentEstimator(host, factory, new NoSegmentMembershipsYet(), time);
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
>>>>>>> segui
}
