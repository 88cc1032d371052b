using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Storage;
using ProfileStudio.Testing;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// The promise behind every 200: a message acknowledged by the tracking API is in the lake, even if the
/// server is killed (kill -9, no shutdown) a moment later.
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
            var first = await ServerProcess.StartAsync(dataDirectory: dataDirectory);
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
            await using (var second = await ServerProcess.StartAsync(dataDirectory: dataDirectory))
            {
                await second.KillAsync();
            }
            var stored = StoredMessageIds(dataDirectory);
            var lost = acknowledged.Where(id => !stored.Contains(id)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages were lost, e.g. {string.Join(", ", lost.Take(5))}");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static HttpClient Client(Uri baseAddress)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ServerProcess.WriteKey + ":")));
        return http;
    }

    private static HashSet<string> StoredMessageIds(string dataDirectory)
    {
        using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(dataDirectory));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT MessageId FROM RawMessages WHERE Status = 1";
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }
}
