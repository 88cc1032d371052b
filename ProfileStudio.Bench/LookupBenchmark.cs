using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;
using ProfileStudio.Testing;

namespace ProfileStudio.Bench;

/// <summary>
/// Profile API reads at scale: a profile store of <c>profiles</c> profiles (two identities and five
/// attributes each) and <c>events</c> events written straight into SQLite, then concurrent
/// <c>GET /api/v1/profiles/user_id:…/traits</c> for random people against the real server for a fixed
/// time. Prints p50/p95/p99 latency and requests/s with the conditions.
/// </summary>
internal static class LookupBenchmark
{
    private const string Token = "pst_bench_lookup_000000000000000000001";
    private const int Chunk = 50_000;

    public static async Task<int> RunAsync(int profiles, int events, int seconds, int clients)
    {
        Console.WriteLine($"lookup: {profiles:N0} profiles (2 identities, 5 attributes each), {events:N0} events; {clients} concurrent clients for {seconds} s of GET .../traits by random user_id; {Environment.ProcessorCount} cores shared by client and server");
        var settings = new Dictionary<string, string>
        {
            ["ProfileStudio__Bootstrap__ApiTokens__0__Name"] = "Bench",
            ["ProfileStudio__Bootstrap__ApiTokens__0__Token"] = Token,
            ["ProfileStudio__Bootstrap__ApiTokens__0__Scopes__0"] = "profiles:read",
            // The per-token limit protects a shared server; the benchmark measures the server itself.
            ["ProfileStudio__Api__RequestsPerSecondPerToken"] = "1000000",
            ["ProfileStudio__Api__BurstPerToken"] = "1000000",
        };
        var directory = Directory.CreateTempSubdirectory("profilestudio-lookup-").FullName;
        try
        {
            // Start once so the server migrates the database and provisions the source and token, then stop it to load.
            var first = await ServerProcess.StartAsync(settings, directory);
            await first.KillAsync();
            await first.DisposeAsync();
            var load = Stopwatch.StartNew();
            Seed(directory, profiles, events);
            Console.WriteLine($"  loaded in {load.Elapsed.TotalSeconds:N0} s ({new FileInfo(Path.Combine(directory, "profilestudio.db")).Length / 1_048_576.0:N0} MB database)");

            await using var server = await ServerProcess.StartAsync(settings, directory);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
            using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

            await DriveAsync(http, profiles, clients, TimeSpan.FromSeconds(5)); // warm-up: JIT, caches, connections
            var (latencies, failures, elapsed) = await DriveAsync(http, profiles, clients, TimeSpan.FromSeconds(seconds));
            latencies.Sort();
            double P(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
            Console.WriteLine($"  {latencies.Count:N0} requests in {elapsed.TotalSeconds:N1} s: {latencies.Count / elapsed.TotalSeconds:N0} requests/s, {failures} failed");
            Console.WriteLine($"  latency p50 {P(0.50):N2} ms, p95 {P(0.95):N2} ms, p99 {P(0.99):N2} ms, max {latencies.LastOrDefault():N1} ms; server peak RSS {server.PeakRssMb():N0} MB");
            await StudioReadsAsync(directory);
            await PageRenderAsync(server.BaseAddress);
            return failures == 0 ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<(List<double> Latencies, long Failures, TimeSpan Elapsed)> DriveAsync(HttpClient http, int profiles, int clients, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        long failures = 0;
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            var latencies = new List<double>(100_000);
            while (clock.Elapsed < duration)
            {
                var person = random.Next(profiles);
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync($"/api/v1/profiles/user_id:u{person}/traits");
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
            return latencies;
        })));
        return (perClient.SelectMany(l => l).ToList(), failures, clock.Elapsed);
    }

