using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using ProfileStudio.Testing;

namespace ProfileStudio.Bench;

/// <summary>
/// The sustained load of the lag and feed benchmarks: the real server with the unification worker on,
/// and tracking traffic of 300,000 people sent at a fixed rate in <c>/v1/batch</c> requests of
/// <see cref="BatchSize"/>, paced on a schedule (a batch every BatchSize/rate seconds, requests concurrent).
/// </summary>
internal sealed class PacedLoad : IAsyncDisposable
{
    public const int BatchSize = 50;
    public const int People = 300_000;

    private readonly HttpClient _http;

    private PacedLoad(ServerProcess server)
    {
        Server = server;
        _http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ServerProcess.WriteKey + ":")));
    }

    public ServerProcess Server { get; }

    /// <summary>Starts the server with unification on (and any further settings).</summary>
    public static async Task<PacedLoad> StartAsync(string? dataDirectory = null, IDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["ProfileStudio__Unification__Enabled"] = "true" };
        return new(await ServerProcess.StartAsync(all, dataDirectory));
    }

    /// <summary>The conditions line every benchmark on this load prints.</summary>
    public static string Conditions(int rate, int seconds) =>
        $"{rate:N0} messages/s for {seconds} s in /v1/batch requests of {BatchSize}, {People:N0} people, unification on, {Environment.ProcessorCount} cores (client, server and worker share them)";

    /// <summary>Sends at <paramref name="rate"/> messages/s until <paramref name="clock"/> reaches <paramref name="until"/>; returns what was accepted.</summary>
    public async Task<(long Sent, long FailedRequests)> SendAsync(int rate, Stopwatch clock, TimeSpan until)
    {
        long sent = 0, failed = 0;
        var traffic = new TrackingTraffic(People, seed: 42);
        var interval = TimeSpan.FromSeconds((double)BatchSize / rate);
        var inFlight = new List<Task>();
        var next = TimeSpan.Zero;
        while (clock.Elapsed < until)
        {
            var body = traffic.NextBatchBody(BatchSize);
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            next += interval;
            inFlight.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await _http.PostAsync("/v1/batch", TrackingTraffic.Json(body));
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Add(ref sent, BatchSize);
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // A request that timed out on an overloaded machine is counted, and the load goes on.
                }
                Interlocked.Increment(ref failed);
            }));
            inFlight.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(inFlight);
        return (sent, failed);
    }

    /// <summary>The value at quantile <paramref name="q"/> of sorted <paramref name="values"/>.</summary>
    public static double Percentile(List<double> values, double q) =>
        values.Count == 0 ? double.NaN : values[Math.Min(values.Count - 1, (int)(q * values.Count))];

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Server.DisposeAsync();
    }
}
