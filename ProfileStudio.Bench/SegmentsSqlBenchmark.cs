using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Bench;

/// <summary>
/// The all-profiles path of segments (<see cref="SegmentSql"/>): N profiles and 10·N events bulk-loaded
/// straight into a migrated SQLite file, then a 10-condition rule counted (the live estimate), with the
/// query plan SQLite chose.
/// </summary>
internal static class SegmentsSqlBenchmark
{
    internal static readonly DateTime Now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Countries = ["France", "Germany", "Spain", "Italy", "United Kingdom", "Portugal", "Poland", "Netherlands"];
    private static readonly string[] Plans = ["free", "pro", "team", "enterprise"];

    // Event names and their share of the traffic (per mille).
    private static readonly (string Name, int Share)[] Events =
        [("Page Viewed", 400), ("Product Viewed", 250), ("Added to Cart", 150), ("Order Completed", 100), ("Searched", 100)];

    public static async Task<int> RunAsync(int profiles, string? keep, bool memory, bool conditions)
    {
        var directory = keep ?? Directory.CreateTempSubdirectory("profilestudio-segments-").FullName;
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, SqliteDatabase.FileName);
        Console.WriteLine($"segments-sql: {profiles:N0} profiles, {profiles * 10L:N0} events; {Environment.ProcessorCount} cores (shared); SQLite {SqliteVersion()}; database {file}");
        try
        {
            await EnsureSeededAsync(directory, profiles);

            await using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(directory));
            await connection.OpenAsync();
            Exec(connection, "PRAGMA cache_size = -262144"); // 256 MB page cache, as a server would keep warm
            var rule = Rule();
            Console.WriteLine("  rule: " + SegmentSentence.Describe(rule));
            var problems = SegmentRuleValidator.Validate(rule);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", problems.Select(p => p.Message)));
            }

            Plan(connection, SegmentSql.CountQuery(rule, Now));
            var timings = new List<double>();
            long count = 0;
            for (var run = 0; run < 3; run++)
            {
                var clock = Stopwatch.StartNew();
                count = await SegmentSql.CountAsync(connection, rule, Now);
                timings.Add(clock.Elapsed.TotalMilliseconds);
            }
            timings.Sort();
            Console.WriteLine($"  10-condition count: {count:N0} of {profiles:N0} profiles; runs {string.Join(" / ", timings.Select(t => $"{t:N0} ms"))} (median {timings[1]:N0} ms)");

            // Where the time goes: each condition alone.
            foreach (var condition in conditions ? ((GroupNode)rule.Root).Children : [])
            {
                var single = new SegmentRule(condition);
                var clock = Stopwatch.StartNew();
                var n = await SegmentSql.CountAsync(connection, single, Now);
                Console.WriteLine($"    {clock.Elapsed.TotalMilliseconds,7:N0} ms  {n,10:N0}  {SegmentSentence.Clause(condition, nested: false)}");
            }
            if (memory)
            {
                var inMemory = SegmentsMemoryPrototype.Run(connection, rule, Now);
                Console.WriteLine(inMemory == count ? "  in-memory count = SQL count" : $"  in-memory count {inMemory:N0} DIFFERS from SQL {count:N0}");
                return inMemory == count ? 0 : 1;
            }
            return 0;
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

    /// <summary>Migrates and bulk-loads the database in <paramref name="directory"/> unless it is there already.</summary>
    internal static async Task EnsureSeededAsync(string directory, int profiles)
    {
        var file = Path.Combine(directory, SqliteDatabase.FileName);
        if (File.Exists(file))
        {
            Console.WriteLine("  reusing the database already there");
            return;
        }
        await using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(SqliteDatabase.ConnectionString(directory)).Options))
        {
            await db.Database.MigrateAsync();
        }
        var load = Stopwatch.StartNew();
        Seed(directory, profiles);
        Console.WriteLine($"  loaded in {load.Elapsed.TotalSeconds:N0} s ({new FileInfo(file).Length / 1_048_576.0:N0} MB)");
    }

    internal static SegmentRule Rule() => new(new GroupNode("root", GroupKind.AllOf,
    [
        new AttributeCondition("country", "country", new ValueTest(ValueTestType.Text, ValueOperator.InList) { Texts = ["France", "Germany", "Spain"] }),
        new AttributeCondition("plan", "plan", new ValueTest(ValueTestType.Text, ValueOperator.NotEquals) { Text = "free" }),
        new AttributeCondition("ltv", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 100 }),
        new AttributeCondition("signup", "signup", new ValueTest(ValueTestType.Date, ValueOperator.WithinLastDays) { Days = 365 }),
        new IdentityCondition("email", "email", Has: true),
        new GroupNode("valuable", GroupKind.AnyOf,
        [
            new AttributeCondition("vip", "vip", new ValueTest(ValueTestType.Boolean, ValueOperator.IsTrue)),
            new AttributeCondition("ltv-high", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = 500, NumberTo = 999 }),
        ]),
        new EventCondition("orders", "Order Completed", true)
        {
            Properties = [new PropertyTest("currency", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "EUR" })],
            Window = new EventWindow(WindowKind.LastDays) { Amount = 90 },
        },
        new EventCondition("carts", "Added to Cart", false) { Window = new EventWindow(WindowKind.LastDays) { Amount = 7 } },
        new EventCondition("views", "Page Viewed", true)
        {
            Count = new EventCount(CountOperator.AtLeast, 2),
            Window = new EventWindow(WindowKind.LastDays) { Amount = 180 },
        },
    ]));

    private static void Plan(SqliteConnection connection, SegmentSqlCondition query)
    {
        using var command = SegmentSql.Command(connection, query with { Sql = "EXPLAIN QUERY PLAN " + query.Sql });
        using var reader = command.ExecuteReader();
        Console.WriteLine("  query plan:");
        while (reader.Read())
        {
            Console.WriteLine("    " + reader.GetString(3));
        }
    }

    /// <summary>Prepared statements bound by position, one transaction per chunk, rows in profile order.</summary>
    private static void Seed(string directory, int profiles)
    {
        using var db = new SqliteConnection(SqliteDatabase.ConnectionString(directory));
        db.Open();
        Exec(db, "PRAGMA synchronous = OFF");
        Exec(db, "PRAGMA cache_size = -262144");
        var random = new Random(13);
        const int chunk = 20_000;
        for (var start = 0; start < profiles; start += chunk)
        {
            using var tx = db.BeginTransaction();
            using var profile = new SqliteStatement(db, "INSERT INTO Profiles (Id, CreatedAt, UpdatedAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES (?1, ?2, ?2, ?3, 0, 0)");
            using var identity = new SqliteStatement(db, "INSERT INTO Identities (Namespace, Value, ProfileId, SourceId, FirstMessageId, LastMessageId, FirstSeenAt, LastSeenAt) VALUES (?1, ?2, ?3, 1, 0, 0, ?4, ?4)");
            using var attribute = new SqliteStatement(db, "INSERT INTO ProfileAttributes (ProfileId, SourceId, Key, ValueJson, EventAt, MessageId) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
            using var evt = new SqliteStatement(db, "INSERT INTO ProfileEvents (ProfileId, MessageId, SourceId, Type, Name, EventAt, PropertiesJson) VALUES (?1, 0, 1, 'track', ?2, ?3, ?4)");
            for (var i = start; i < Math.Min(profiles, start + chunk); i++)
            {
                long id = i + 1;
                var created = Now.AddMinutes(-random.Next(0, 2 * 365 * 24 * 60));
                // 2% merged into the previous profile: left out of every count.
                profile.Bind(1, id).Bind(2, created).Bind(3, i > 0 && random.Next(50) == 0 ? id - 1 : null).Execute();
                identity.Bind(1, "user_id").Bind(2, $"u{i}").Bind(3, id).Bind(4, created).Execute();
                if (random.Next(10) < 8)
                {
                    identity.Bind(1, "email").Bind(2, $"u{i}@example.com").Bind(3, id).Bind(4, created).Execute();
                }
                void Attribute(int source, string key, string json, DateTime at) =>
                    attribute.Bind(1, id).Bind(2, (long)source).Bind(3, key).Bind(4, json).Bind(5, at).Bind(6, id).Execute();
                Attribute(1, "country", $"\"{Countries[random.Next(Countries.Length)]}\"", created);
                if (random.Next(10) == 0)
                {
                    // A second source with an older value: the most recent one must win.
                    Attribute(2, "country", $"\"{Countries[random.Next(Countries.Length)]}\"", created.AddDays(-1));
                }
                Attribute(1, "plan", $"\"{Plans[random.Next(Plans.Length)]}\"", created);
                Attribute(1, "ltv", random.Next(0, 1000).ToString(CultureInfo.InvariantCulture), created);
                Attribute(1, "vip", random.Next(20) == 0 ? "true" : "false", created);
                Attribute(1, "signup", $"\"{created:yyyy-MM-ddTHH:mm:ssZ}\"", created);
                Attribute(1, "address.city", "\"Somewhere\"", created);
                var times = Enumerable.Range(0, 10).Select(_ => Now.AddSeconds(-random.Next(0, 365 * 24 * 3600))).Order().ToList();
                foreach (var at in times)
                {
                    var pick = random.Next(1000);
                    var name = Events[^1].Name;
                    foreach (var (n, share) in Events)
                    {
                        if (pick < share)
                        {
                            name = n;
                            break;
                        }
                        pick -= share;
                    }
                    var properties = name == "Order Completed"
                        ? $"{{\"amount\":{random.Next(5, 400)},\"currency\":\"{(random.Next(3) == 0 ? "USD" : "EUR")}\"}}"
                        : $"{{\"path\":\"/p/{random.Next(500)}\"}}";
                    evt.Bind(1, id).Bind(2, name).Bind(3, at).Bind(4, properties).Execute();
                }
            }
            tx.Commit();
        }
        Exec(db, "ANALYZE");
    }

    internal static string SqliteVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        return (string)command.ExecuteScalar()!;
    }

    private static void Exec(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