    /// <summary>Bulk insert with prepared statements, one transaction per chunk, in profile order (index appends stay local).</summary>
    private static void Seed(string directory, int profiles, int events)
    {
        using var db = new SqliteConnection(SqliteDatabase.ConnectionString(directory));
        db.Open();
        Exec(db, "PRAGMA synchronous = OFF");
        Exec(db, "PRAGMA cache_size = -262144");
        var sourceId = Convert.ToInt32(Scalar(db, "SELECT Id FROM Sources ORDER BY Id LIMIT 1"));
        var t0 = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        string[] plans = ["free", "pro", "team", "enterprise"];
        string[] cities = ["London", "Paris", "Berlin", "Madrid", "Rome", "Lisbon"];
        string[] names = ["Viewed", "Added to cart", "Bought", "Searched", "Signed in"];
        var perProfile = events / Math.Max(1, profiles);
        var extra = events - perProfile * profiles;

        for (var start = 0; start < profiles; start += Chunk)
        {
            using var tx = db.BeginTransaction();
            using var profile = Prepare(db, tx, "INSERT INTO Profiles (Id, CreatedAt, UpdatedAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES ($1, $2, $3, NULL, 0, 0)", 3);
            using var identity = Prepare(db, tx, "INSERT INTO Identities (Namespace, Value, ProfileId, SourceId, FirstMessageId, LastMessageId, FirstSeenAt, LastSeenAt) VALUES ($1, $2, $3, $4, 0, 0, $5, $5)", 5);
            using var attribute = Prepare(db, tx, "INSERT INTO ProfileAttributes (ProfileId, SourceId, Key, ValueJson, EventAt, MessageId) VALUES ($1, $2, $3, $4, $5, 0)", 5);
            using var evt = Prepare(db, tx, "INSERT INTO ProfileEvents (ProfileId, MessageId, SourceId, Type, Name, EventAt, PropertiesJson) VALUES ($1, 0, $2, 'track', $3, $4, $5)", 5);
            for (var i = start; i < Math.Min(profiles, start + Chunk); i++)
            {
                long id = i + 1;
                var created = t0.AddMinutes(i % 500_000);
                Run(profile, id, created, created.AddDays(30));
                Run(identity, "user_id", $"u{i}", id, sourceId, created);
                Run(identity, "email", $"u{i}@example.com", id, sourceId, created);
                Run(attribute, id, sourceId, "email", $"\"u{i}@example.com\"", created);
                Run(attribute, id, sourceId, "name", $"\"Person {i}\"", created);
                Run(attribute, id, sourceId, "plan", $"\"{plans[i % plans.Length]}\"", created);
                Run(attribute, id, sourceId, "address.city", $"\"{cities[i % cities.Length]}\"", created);
                Run(attribute, id, sourceId, "ltv", (i % 1000).ToString(System.Globalization.CultureInfo.InvariantCulture), created);
                var count = perProfile + (i < extra ? 1 : 0);
                for (var e = 0; e < count; e++)
                {
                    Run(evt, id, sourceId, names[(i + e) % names.Length], created.AddHours(e), "{\"n\":" + e + "}");
                }
            }
            tx.Commit();
        }
        // One heavy profile for the profile page's figure: profile 1 gets HeavyEvents more events.
        using (var tx = db.BeginTransaction())
        {
            using var evt = Prepare(db, tx, "INSERT INTO ProfileEvents (ProfileId, MessageId, SourceId, Type, Name, EventAt, PropertiesJson) VALUES ($1, 0, $2, 'track', $3, $4, $5)", 5);
            for (var e = 0; e < HeavyEvents; e++)
            {
                Run(evt, 1L, sourceId, names[e % names.Length], t0.AddMinutes(e * 37), "{\"n\":" + e + "}");
            }
            tx.Commit();
        }
        Exec(db, "ANALYZE");
    }

    private const int HeavyEvents = 5_000;

    /// <summary>
    /// The studio's reads on the same store, in this process with the Core services the server uses:
    /// the explorer's list and searches, and everything the profile page loads before its first render
    /// (header, attributes with lineage, identity graph, first page of the timeline, activity, event names)
    /// for a profile with 5,000+ events. Median of 7 after a warm-up.
    /// </summary>
    private static async Task StudioReadsAsync(string directory)
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ProfileStudio:DataDirectory"] = directory }).Build();
        await using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddLogging()
            .AddProfileStudioCore(configuration).BuildServiceProvider();
        T Get<T>() where T : notnull => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<T>(services);
        var list = Get<ProfileDirectory>();
        var explorer = Get<ProfileExplorerReader>();
        var reader = Get<ProfileReader>();
        var graphs = Get<ProfileStudio.Core.Identity.IdentityReader>();
        var policy = await Get<ProfileStudio.Core.MergePolicies.MergePolicyStore>().GetDefaultAsync();

