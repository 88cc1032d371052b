using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using ProfileStudio.Testing;

namespace ProfileStudio.Bench;

/// <summary>
/// Concurrent clients post /v1/batch requests of 100 realistic messages to the real server on
/// 127.0.0.1 for a fixed time; prints accepted messages/s, request latency percentiles and memory.
/// </summary>
internal static class IngestBenchmark
{
    public static async Task<int> RunAsync(int seconds, int clients, int batchSize)
    {
        Console.WriteLine($"ingest: {clients} concurrent clients, /v1/batch of {batchSize} messages, {seconds} s, {Environment.ProcessorCount} cores, unification off (see unify) (client and server share them)");
        await using var server = await ServerProcess.StartAsync();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ServerProcess.WriteKey + ":")));

        // Bodies are made before the clock starts, so the figure measures the server, not the generator.
        var bodies = Enumerable.Range(0, clients).Select(c =>
        {
            var traffic = new TrackingTraffic(300_000, seed: c);
            return Enumerable.Range(0, 200).Select(_ => Encoding.UTF8.GetBytes(traffic.NextBatchBody(batchSize))).ToArray();
        }).ToArray();
        Console.WriteLine($"  average message size: {bodies[0].Average(b => b.Length) / batchSize:N0} bytes");

        var originals = bodies.Select(b => b.Select(Encoding.UTF8.GetString).ToArray()).ToArray();

        // Warm-up: JIT, connection pool, SQLite page cache.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => PostAsync(http, bodies[c][0])));

        var latencies = new List<double>[clients];
        long accepted = 0, throttled = 0, failed = 0;
        var rss = new List<double>();
        var stopwatch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        using var sampler = new PeriodicTimer(TimeSpan.FromSeconds(5));
        var sampling = Task.Run(async () =>
        {
            while (await sampler.WaitForNextTickAsync() && stopwatch.Elapsed < deadline)
            {
                rss.Add(server.RssMb());
            }
        });
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<double>(100_000);
            var i = 0;
            // Each body gets a fresh messageId prefix per round, so retries of the same body are not deduplicated away.
            var round = 0;
            while (stopwatch.Elapsed < deadline)
            {
                var body = bodies[c][i];
                if (++i == bodies[c].Length)
                {
                    i = 0;
                    round++;
                    bodies[c] = originals[c].Select(b => Encoding.UTF8.GetBytes(b.Replace($"\"bench-{c}-", $"\"bench-{c}r{round}-"))).ToArray();
                }
                var started = Stopwatch.GetTimestamp();
                var (status, count) = await PostAsync(http, body);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (status == HttpStatusCode.OK)
                {
                    Interlocked.Add(ref accepted, count);
                }
                else if (status == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref throttled);
                    await Task.Delay(100);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })));
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        sampler.Dispose();
        await sampling;

        var all = latencies.SelectMany(l => l).Order().ToArray();
        Console.WriteLine($"  requests: {all.Length:N0} ({throttled:N0} answered 429, {failed:N0} failed)");
        Console.WriteLine($"  accepted: {accepted:N0} messages in {elapsed:N1} s = {accepted / elapsed:N0} messages/s (target >= 25,000)");
        Console.WriteLine($"  latency:  p50 {Percentile(all, 0.50):N1} ms, p99 {Percentile(all, 0.99):N1} ms, max {all.LastOrDefault():N1} ms (target p99 < 250 ms)");
        Console.WriteLine($"  server memory: peak RSS {server.PeakRssMb():N0} MB; RSS every 5 s: {string.Join(", ", rss.Select(r => r.ToString("N0")))} MB");
        var lakeRows = await CountLakeAsync(server);
        Console.WriteLine($"  lake rows after the run: {lakeRows:N0}");
        return 0;
    }

    private static async Task<(HttpStatusCode Status, int Accepted)> PostAsync(HttpClient http, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("/v1/batch", content);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, 0);
        }
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        return (response.StatusCode, doc.RootElement.GetProperty("accepted").GetInt32());
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static async Task<long> CountLakeAsync(ServerProcess server)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            ProfileStudio.Core.Storage.SqliteDatabase.ConnectionString(server.DataDirectory));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM RawMessages";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
