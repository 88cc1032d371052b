using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ComputedAttributes;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Bench;

/// <summary>
/// <c>unify</c>: a lake of N messages over P people (anonymous browsing that later signs in, several
/// devices, e-mails and phones shared across sources) unified by the worker's engine and store in
/// runs of <see cref="UnificationWorker.RunSize"/>, as the worker does. <c>rebuild</c>: the same lake
/// unified again from scratch in one pass, with the process's peak memory.
/// </summary>
internal static class UnifyBenchmark
{
    public static async Task<int> RunAsync(int messages, int people, bool rebuild, bool computed = false, bool schema = false, int segments = 0, int pairs = 1,
        int runSize = UnificationWorker.RunSize, int otherCommitsMs = 0, int interleave = 0)
    {
        if (segments > 0)
        {
            return await SegmentsStreamingBenchmark.CompareAsync(messages, people, segments, pairs);
        }
        if (computed)
        {
            if (interleave > 0)
            {
                return await CompareComputedInterleavedAsync(messages, people, runSize, interleave);
            }
            return pairs > 1 ? await CompareComputedPairsAsync(messages, people, runSize, pairs) : await CompareComputedAsync(messages, people, runSize);
        }
        var directory = Directory.CreateTempSubdirectory("profilestudio-unify-").FullName;
        try
        {
            var stopwatch = Stopwatch.StartNew();
            var connectionString = SqliteDatabase.ConnectionString(directory);
            await MigrateAsync(connectionString);
            if (otherCommitsMs > 0)
            {
                // Before the session opens: a schema change later would make its prepared statements prepare again.
                await using var create = new SqliteConnection(connectionString);
                await create.OpenAsync();
                using var command = create.CreateCommand();
                command.CommandText = "CREATE TABLE BenchOtherCommits (At INTEGER NOT NULL)";
                await command.ExecuteNonQueryAsync();
            }
            var (reading, connection) = await SqliteUnificationStorage.OpenConnectionsAsync(connectionString, CancellationToken.None);
            await using var session = new SqliteUnificationSession(reading, connection, TimeProvider.System, ownsConnections: true);
            WriteLake(connection, messages, people);
            Console.WriteLine($"{(rebuild ? "rebuild" : "unify")}: {messages:N0} messages over {people:N0} people, lake written in {stopwatch.Elapsed.TotalSeconds:N1} s; {Environment.ProcessorCount} cores");

            using var store = session.OpenStore();
            var rules = IdentityRules.Default;
            if (!rebuild)
            {
                // What the worker does: catch up in runs, resolving the next run while the previous one is written.
                stopwatch.Restart();
                using var unified = new CancellationTokenSource();
                var consumer = schema ? Task.Run(() => SchemaConsumerAsync(connectionString, unified.Token)) : Task.FromResult(TimeSpan.Zero);
                var other = otherCommitsMs > 0 ? Task.Run(() => OtherCommitsAsync(connectionString, otherCommitsMs, unified.Token)) : Task.FromResult(0);
                await using var runner = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(rules)), TimeProvider.System);
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var written = WrittenBytes();
                await runner.CatchUpAsync(0, runSize, null, CancellationToken.None);
                if (written is { } writtenBefore && WrittenBytes() is { } writtenAfter)
                {
                    // Each run rewrites every page it touched (log, then checkpoint): small runs touch nearly a page per row they change.
                    Console.WriteLine($"  bytes written by this process while unifying: {(writtenAfter.Bytes - writtenBefore.Bytes) / 1e6:N0} MB in {writtenAfter.Calls - writtenBefore.Calls:N0} write calls, " +
                        $"{(writtenAfter.Bytes - writtenBefore.Bytes) / (double)messages:N0} bytes per message");
                }
                Console.WriteLine($"  cpu time of unification (both cores): {(Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds:N1} s");
                Report(connection, messages, stopwatch.Elapsed, $"unified incrementally in runs of {runSize:N0}" + (runSize == UnificationWorker.RunSize ? " (target >= 20,000 messages/s)" : "") +
                    (schema ? ", with the union-schema consumer reading the change feed meanwhile" : ""));
                if (otherCommitsMs > 0)
                {
                    await unified.CancelAsync();
                    Console.WriteLine($"  another connection committed a one-row write every {otherCommitsMs} ms meanwhile ({await other:N0} commits), as the lake's appender does under live traffic");
                }
                if (schema)
                {
                    var unifiedAt = stopwatch.Elapsed;
                    await unified.CancelAsync();
                    var handling = await consumer;
                    Console.WriteLine($"  union-schema consumer: caught up with the feed {(stopwatch.Elapsed - unifiedAt).TotalSeconds:N1} s after unification ended; " +
                        $"{handling.TotalSeconds:N1} s spent handling feed rows in all");
                }
                if (Environment.GetEnvironmentVariable("UNIFY_SPLIT_TIMES") == "1")
                {
                    // Where the time goes: reading + resolving alone, without writing.
                    stopwatch.Restart();
                    var engine = new UnificationEngine(IdentityGraph.Restore(rules, [], [], []));
                    using var readOnly = session.OpenLakeReader();
                    var readTime = TimeSpan.Zero;
                    for (var after = 0L; ;)
                    {
                        var t = Stopwatch.StartNew();
                        var run = readOnly.ReadLake(after, UnificationWorker.RunSize);
                        readTime += t.Elapsed;
                        if (run.Count == 0)
                        {
                            break;
                        }
                        after = engine.Process(run).LastMessageId;
                    }
                    Console.WriteLine($"  read + resolve only: {stopwatch.Elapsed.TotalSeconds:N1} s (reading the lake {readTime.TotalSeconds:N1} s)");
                }
            }
            else
            {
                // A rebuild starts from a full profile store and replays the whole lake into shadow tables, then swaps them in, as the worker's rebuild job does.
                await using (var first = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(rules)), TimeProvider.System))
                {
                    await first.CatchUpAsync(0, UnificationWorker.RunSize, null, CancellationToken.None);
                }
                stopwatch.Restart();
                await session.Maintenance.RebuildAsync(rules, UnificationWorker.RunSize, (_, _) => { }, CancellationToken.None);
                var built = stopwatch.Elapsed;
                session.Maintenance.Swap();
                Console.WriteLine($"  shadow store built in {built.TotalSeconds:N1} s, swapped in {(stopwatch.Elapsed - built).TotalMilliseconds:N0} ms");
                Report(connection, messages, stopwatch.Elapsed, "rebuilt from the lake (target < 60 s)");
            }
            Console.WriteLine($"  peak memory of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024:N0} MB (rebuild target < 2 GB)");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>What this process has written through write calls (Linux's /proc/self/io: wchar, syscw); null elsewhere.</summary>
    private static (long Bytes, long Calls)? WrittenBytes()
    {
        const string path = "/proc/self/io";
        if (!File.Exists(path))
        {
            return null;
        }
        var fields = File.ReadAllLines(path).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => long.Parse(p[1].Trim()));
        return (fields["wchar"], fields["syscw"]);
    }

    /// <summary>
    /// <c>unify --computed</c>: the same lake unified twice, back to back, each time into a fresh store: without
    /// computed attributes, then with five active ones (one per kind of window, backfill done), and the loss.
    /// </summary>
    private static async Task<int> CompareComputedAsync(int messages, int people, int runSize)
    {
        Console.WriteLine($"unify --computed: {messages:N0} messages over {people:N0} people in runs of {runSize:N0}, without then with 5 active computed attributes; {Environment.ProcessorCount} cores");
        // A small run with computed attributes first, so that neither measured run pays for compiling the code they share:
        // without it the first run ("without") carried the JIT, and a single definition showed a loss of -3 to -13%.
        await UnifyOnceAsync(Math.Min(messages, 20_000), Math.Min(people, 6_000), computed: true, runSize, quiet: true);
        var g0 = GC.GetTotalPauseDuration();
        var w0 = WrittenBytes();
        var (without, withoutCpu) = await UnifyOnceAsync(messages, people, computed: false, runSize);
        var g1 = GC.GetTotalPauseDuration();
        var w1 = WrittenBytes();
        var (with, withCpu) = await UnifyOnceAsync(messages, people, computed: true, runSize);
        var w2 = WrittenBytes();
        if (w0 is { } a && w1 is { } b && w2 is { } c)
        {
            // Each run rewrites every page it touched (log, then checkpoint): the states' pages are the computed attributes' share.
            Console.WriteLine($"  written (lake, log and checkpoints): without {(b.Bytes - a.Bytes) / (double)messages:N0} bytes per message in {(b.Calls - a.Calls) / (double)messages:N1} write calls, " +
                $"with {(c.Bytes - b.Bytes) / (double)messages:N0} bytes in {(c.Calls - b.Calls) / (double)messages:N1}");
        }
        var g2 = GC.GetTotalPauseDuration();
        Console.WriteLine($"  garbage collection pauses: without {(g1 - g0).TotalSeconds:N2} s, with {(g2 - g1).TotalSeconds:N2} s");
        Console.WriteLine($"  without: {without.TotalSeconds:N1} s = {messages / without.TotalSeconds:N0} messages/s; cpu time {withoutCpu.TotalSeconds:N1} s");
        Console.WriteLine($"  with 5 computed attributes: {with.TotalSeconds:N1} s = {messages / with.TotalSeconds:N0} messages/s; cpu time {withCpu.TotalSeconds:N1} s");
        Console.WriteLine($"  loss: {(1 - without.TotalSeconds / with.TotalSeconds) * 100:N1}% of the throughput (target < 10%); " +
            $"by cpu time (less disturbed by other load): {(1 - withoutCpu.TotalSeconds / withCpu.TotalSeconds) * 100:N1}%");
        Console.WriteLine($"  peak memory of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024:N0} MB");
        return 0;
    }

    /// <summary>
    /// <c>unify --computed --pairs N</c>: N pairs of runs without and with the computed attributes, the first of each pair alternating
    /// (without first, then with first, …), so that the machine's speed drifting over minutes (as it does here by a third) weighs on
    /// both sides alike: each pair's loss, their median, and the loss over the sums.
    /// </summary>
    private static async Task<int> CompareComputedPairsAsync(int messages, int people, int runSize, int pairs)
    {
        Console.WriteLine($"unify --computed --pairs {pairs}: {messages:N0} messages over {people:N0} people in runs of {runSize:N0}, without and with 5 active " +
            $"computed attributes, alternating which goes first; {Environment.ProcessorCount} cores");
        await UnifyOnceAsync(Math.Min(messages, 20_000), Math.Min(people, 6_000), computed: true, runSize, quiet: true);
        var losses = new List<double>();
        var (withoutSum, withSum, withoutCpuSum, withCpuSum) = (TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        for (var pair = 0; pair < pairs; pair++)
        {
            (TimeSpan Elapsed, TimeSpan Cpu) without, with;
            if (pair % 2 == 0)
            {
                without = await UnifyOnceAsync(messages, people, computed: false, runSize, quiet: true);
                with = await UnifyOnceAsync(messages, people, computed: true, runSize, quiet: true);
            }
            else
            {
                with = await UnifyOnceAsync(messages, people, computed: true, runSize, quiet: true);
                without = await UnifyOnceAsync(messages, people, computed: false, runSize, quiet: true);
            }
            var loss = (1 - without.Elapsed.TotalSeconds / with.Elapsed.TotalSeconds) * 100;
            losses.Add(loss);
            (withoutSum, withSum, withoutCpuSum, withCpuSum) = (withoutSum + without.Elapsed, withSum + with.Elapsed, withoutCpuSum + without.Cpu, withCpuSum + with.Cpu);
            Console.WriteLine($"  pair {pair + 1} ({(pair % 2 == 0 ? "without first" : "with first")}): without {without.Elapsed.TotalSeconds:N1} s (cpu {without.Cpu.TotalSeconds:N1} s), " +
                $"with {with.Elapsed.TotalSeconds:N1} s (cpu {with.Cpu.TotalSeconds:N1} s): loss {loss:N1}%");
        }
        losses.Sort();
        var median = losses.Count % 2 == 1 ? losses[losses.Count / 2] : (losses[losses.Count / 2 - 1] + losses[losses.Count / 2]) / 2;
        Console.WriteLine($"  loss over all {pairs} pairs: {(1 - withoutSum.TotalSeconds / withSum.TotalSeconds) * 100:N1}% of the throughput (target < 10%), " +
            $"by cpu time {(1 - withoutCpuSum.TotalSeconds / withCpuSum.TotalSeconds) * 100:N1}%; median of the pairs {median:N1}%");
        Console.WriteLine($"  peak memory of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024:N0} MB");
        return 0;
    }

    private static async Task<(TimeSpan Elapsed, TimeSpan Cpu)> UnifyOnceAsync(int messages, int people, bool computed, int runSize, bool quiet = false)
    {
        await using var side = await ComputedSide.OpenAsync(computed, LakeStart.AddSeconds(messages * 2.5));
        WriteLake(side.Connection, messages, people);
        var (elapsed, cpu) = await side.CatchUpAsync(runSize);
        if (computed && !quiet)
        {
            Console.WriteLine($"  (with: {side.RowsLine()})");
        }
        return (elapsed, cpu);
    }

    /// <summary>
    /// <c>unify --computed --interleave N</c>: the lake goes into two fresh stores N messages at a time, and after each slice both
    /// stores unify it in turn (without and with the five computed attributes, alternating which goes first), so that the machine's
    /// speed, which drifts here by a third within minutes, weighs on both sides alike at the scale of seconds rather than of whole
    /// runs. Each side's time is the sum of its catch-ups (the slices' copying not counted).
    /// </summary>
    private static async Task<int> CompareComputedInterleavedAsync(int messages, int people, int runSize, int slice)
    {
        Console.WriteLine($"unify --computed --interleave {slice:N0}: {messages:N0} messages over {people:N0} people in runs of {runSize:N0}, the lake copied " +
            $"into two stores {slice:N0} messages at a time and each slice unified without and with 5 active computed attributes in turn, " +
            $"alternating which goes first; {Environment.ProcessorCount} cores");
        await UnifyOnceAsync(Math.Min(messages, 20_000), Math.Min(people, 6_000), computed: true, runSize, quiet: true);
        var now = LakeStart.AddSeconds(messages * 2.5);
        await using var source = await ComputedSide.OpenAsync(computed: false, now);
        WriteLake(source.Connection, messages, people);
        await using var without = await ComputedSide.OpenAsync(computed: false, now);
        await using var with = await ComputedSide.OpenAsync(computed: true, now);
        var (withoutTotal, withTotal, withoutCpu, withCpu) = (TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        var quarters = new (TimeSpan Without, TimeSpan With)[4];
        for (var (from, i) = (0L, 0); from < messages; from += slice, i++)
        {
            var to = Math.Min(messages, from + slice);
            await without.CopyLakeAsync(source.Directory, from, to);
            await with.CopyLakeAsync(source.Directory, from, to);
            (TimeSpan Elapsed, TimeSpan Cpu) a, b;
            if (i % 2 == 0)
            {
                a = await without.CatchUpAsync(runSize);
                b = await with.CatchUpAsync(runSize);
            }
            else
            {
                b = await with.CatchUpAsync(runSize);
                a = await without.CatchUpAsync(runSize);
            }
            (withoutTotal, withTotal, withoutCpu, withCpu) = (withoutTotal + a.Elapsed, withTotal + b.Elapsed, withoutCpu + a.Cpu, withCpu + b.Cpu);
            var q = (int)(from * 4 / messages);
            quarters[q] = (quarters[q].Without + a.Elapsed, quarters[q].With + b.Elapsed);
        }
        static string Loss(TimeSpan without, TimeSpan with) => $"{(1 - without.TotalSeconds / with.TotalSeconds) * 100:N1}%";
        Console.WriteLine($"  (with: {with.RowsLine()})");
        Console.WriteLine($"  without: {withoutTotal.TotalSeconds:N1} s = {messages / withoutTotal.TotalSeconds:N0} messages/s; cpu time {withoutCpu.TotalSeconds:N1} s");
        Console.WriteLine($"  with 5 computed attributes: {withTotal.TotalSeconds:N1} s = {messages / withTotal.TotalSeconds:N0} messages/s; cpu time {withCpu.TotalSeconds:N1} s");
        Console.WriteLine($"  loss per quarter of the lake: {string.Join(" / ", quarters.Select(q => Loss(q.Without, q.With)))}");
        Console.WriteLine($"  loss: {Loss(withoutTotal, withTotal)} of the throughput (target < 10%); by cpu time {Loss(withoutCpu, withCpu)}");
        Console.WriteLine($"  peak memory of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024:N0} MB");
        return 0;
    }

    /// <summary>
    /// A fresh store for <c>unify --computed</c>, with its unification session and runner kept open (the identity graph in memory),
    /// without or with the five computed attributes active (backfill done: the live stage does it all). "Now" is the lake's end,
    /// so the windows hold its last hours, days and weeks.
    /// </summary>
    private sealed class ComputedSide : IAsyncDisposable
    {
        private SqliteConnection _reading = null!;
        private SqliteUnificationSession _session = null!;
        private SqliteUnificationStore _store = null!;
        private UnificationRunner _runner = null!;
        private long _checkpoint;

        public string Directory { get; private init; } = "";

        public SqliteConnection Connection { get; private set; } = null!;

        public static async Task<ComputedSide> OpenAsync(bool computed, DateTime now)
        {
            var side = new ComputedSide { Directory = System.IO.Directory.CreateTempSubdirectory("profilestudio-unify-").FullName };
            var connectionString = SqliteDatabase.ConnectionString(side.Directory);
            var catalog = new ComputedDefinitionCatalog();
            await using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options))
            {
                await db.Database.MigrateAsync();
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
                db.Sources.AddRange(
                    new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "w", WriteKeyHint = "w" },
                    new Source { Name = "CRM", Kind = SourceKind.Batch, WriteKeyHash = "c", WriteKeyHint = "c" });
                if (computed)
                {
                    var definitions = ComputedBenchmark.Definitions(viewsOnly: true);
                    foreach (var d in definitions)
                    {
                        d.BackfillDone = true;
                    }
                    db.ComputedAttributeDefinitions.AddRange(definitions);
                }
                await db.SaveChangesAsync();
                catalog.Publish(await db.ComputedAttributeDefinitions.AsNoTracking().Select(d => d).ToListAsync() is var stored ? stored.Select(d => d.ToSpec()) : []);
            }
            (side._reading, side.Connection) = await SqliteUnificationStorage.OpenConnectionsAsync(connectionString, CancellationToken.None);
            var pipeline = computed ? UnificationPipeline.Default.WithComputedAttributes(catalog) : UnificationPipeline.Default;
            side._store = new SqliteUnificationStore(side.Connection, pipeline: pipeline);
            var clock = new FixedClock(now);
            side._session = new SqliteUnificationSession(side._reading, side.Connection, clock, pipeline: pipeline);
            side._runner = new UnificationRunner(side._session, new UnificationEngine(side._store.RestoreGraph(IdentityRules.Default), pipeline: pipeline), clock);
            return side;
        }

        /// <summary>Unifies what the lake holds beyond the last catch-up: wall and process CPU time.</summary>
        public async Task<(TimeSpan Elapsed, TimeSpan Cpu)> CatchUpAsync(int runSize)
        {
            var stopwatch = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            (_checkpoint, _) = await _runner.CatchUpAsync(_checkpoint, runSize, null, CancellationToken.None);
            return (stopwatch.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
        }

        /// <summary>Copies the lake rows after the first <paramref name="from"/> up to <paramref name="to"/> from another store's lake, on a connection of its own.</summary>
        public async Task CopyLakeAsync(string sourceDirectory, long from, long to)
        {
            await using var copy = new SqliteConnection(SqliteDatabase.ConnectionString(Directory));
            await copy.OpenAsync();
            using var command = copy.CreateCommand();
            command.CommandText = "ATTACH DATABASE $source AS source; " +
                "INSERT INTO RawMessages SELECT * FROM source.RawMessages WHERE Id > $from AND Id <= $to ORDER BY Id; DETACH DATABASE source;";
            command.Parameters.AddWithValue("$source", Path.Combine(sourceDirectory, SqliteDatabase.FileName));
            command.Parameters.AddWithValue("$from", from);
            command.Parameters.AddWithValue("$to", to);
            await command.ExecuteNonQueryAsync();
        }

        /// <summary>How many computed rows, and their sizes.</summary>
        public string RowsLine()
        {
            using var count = Connection.CreateCommand();
            count.CommandText = "SELECT count(*), coalesce(avg(length(Entries)), 0), coalesce(max(length(Entries)), 0) FROM ComputedProfileStates";
            using var row = count.ExecuteReader();
            row.Read();
            return $"{row.GetInt64(0):N0} profiles' computed rows of {row.GetDouble(1):N0} bytes on average, {row.GetInt64(2):N0} at most";
        }

        public async ValueTask DisposeAsync()
        {
            if (_runner is not null)
            {
                await _runner.DisposeAsync();
                await _session.DisposeAsync();
                _store.Dispose();
            }
            await (_reading?.DisposeAsync() ?? ValueTask.CompletedTask);
            await (Connection?.DisposeAsync() ?? ValueTask.CompletedTask);
            SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static readonly DateTime LakeStart = new(2026, 10, 1, 0, 0, 0, DateTimeKind.Utc);

    private sealed class FixedClock(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now);
    }

    /// <summary>
    /// Commits a one-row write on a connection of its own every <paramref name="everyMs"/> ms until <paramref name="stop"/>, as the
    /// lake's appender does under live traffic. In WAL mode a commit by another connection makes every other connection empty its
    /// page cache at its next read, the unification writer's 256 MB included; with the lake written beforehand, nothing else
    /// commits in this benchmark, so this shows what that costs the runs. Returns the commits made.
    /// </summary>
    private static async Task<int> OtherCommitsAsync(string connectionString, int everyMs, CancellationToken stop)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout=30000; INSERT INTO BenchOtherCommits (At) VALUES ($at)";
        var at = command.Parameters.Add("$at", SqliteType.Integer);
        var commits = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(everyMs));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                at.Value = Environment.TickCount64;
                await command.ExecuteNonQueryAsync(stop);
                commits++;
            }
        }
        catch (OperationCanceledException)
        {
            // Unification is done.
        }
        return commits;
    }

    /// <summary>
    /// The union-schema consumer as the change-feed host runs it: rows after its position, 5,000 at a time,
    /// handed to the consumer (which saves them in parts); stops once unification is done and it has read the whole feed. Returns
    /// the time spent handling rows.
    /// </summary>
    private static async Task<TimeSpan> SchemaConsumerAsync(string connectionString, CancellationToken unified)
    {
        var factory = new PooledDbContextFactory<ProfileStudioDbContext>(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options);
        var maintainer = new SchemaMaintainer(factory, TimeProvider.System, NullLogger<SchemaMaintainer>.Instance);
        await maintainer.RecountAsync(); // the back-fill on an empty store, as on a first start
        var consumer = new SchemaConsumer(maintainer);
        var handling = TimeSpan.Zero;
        var position = 0L;
        var options = new ChangeFeedOptions();
        while (true)
        {
            var done = unified.IsCancellationRequested; // read before the feed, so the last rows are not missed
            List<ProfileChange> rows;
            await using (var db = await factory.CreateDbContextAsync())
            {
                rows = await db.ProfileChanges.AsNoTracking().Where(c => c.Id > position).OrderBy(c => c.Id).Take(options.BatchSize).ToListAsync();
            }
            if (rows.Count == 0)
            {
                if (done)
                {
                    return handling;
                }
                await Task.Delay(ChangeFeedHost.PollInterval / 10);
                continue;
            }
            var stopwatch = Stopwatch.StartNew();
            await consumer.HandleAsync(rows, CancellationToken.None);
            handling += stopwatch.Elapsed;
            position = rows[^1].Id;
        }
    }

    internal static void Report(SqliteConnection connection, int messages, TimeSpan elapsed, string what)
    {
        long Scalar(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (long)command.ExecuteScalar()!;
        }
        Console.WriteLine($"  {what}: {elapsed.TotalSeconds:N1} s = {messages / elapsed.TotalSeconds:N0} messages/s");
        Console.WriteLine($"  result: {Scalar("SELECT count(*) FROM Profiles WHERE MergedIntoId IS NULL"):N0} profiles, {Scalar("SELECT count(*) FROM Identities"):N0} identities, " +
            $"{Scalar("SELECT count(*) FROM ProfileEvents"):N0} events, {Scalar("SELECT count(*) FROM ProfileAttributes"):N0} attribute fragments, " +
            $"{Scalar("SELECT count(*) FROM IdentityInsights WHERE Kind = 'merged'"):N0} merges, {Scalar("SELECT count(*) FROM IdentityInsights WHERE Kind = 'refused'"):N0} refused");
    }

    /// <summary>People browse anonymously on 1–3 devices, most sign in at some point, and a CRM knows many by e-mail and phone.</summary>
    /// <summary>A fresh bench store: migrated, in WAL mode, with the lake's two sources (Web, streaming; CRM, batch) unless told not to.</summary>
    public static async Task MigrateAsync(string connectionString, bool sources = true)
    {
        await using var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options);
        await db.Database.MigrateAsync();
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        // As the app's migrator does: the tables consumers derive (dashboard, schema, segments) in their own files.
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString()))
        {
            connection.Open();
            SqliteConsumerTables.Reconcile(connection);
            SqliteConsumerTables.MoveOut(connection);
        }
        if (sources)
        {
            db.Sources.AddRange(
                new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "w", WriteKeyHint = "w" },
                new Source { Name = "CRM", Kind = SourceKind.Batch, WriteKeyHash = "c", WriteKeyHint = "c" });
            await db.SaveChangesAsync();
        }
    }

    internal static void WriteLake(SqliteConnection connection, int messages, int people)
    {
        var random = new Random(7);
        var signedIn = new bool[people];
        var start = new DateTime(2026, 10, 1, 0, 0, 0, DateTimeKind.Utc);
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES ($s, $m, $t, $r, $e, $p, 1)";
        var p = new[] { "$s", "$m", "$t", "$r", "$e", "$p" }.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        for (var i = 0; i < messages; i++)
        {
            var person = random.Next(people);
            var device = $"dev-{person}-{random.Next(1 + person % 3)}";
            var at = start.AddSeconds(i * 2.5);
            string type;
            object payload;
            var roll = random.Next(100);
            if (roll < 6 && person % 10 < 6)
            {
                type = "identify";
                signedIn[person] = true;
                payload = new { type, userId = $"user-{person}", anonymousId = device, traits = new { email = $"person{person}@example.com", name = $"Person {person}", plan = roll % 2 == 0 ? "pro" : "free" } };
            }
            else if (roll < 9)
            {
                type = "identify"; // a CRM record: e-mail in upper case, phone in a local format
                payload = new
                {
                    type,
                    context = new { externalIds = new object[] { new { id = $"CRM-{person}", type = "crm_id" }, new { id = $"PERSON{person}@EXAMPLE.COM", type = "email" } } },
                    traits = new { city = $"City {person % 100}", phone = $"07700 {person % 1_000_000:000000}", vip = person % 13 == 0 },
                };
            }
            else
            {
                type = roll < 40 ? "page" : "track";
                var userId = signedIn[person] ? $"user-{person}" : null;
                payload = new { type, userId, anonymousId = device, @event = "Product Viewed", properties = new { sku = $"SKU-{roll}", price = roll * 1.5 } };
            }
            p[0].Value = roll is >= 6 and < 9 ? 2 : 1;
            p[1].Value = $"m{i}";
            p[2].Value = type;
            p[3].Value = at;
            p[4].Value = at;
            p[5].Value = JsonSerializer.Serialize(payload);
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }
}
