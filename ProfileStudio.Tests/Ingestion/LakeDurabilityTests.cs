using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Tests.Support;
using ProfileStudio.Testing;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// The promise behind every 200: a message acknowledged by the tracking API is in the lake, even if the
/// server is killed (kill -9, no shutdown) a moment later. The server runs the storage provider under
/// test (<see cref="StoragePorts.Provider"/>), and the lake is read back through EF Core on it.
/// </summary>
public sealed class LakeDurabilityTests
{
    [Fact]
    public async Task Kill9_DuringLoad_LosesNoAcknowledgedMessage()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("profilestudio-kill-").FullName;
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        try
        {
            var first = await ServerProcess.StartAsync(Settings, dataDirectory);
            await using (first)
            {
                using var http = Client(first.BaseAddress);
                using var stop = new CancellationTokenSource();
                var senders = Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
                {
                    for (var request = 0; !stop.IsCancellationRequested; request++)
                    {
                        var ids = Enumerable.Range(0, 50).Select(i => $"kill-{client}-{request}-{i}").ToList();
                        var body = JsonSerializer.Serialize(new
                        {
                            batch = ids.Select(id => new { type = "track", messageId = id, userId = $"user-{client}", @event = "Clicked" }),
                        });
                        try
                        {
                            using var response = await http.PostAsync("/v1/batch", new StringContent(body, Encoding.UTF8, "application/json"));
                            if (response.StatusCode == HttpStatusCode.OK)
                            {
                                ids.ForEach(acknowledged.Add);
                            }
                        }
                        catch (HttpRequestException)
                        {
                            return; // the server is gone
                        }
                        catch (TaskCanceledException)
                        {
                            return;
                        }
                    }
                })).ToList();

                await Task.Delay(TimeSpan.FromSeconds(3));
                await first.KillAsync();
                stop.Cancel();
                await Task.WhenAll(senders);
            }
            Assert.True(acknowledged.Count > 1000, $"only {acknowledged.Count} messages were acknowledged before the kill");

            // Restart on the same data: migrations, WAL recovery, then count.
            await using (var second = await ServerProcess.StartAsync(Settings, dataDirectory))
            {
                await second.KillAsync();
            }
            var stored = await StoredMessageIdsAsync(dataDirectory);
            var lost = acknowledged.Where(id => !stored.Contains(id)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages were lost, e.g. {string.Join(", ", lost.Take(5))}");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Sigterm_DuringTheDemosGenerationAndUnderLoad_StopsInSecondsAndKeepsEveryAcknowledgedMessage()
    {
        // The demo seeder ignored the stop: SIGTERM during the first start held the host for its 30 s shutdown timeout.
        var dataDirectory = Directory.CreateTempSubdirectory("profilestudio-term-").FullName;
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        try
        {
            var settings = new Dictionary<string, string>(Settings)
            {
                ["ProfileStudio__DemoData__Enabled"] = "true",
                ["ProfileStudio__DemoData__People"] = "3000",
                ["ProfileStudio__Unification__Enabled"] = "true",
            };
            TimeSpan stoppedIn;
            var first = await ServerProcess.StartAsync(settings, dataDirectory);
            await using (first)
            {
                using var http = Client(first.BaseAddress);
                for (var request = 0; request < 20; request++)
                {
                    var ids = Enumerable.Range(0, 50).Select(i => $"term-{request}-{i}").ToList();
                    var body = JsonSerializer.Serialize(new { batch = ids.Select(id => new { type = "track", messageId = id, userId = "user-term", @event = "Clicked" }) });
                    using var response = await http.PostAsync("/v1/batch", new StringContent(body, Encoding.UTF8, "application/json"));
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    ids.ForEach(acknowledged.Add);
                }
                Assert.False(await DemoFinishedAsync(dataDirectory), "the demo was generated before the stop: this test needs it half-way");
                stoppedIn = await first.TerminateAsync(TimeSpan.FromSeconds(60));
            }

            Assert.True(stoppedIn < TimeSpan.FromSeconds(10), $"the server took {stoppedIn.TotalSeconds:N1} s to stop after SIGTERM");
            var stored = await StoredMessageIdsAsync(dataDirectory);
            Assert.DoesNotContain(acknowledged, id => !stored.Contains(id));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<bool> DemoFinishedAsync(string dataDirectory)
    {
        await using var ports = new StoragePorts(dataDirectory);
        await using var db = ports.Db();
        return await db.AuditEntries.AnyAsync(e => e.Action == ProfileStudio.Core.Auditing.AuditActions.DemoGenerated);
    }

    private static HttpClient Client(Uri baseAddress)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ServerProcess.WriteKey + ":")));
        return http;
    }

    private static Dictionary<string, string> Settings => new([StoragePorts.ServerSetting]);

    private static async Task<HashSet<string>> StoredMessageIdsAsync(string dataDirectory)
    {
        await using var ports = new StoragePorts(dataDirectory);
        await using var db = ports.Db();
        return (await db.RawMessages.AsNoTracking().Where(m => m.Status == MessageStatus.Accepted).Select(m => m.MessageId!).ToListAsync()).ToHashSet();
    }
}
