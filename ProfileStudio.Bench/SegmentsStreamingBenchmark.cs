using System.Diagnostics;
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

namespace ProfileStudio.Bench;

/// <summary>
/// <c>segments-streaming</c>: the same lake unified twice, back to back, each time into a fresh store: without segments,
/// then with N active streaming segments of mixed rules (event counts in windows, attribute equality, identity and
/// boolean, an aggregate of a property, segments of segments) kept current by the segments consumer reading the
/// change feed meanwhile, as the app runs it. Prints the unify loss and, for every feed row, the time from its
/// run's commit to the consumer having recorded its memberships (p50 / p95 / max). The lake is written
/// beforehand, so unification runs flat out: a harder load than 5,000 messages/s arriving.
/// </summary>
internal static class SegmentsStreamingBenchmark
{
    public static async Task<int> CompareAsync(int messages, int people, int segments, int pairs = 1)
    {
        Console.WriteLine($"segments-streaming: {messages:N0} messages over {people:N0} people, unified without then with {segments} active streaming segments, {pairs} pair(s) back to back after a warm-up; {Environment.ProcessorCount} cores (shared machine)");
        // A small run with segments first: the JIT and the first SQLite statements would otherwise be charged to the first measured run.
        await UnifyOnceAsync(Math.Min(messages, 20_000), Math.Min(people, 6_000), segments, quiet: true);
        var (without, with) = (TimeSpan.Zero, TimeSpan.Zero);
        var lags = new List<double>();
        for (var pair = 1; pair <= pairs; pair++)
        {
            var (alone, _) = await UnifyOnceAsync(messages, people, 0);
            var (beside, pairLags) = await UnifyOnceAsync(messages, people, segments);
            Console.WriteLine($"  pair {pair}: without segments {alone.TotalSeconds:N1} s = {messages / alone.TotalSeconds:N0} messages/s; with {segments} segments (consumer running alongside) {beside.TotalSeconds:N1} s = {messages / beside.TotalSeconds:N0} messages/s; loss {Loss(alone, beside):N1}%");
            (without, with) = (without + alone, with + beside);
            lags.AddRange(pairLags);
        }
        Console.WriteLine($"  unify loss over all pairs: {Loss(without, with):N1}% of the throughput (target < 20%)");
        lags.Sort();
        double P(double q) => lags.Count == 0 ? 0 : lags[Math.Min(lags.Count - 1, (int)(q * lags.Count))];
        Console.WriteLine($"  run committed → memberships recorded, over {lags.Count:N0} feed rows: p50 {P(0.5):N0} ms, p95 {P(0.95):N0} ms, max {lags.LastOrDefault():N0} ms");
        Console.WriteLine($"  peak memory of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024:N0} MB");
        return 0;
    }

    private static double Loss(TimeSpan without, TimeSpan with) => (1 - without.TotalSeconds / with.TotalSeconds) * 100;

    private static async Task<(TimeSpan Elapsed, List<double> Lags)> UnifyOnceAsync(int messages, int people, int segments, bool quiet = false)
    {
        var directory = Directory.CreateTempSubdirectory("profilestudio-segments-").FullName;
        try
        {
            var connectionString = SqliteDatabase.ConnectionString(directory);
            await UnifyBenchmark.MigrateAsync(connectionString);
            var (factory, catalog, writer, store) = SegmentServices(connectionString);
            var time = TimeProvider.System;
            var evaluator = new SegmentMembershipEvaluator(factory, catalog, writer, time);
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
            if (segments > 0 && !quiet)
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
            lags.AddRange(rows.Where(r => !r.OnlyMemberships).Select(r => (now - r.At).TotalMilliseconds));
            position = rows[^1].Id;
        }
    }

    /// <summary>
    /// A fresh data directory, migrated, with <paramref name="segments"/> active streaming segments of the mixed rules
    /// below, for a server started on it (the feed benchmark's <c>--segments</c>): the server loads them at start.
    /// </summary>
    public static async Task<string> DataDirectoryWithSegmentsAsync(int segments)
    {
        var directory = Directory.CreateTempSubdirectory("profilestudio-bench-").FullName;
        var connectionString = SqliteDatabase.ConnectionString(directory);
        await UnifyBenchmark.MigrateAsync(connectionString, sources: false); // the server provisions its own source
        await CreateSegmentsAsync(SegmentServices(connectionString).Store, segments);
        SqliteConnection.ClearAllPools();
        return directory;
    }

    /// <summary>The segment store and what it writes through, on a bench store, as the app wires them.</summary>
    private static (IDbContextFactory<ProfileStudioDbContext> Factory, SegmentCatalog Catalog, SegmentMembershipWriter Writer, SegmentStore Store) SegmentServices(string connectionString)
    {
        var factory = new PooledDbContextFactory<ProfileStudioDbContext>(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options);
        var catalog = new SegmentCatalog();
        var writer = new SegmentMembershipWriter(factory, new ChangeFeedSignal());
        return (factory, catalog, writer, new SegmentStore(factory, new AuditLog(factory, TimeProvider.System), TimeProvider.System, catalog, writer));
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
}
