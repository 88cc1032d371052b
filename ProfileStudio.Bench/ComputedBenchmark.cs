using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Bench;

/// <summary>
/// <c>computed</c>: the backfill of five computed attributes, one of each kind of window (all time, hours,
/// days, weeks, months), over a profile store bulk-loaded with P profiles and E timeline events (the last
/// 120 days; 60% Product Viewed, 15% Order Completed, 25% Page Viewed, which no definition reads), as
/// the backfill job does it: chunks of profiles, each one write transaction. Prints the time, profiles/s,
/// events/s, peak memory and the conditions.
/// </summary>
internal static class ComputedBenchmark
{
    /// <summary>The five definitions, one per kind of window; the unify benchmark's --computed uses them too.</summary>
    public static ComputedAttributeDefinition[] Definitions(bool viewsOnly = false)
    {
        // The unify benchmark's lake has only Product Viewed events (sku, price).
        string[] orders = viewsOnly ? ["Product Viewed"] : ["Order Completed"];
        return
        [
            Definition("lifetime_value", ComputedFunction.Sum, orders, "price", LookbackWindow.AllTime),
            Definition("views_24h", ComputedFunction.Count, ["Product Viewed"], null, LookbackWindow.Hours(24)),
            Definition("top_category_7d", ComputedFunction.MostFrequent, ["Product Viewed"], viewsOnly ? "sku" : "category", LookbackWindow.Days(7)),
            Definition("max_order_4w", ComputedFunction.Max, orders, "price", LookbackWindow.Weeks(4)),
            Definition("distinct_skus_3m", ComputedFunction.CountDistinct, ["Product Viewed", "Order Completed"], "sku", LookbackWindow.Months(3)),
        ];
    }

    private static ComputedAttributeDefinition Definition(string name, ComputedFunction function, string[] events, string? path, LookbackWindow window) => new()
    {
        Name = name, Function = function, EventNames = events, PropertyPath = path, Conditions = [],
        WindowUnit = window.Unit, WindowSize = window.Size, Status = ComputedStatus.Active, Version = 1, BackfillVersion = 1,
        CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, UpdatedBy = "bench",
    };

    public static async Task<int> RunAsync(int profiles, int events, int chunk)
    {
        var directory = Directory.CreateTempSubdirectory("profilestudio-computed-").FullName;
        try
        {
            var connectionString = SqliteDatabase.ConnectionString(directory);
            await using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options))
            {
                await db.Database.MigrateAsync();
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            }
            var stopwatch = Stopwatch.StartNew();
            var now = DateTime.UtcNow;
            var (reading, connection) = await SqliteUnificationStorage.OpenConnectionsAsync(connectionString, CancellationToken.None);
            await using var _ = reading;
            await using var __ = connection;
            Seed(connection, profiles, events, now);
            Console.WriteLine($"computed: {profiles:N0} profiles, {events:N0} events loaded in {stopwatch.Elapsed.TotalSeconds:N1} s; " +
                $"{Environment.ProcessorCount} cores, chunks of {chunk:N0} profiles");
            await using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options))
            {
                db.ComputedAttributeDefinitions.AddRange(Definitions());
                await db.SaveChangesAsync();
            }

            stopwatch.Restart();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            using var maintenance = new ComputedAttributeMaintenance(connection, TimeProvider.System, reading: reading);
            var done = maintenance.BackfillAll(chunk);
            var elapsed = stopwatch.Elapsed;
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;

            using var count = connection.CreateCommand();
            count.CommandText = "SELECT count(*) FROM ComputedProfileStates";
            var states = (long)count.ExecuteScalar()!;
            Console.WriteLine($"  backfill of 5 computed attributes (all time, 24 hours, 7 days, 4 weeks, 3 months): {elapsed.TotalSeconds:N1} s (target < 60 s)");
            Console.WriteLine($"  = {done / elapsed.TotalSeconds:N0} profiles/s, {events / elapsed.TotalSeconds:N0} events/s; {states:N0} profiles' rows written; " +
                $"cpu time {cpu.TotalSeconds:N1} s (both cores; less disturbed by other load than the elapsed time)");
            Console.WriteLine($"  peak memory of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024:N0} MB");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static readonly string[] Categories = ["tents", "boots", "jackets", "stoves", "packs", "maps", "lamps", "ropes"];

    /// <summary>Profiles and their events straight into the tables, in profile order (as a store grown over time reads back).</summary>
    private static void Seed(SqliteConnection connection, int profiles, int events, DateTime now)
    {
        var random = new Random(12);
        using var transaction = connection.BeginTransaction();
        using var profile = connection.CreateCommand();
        profile.Transaction = transaction;
        profile.CommandText = "INSERT INTO Profiles (Id, CreatedAt, UpdatedAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES ($1, $2, $2, NULL, 0, 0)";
        var pp = new[] { "$1", "$2" }.Select(n => profile.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        using var evt = connection.CreateCommand();
        evt.Transaction = transaction;
        evt.CommandText = "INSERT INTO ProfileEvents (ProfileId, MessageId, SourceId, Type, Name, EventAt, PropertiesJson) VALUES ($1, $2, 1, 'track', $3, $4, $5)";
        var ep = new[] { "$1", "$2", "$3", "$4", "$5" }.Select(n => evt.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        var message = 0L;
        var start = now.AddDays(-120);
        for (var p = 1; p <= profiles; p++)
        {
            pp[0].Value = p;
            pp[1].Value = start;
            profile.ExecuteNonQuery();
            // Exactly E events in all: the remainder goes to the first profiles.
            var mine = events / profiles + (p <= events % profiles ? 1 : 0);
            for (var i = 0; i < mine; i++)
            {
                var roll = random.Next(100);
                var (name, json) = roll < 60
                    ? ("Product Viewed", $"{{\"sku\":\"SKU-{random.Next(500)}\",\"category\":\"{Categories[random.Next(Categories.Length)]}\",\"price\":{(random.Next(100, 20000) / 100m).ToString(CultureInfo.InvariantCulture)}}}")
                    : roll < 75
                        ? ("Order Completed", $"{{\"order_id\":\"O{message}\",\"sku\":\"SKU-{random.Next(500)}\",\"price\":{(random.Next(100, 40000) / 100m).ToString(CultureInfo.InvariantCulture)},\"currency\":\"GBP\"}}")
                        : ("Page Viewed", "{\"path\":\"/shop\",\"title\":\"Shop\"}");
                ep[0].Value = p;
                ep[1].Value = ++message;
                ep[2].Value = name;
                ep[3].Value = start.AddSeconds(random.NextDouble() * 120 * 86400);
                ep[4].Value = json;
                evt.ExecuteNonQuery();
            }
        }
        transaction.Commit();
    }
}
