using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Dashboard;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Bench;

/// <summary>
/// The dashboard at N profiles: bulk-loads profiles (first seen over two years, 2% merged), 1-4 identities each
/// over five namespaces, a year of hourly source counts, identity insights, an active computed attribute with a
/// value on half the profiles, and 5 active segments. Then times a full snapshot refresh (the periodic job and
/// the refresh button), the page's data load (what a page view reads), and, during a refresh, how long small
/// write transactions (the shape of a unification commit) wait: the refresh must not hold them up.
/// </summary>
public static class DashboardBenchmark
{
    private static readonly DateTime Now = DateTime.UtcNow;
    private static readonly string[] Namespaces = ["anonymous_id", "user_id", "email", "phone", "crm_id"];

    public static async Task<int> RunAsync(int profiles, string? keep)
    {
        var directory = keep ?? Directory.CreateTempSubdirectory("profilestudio-dashboard-").FullName;
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, SqliteDatabase.FileName);
        Console.WriteLine($"dashboard: {profiles:N0} profiles; {Environment.ProcessorCount} cores (shared); database {file}");
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ProfileStudio:DataDirectory"] = directory }).Build();
            await using var services = new ServiceCollection().AddLogging().AddProfileStudioCore(configuration).BuildServiceProvider();
            var dbFactory = services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();
            if (!File.Exists(file) || new FileInfo(file).Length < 100_000)
            {
                await using (var db = await dbFactory.CreateDbContextAsync())
                {
                    await db.Database.MigrateAsync();
                    await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;"); // as the app's migrator sets it
                }
                var load = Stopwatch.StartNew();
                await SeedAsync(dbFactory, directory, profiles);
                Console.WriteLine($"  loaded in {load.Elapsed.TotalSeconds:N0} s ({new FileInfo(file).Length / 1_048_576.0:N0} MB)");
            }
            else
            {
                Console.WriteLine("  reusing the database already there");
            }
            await using (var db = await dbFactory.CreateDbContextAsync())
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            }
            var snapshots = services.GetRequiredService<DashboardSnapshots>();

            var refreshes = new List<double>();
            for (var run = 0; run < 2; run++)
            {
                var clock = Stopwatch.StartNew();
                await snapshots.RefreshAsync();
                refreshes.Add(clock.Elapsed.TotalSeconds);
            }
            var view = await snapshots.ViewAsync(IdentityStitching.Graph, 365);
            Console.WriteLine($"  full snapshot refresh: {string.Join(" / ", refreshes.Select(s => $"{s:N1} s"))} (target ≤ 30 s); {view.Profiles:N0} live profiles, " +
                $"{view.Figures.Namespaces.Count} namespaces, {view.Figures.Audiences.Segments.Count} segments, unsegmented {view.Figures.Audiences.Unsegmented:N0}");

            var loads = new List<double>();
            foreach (var (stitching, days) in new[] { (IdentityStitching.Graph, 30), (IdentityStitching.Graph, 90), (IdentityStitching.Graph, 365), (IdentityStitching.None, 90), (IdentityStitching.Graph, 90), (IdentityStitching.None, 365), (IdentityStitching.Graph, 30) })
            {
                var clock = Stopwatch.StartNew();
                await snapshots.ViewAsync(stitching, days);
                loads.Add(clock.Elapsed.TotalMilliseconds);
            }
            var sorted = loads.Order().ToList();
            Console.WriteLine($"  page data load: median {sorted[sorted.Count / 2]:N0} ms, max {sorted[^1]:N0} ms over {loads.Count} loads (target ≤ 300 ms)");

            // Writers during a refresh: a small transaction every 20 ms on its own connection, as a unification commit.
            await using var writer = new SqliteConnection(SqliteDatabase.ConnectionString(directory));
            await writer.OpenAsync();
            Exec(writer, "CREATE TABLE IF NOT EXISTS BenchWrites (Id INTEGER PRIMARY KEY, At TEXT)");
            var waits = new List<double>();
            var refresh = Task.Run(() => snapshots.RefreshAsync());
            var during = Stopwatch.StartNew();
            while (!refresh.IsCompleted)
            {
                var clock = Stopwatch.StartNew();
                using (var tx = writer.BeginTransaction())
                {
                    using var insert = writer.CreateCommand();
                    insert.Transaction = tx;
                    insert.CommandText = "INSERT INTO BenchWrites (At) VALUES (datetime('now'))";
                    insert.ExecuteNonQuery();
                    tx.Commit();
                }
                waits.Add(clock.Elapsed.TotalMilliseconds);
                await Task.Delay(20);
            }
            await refresh;
            waits.Sort();
            Console.WriteLine($"  {waits.Count} write transactions during a {during.Elapsed.TotalSeconds:N1} s refresh: p50 {waits[waits.Count / 2]:N1} ms, " +
                $"p95 {waits[(int)(waits.Count * 0.95)]:N1} ms, max {waits[^1]:N1} ms");
            return refreshes.Max() <= 30 && sorted[^1] <= 300 ? 0 : 1;
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

    private static async Task SeedAsync(IDbContextFactory<ProfileStudioDbContext> dbFactory, string directory, int profiles)
    {
        int definitionId;
        var segmentIds = new List<long>();
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            db.Sources.AddRange(Enumerable.Range(1, 4).Select(i => new ProfileStudio.Core.Sources.Source { Name = $"Source {i}", WriteKeyHash = $"k{i}", WriteKeyHint = $"k{i}" }));
            // Backfilled already: the values below are its steady state.
            var definition = new ComputedAttributeDefinition
            {
                Name = "lifetime_value", Function = ComputedFunction.Sum, Status = ComputedStatus.Active, Version = 1,
                BackfillVersion = 1, BackfillDone = true, BackfillCursor = long.MaxValue, BackfillStartedAt = Now, BackfillFinishedAt = Now,
            };
            db.ComputedAttributeDefinitions.Add(definition);
            var segments = Enumerable.Range(1, 5).Select(i => new Segment { Name = $"Segment {i}", Status = SegmentStatus.Active, RuleJson = "{}", CreatedAt = Now, UpdatedAt = Now }).ToList();
            // (the bench's database predates this line when reused with --keep: pass a new DIR after changing the seed)
            db.Segments.AddRange(segments);
            await db.SaveChangesAsync();
            definitionId = definition.Id;
            segmentIds.AddRange(segments.Select(s => s.Id));
        }
        using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(directory));
        connection.Open();
        Exec(connection, "PRAGMA synchronous = OFF");
        var random = new Random(17);
        const int chunk = 20_000;
        var members = new long[segmentIds.Count];
        for (var start = 0; start < profiles; start += chunk)
        {
            using var tx = connection.BeginTransaction();
            using var profile = new SqliteStatement(connection, "INSERT INTO Profiles (Id, CreatedAt, UpdatedAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES (?1, ?2, ?2, ?3, 0, 0)");
            using var identity = new SqliteStatement(connection, "INSERT INTO Identities (Namespace, Value, ProfileId, SourceId, FirstMessageId, LastMessageId, FirstSeenAt, LastSeenAt) VALUES (?1, ?2, ?3, 1, 0, 0, ?4, ?4)");
            using var state = new SqliteStatement(connection, "INSERT INTO ComputedProfileStates (ProfileId, Entries) VALUES (?1, ?2)");
            using var member = new SqliteStatement(connection, "INSERT INTO SegmentMemberships (ProfileId, SegmentId, Since) VALUES (?1, ?2, ?3)");
            using var insight = new SqliteStatement(connection, "INSERT INTO IdentityInsights (At, Kind, ProfileId, Detail) VALUES (?1, ?2, ?3, '')");
            for (var i = start; i < Math.Min(profiles, start + chunk); i++)
            {
                long id = i + 1;
                var created = Now.AddMinutes(-random.Next(0, 2 * 365 * 24 * 60));
                var merged = i > 0 && random.Next(50) == 0;
                profile.Bind(1, id).Bind(2, created).Bind(3, merged ? id - 1 : null).Execute();
                if (merged)
                {
                    continue; // its identities moved to the survivor
                }
                var count = random.Next(1, 5);
                for (var n = 0; n < Namespaces.Length && count > 0; n++)
                {
                    if (n == 0 || random.Next(2) == 0)
                    {
                        identity.Bind(1, Namespaces[n]).Bind(2, $"{Namespaces[n]}-{i}").Bind(3, id).Bind(4, created).Execute();
                        count--;
                    }
                }
                if (random.Next(2) == 0)
                {
                    var value = random.Next(0, 2000).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    state.Bind(1, id).Bind(2, ComputedEntries.Encode([new ComputedEntry(definitionId, 1, ReadOnlyMemory<byte>.Empty, value, Now, null)])).Execute();
                }
                for (var s = 0; s < segmentIds.Count; s++)
                {
                    if (random.Next(s + 2) == 0)
                    {
                        member.Bind(1, id).Bind(2, segmentIds[s]).Bind(3, created).Execute();
                        members[s]++;
                    }
                }
                if (random.Next(5) == 0)
                {
                    insight.Bind(1, Now.AddMinutes(-random.Next(0, 400 * 24 * 60))).Bind(2, random.Next(3) switch { 0 => "merged", 1 => "refused", _ => "blocked" }).Bind(3, id).Execute();
                }
            }
            tx.Commit();
        }
        using (var tx = connection.BeginTransaction())
        {
            using var stats = new SqliteStatement(connection, "INSERT INTO SourceHourlyStats (SourceId, Hour, Received, Accepted, Rejected, LastMessageAt) VALUES (?1, ?2, ?3, ?3, ?4, ?2)");
            for (var hour = 0; hour < 400 * 24; hour++)
            {
                var at = Now.Date.AddHours(-hour);
                for (var source = 1; source <= 4; source++)
                {
                    stats.Bind(1, (long)source).Bind(2, at).Bind(3, (long)random.Next(100, 5000)).Bind(4, (long)random.Next(0, 20)).Execute();
                }
            }
            for (var s = 0; s < segmentIds.Count; s++)
            {
                Exec(connection, $"UPDATE Segments SET MemberCount = {members[s]} WHERE Id = {segmentIds[s]}", tx);
            }
            tx.Commit();
        }
        Exec(connection, "ANALYZE");
    }

    private static void Exec(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        command.ExecuteNonQuery();
    }
}