        async Task<double> MedianAsync(Func<Task> read)
        {
            await read();
            var times = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                await read();
                times.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return times[3];
        }
        async Task Line(string what, Func<Task> read) => Console.WriteLine($"  {what}: {await MedianAsync(read):N1} ms");

        Console.WriteLine("  studio reads (median of 7, in-process, same store):");
        await Line("explorer, first page by last activity (with count)", () => list.PageAsync(null, ProfileSort.LastActivityNewest, 0, 25));
        await Line("explorer, first page by created", () => list.PageAsync(null, ProfileSort.CreatedNewest, 0, 25));
        await Line("explorer, page 2,000 by last activity", () => list.PageAsync(null, ProfileSort.LastActivityNewest, 50_000, 25));
        await Line("explorer, search email:u777777@example.com", () => list.PageAsync("email:u777777@example.com", ProfileSort.LastActivityNewest, 0, 25));
        await Line("explorer, search name prefix \"person 4242\" (111 matches)", () => list.PageAsync("person 4242", ProfileSort.LastActivityNewest, 0, 25));
        await Line("explorer, search e-mail prefix \"u77777\"", () => list.PageAsync("u77777", ProfileSort.LastActivityNewest, 0, 25));
        foreach (var (id, label) in new[] { (1L, $"profile page data, profile with {HeavyEvents + 10:N0} events"), (500_000L, "profile page data, profile with 10 events") })
        {
            await Line(label, async () =>
            {
                await explorer.HeaderAsync(id, policy);
                await explorer.AttributesAsync(id, policy);
                await graphs.GraphAsync(id);
                await reader.EventsAsync(id, new EventQuery { Limit = 50 });
                await reader.ActivityAsync(id);
                await explorer.EventNamesAsync(id);
            });
        }
    }

    /// <summary>
    /// The profile page in Chromium: from navigation to the attributes shown (the first render, for the
    /// profile with 5,010 events), and from a click on Timeline to its first events. Median of 5.
    /// </summary>
    private static async Task PageRenderAsync(Uri baseAddress)
    {
        const string chromium = "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            Console.WriteLine("  profile page render: skipped, no Chromium at /usr/bin/chromium");
            return;
        }
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new() { BaseURL = baseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 800 } });
        await page.GotoAsync("Account/Login");
        await page.Locator("#email").FillAsync("admin@profilestudio.local");
        await page.Locator("#password").FillAsync(ServerProcess.AdminPassword);
        await page.GetByTestId("sign-in").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase));

        var first = new List<double>();
        var timeline = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await page.GotoAsync("profiles/1");
            await page.GetByTestId("attributes").GetByText("plan").First.WaitForAsync();
            await page.Locator("[data-interactive='true']").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Attached });
            var shown = stopwatch.Elapsed.TotalMilliseconds;
            stopwatch.Restart();
            await page.GetByRole(Microsoft.Playwright.AriaRole.Tab, new() { Name = "Timeline" }).ClickAsync();
            await page.GetByTestId("timeline-event").First.WaitForAsync();
            if (i > 0) // the first is a warm-up
            {
                first.Add(shown);
                timeline.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
        }
        first.Sort();
        timeline.Sort();
        Console.WriteLine($"  profile page in Chromium, profile with {HeavyEvents + 10:N0} events (median of 5): first render with attributes {first[2]:N0} ms, Timeline tab to its first events {timeline[2]:N0} ms");
    }

    private static SqliteCommand Prepare(SqliteConnection db, SqliteTransaction tx, string sql, int parameters)
    {
        var command = db.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        for (var p = 1; p <= parameters; p++)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = $"${p}" });
        }
        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
        command.ExecuteNonQuery();
    }

    private static void Exec(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object Scalar(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()!;
    }
}
