using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Sources;
using ProfileStudio.E2E.Infrastructure;
using Xunit.Abstractions;

namespace ProfileStudio.E2E.Ingestion;

/// <summary>
/// Existing analytics libraries work unchanged against ProfileStudio: Segment's Node library,
/// RudderStack's Node SDK with gzip, and analytics.js in a browser page on another origin.
/// Every message they send arrives in the lake, accepted.
/// </summary>
public sealed class RealClientTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private static readonly string[] AllTypes = ["alias", "group", "identify", "page", "screen", "track"];

    [Fact]
    public async Task SegmentAnalyticsNode_AllMessageTypes_ArriveAccepted()
    {
        var (source, key) = await CreateSourceAsync("Node backend");
        var run = Guid.NewGuid().ToString("N")[..8];

        await NodeClients.RunAsync("send-analytics-node.mjs", Studio.Server.Address.ToString(), key, run);

        var messages = await WaitForMessagesAsync(source, 6);
        Assert.Equal(AllTypes, messages.Select(m => m.Type).Order());
        Assert.All(messages, m => Assert.Equal(MessageStatus.Accepted, m.Status));
        Assert.Contains(messages, m => m.Type == "identify" && (string?)JsonNode.Parse(m.Payload)!["traits"]!["email"] == $"{run}@node.test");
        Assert.Contains(messages, m => (string?)JsonNode.Parse(m.Payload)!["context"]?["library"]?["name"] == "@segment/analytics-node");
    }

    [Fact]
    public async Task RudderStackNodeSdk_WithGzip_AllMessageTypesArriveAccepted()
    {
        var (source, key) = await CreateSourceAsync("Rudder backend");
        var run = Guid.NewGuid().ToString("N")[..8];

        await NodeClients.RunAsync("send-rudder.mjs", Studio.Server.Address.ToString(), key, run);

        var messages = await WaitForMessagesAsync(source, 6);
        Assert.Equal(AllTypes, messages.Select(m => m.Type).Order());
        Assert.All(messages, m => Assert.Equal(MessageStatus.Accepted, m.Status));
        Assert.Contains(messages, m => m.Type == "track" && (string?)JsonNode.Parse(m.Payload)!["properties"]!["run"] == run);
    }

    [Fact]
    public Task AnalyticsJsInChromium_OnAnotherOrigin_SendsPageIdentifyAndTrack() => WithPageAsync(async page =>
    {
        var (source, key) = await CreateSourceAsync("Shop website");
        var run = Guid.NewGuid().ToString("N")[..8];
        var bundle = NodeClients.PackageFile("@segment", "analytics-next", "dist", "umd");
        var server = Studio.Server.Address.ToString().TrimEnd('/');
        // A shop on its own origin (another loopback address: Chromium lets only private origins call a loopback
        // server), serving the analytics.js bundle from the npm package. Cross-origin, so CORS is exercised.
        await page.RouteAsync("http://127.0.0.2:8123/**", async route =>
        {
            var path = new Uri(route.Request.Url).AbsolutePath;
            if (path.StartsWith("/ajs/", StringComparison.Ordinal))
            {
                await route.FulfillAsync(new RouteFulfillOptions { Path = Path.Combine(bundle, path["/ajs/".Length..]), ContentType = "application/javascript" });
                return;
            }
            await route.FulfillAsync(new RouteFulfillOptions
            {
                ContentType = "text/html",
                Body = $$"""
                    <!doctype html><html><head><title>Shop</title><script src="/ajs/index.js"></script></head><body><h1>Shop</h1>
                    <script>
                      window.sent = (async () => {
                        const [analytics] = await AnalyticsNext.AnalyticsBrowser.load({ writeKey: '{{key}}', cdnURL: '{{server}}' });
                        await analytics.page('Home', { run: '{{run}}' });
                        await analytics.identify('browser-{{run}}', { email: '{{run}}@browser.test' });
                        await analytics.track('Signed Up', { run: '{{run}}' });
                        return 'sent';
                      })();
                    </script></body></html>
                    """,
            });
        });

        // Chromium asks before a page reaches into the loopback address space; a test user says yes.
        await page.Context.GrantPermissionsAsync(["local-network-access"], new BrowserContextGrantPermissionsOptions { Origin = "http://127.0.0.2:8123" });
        await page.GotoAsync("http://127.0.0.2:8123/");
        Assert.Equal("sent", await page.EvaluateAsync<string>("() => window.sent"));

        var messages = await WaitForMessagesAsync(source, 3);
        Assert.Equal(["identify", "page", "track"], messages.Select(m => m.Type).Order());
        Assert.All(messages, m => Assert.Equal(MessageStatus.Accepted, m.Status));
        var identify = JsonNode.Parse(messages.Single(m => m.Type == "identify").Payload)!;
        Assert.Equal($"browser-{run}", (string?)identify["userId"]);
        Assert.Equal("analytics.js", (string?)identify["context"]!["library"]!["name"]);
    });

    /// <summary>
    /// Issue 9: analytics-node stamps each call with <c>timestamp</c> and each batch with <c>sentAt</c>; two
    /// identifies 1 ms apart in two batches must leave the later value, however the requests' latency
    /// differs. (The old code "corrected" the timestamp by each batch's latency and kept "pro".)
    /// </summary>
    [Fact]
    public async Task SegmentAnalyticsNode_TwoIdentifiesOneMillisecondApart_TheLaterValueWins()
    {
        var (_, key) = await CreateSourceAsync("Billing backend");
        var run = Guid.NewGuid().ToString("N")[..8];
        var reader = Studio.Server.Services.GetRequiredService<ProfileReader>();
        var policy = (await reader.PolicyAsync(null))!;
        var plans = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            var userId = $"order-{run}-{i}";
            await NodeClients.RunAsync("send-analytics-node-order.mjs", Studio.Server.Address.ToString(), key, userId);

            string? plan = null;
            await Eventually.TrueAsync(async () =>
            {
                var found = await reader.FindAsync($"user_id:{userId}");
                var view = found.Found ? await reader.TraitsAsync(found.ProfileId, policy, found.Identity) : null;
                plan = view?.ToJson()["plan"]?.GetValue<string>();
                return plan is not null && (await LakeCountAsync(userId)) == 2 && await UnifiedAsync();
            }, $"both identifies of {userId} to be unified", TimeSpan.FromSeconds(20));
            plans.Add(plan);
        }

        Assert.Equal(Enumerable.Repeat<string?>("premium", 5), plans);
    }

    /// <summary>
    /// Issue 9: through Kestrel (which keeps the raw request target), every identifier ingestion accepts is
    /// reachable percent-encoded, including a literal "%2F" and "%25" that routing alone cannot tell apart.
    /// </summary>
    [Fact]
    public async Task ProfileApi_IdentifiersWithSlashesAndPercents_AreFoundThroughTheRealServer()
    {
        var (_, key) = await CreateSourceAsync("Odd ids");
        var run = Guid.NewGuid().ToString("N")[..8];
        var tokens = Studio.Server.Services.GetRequiredService<ProfileStudio.Core.Security.ApiTokenStore>();
        var token = await tokens.CreateAsync(AuditActor.System, $"reader {run}", ["profiles:read"]);
        Assert.True(token.Succeeded, token.Error);
        string[] ids = [$"a/b-{run}", $"a%2Fb-{run}", $"100%-{run}", $"a%252F-{run}", $"x y+z:{run}"];
        using var http = new HttpClient { BaseAddress = Studio.Server.Address };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(key + ":")));
        var batch = new JsonObject { ["batch"] = new JsonArray(ids.Select((id, i) => (JsonNode)new JsonObject
        {
            ["type"] = "identify", ["userId"] = id, ["traits"] = new JsonObject { ["n"] = i },
        }).ToArray()) };
        using (var sent = await http.PostAsync("/v1/batch", new StringContent(batch.ToJsonString(), System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.True(sent.IsSuccessStatusCode, await sent.Content.ReadAsStringAsync());
        }
        await Eventually.TrueAsync(UnifiedAsync, "the identifies to be unified", TimeSpan.FromSeconds(20));

        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Secret);
        for (var i = 0; i < ids.Length; i++)
        {
            foreach (var path in new[] { "/api/v1/profiles/", "/v1/spaces/s/collections/users/profiles/" })
            {
                using var response = await http.GetAsync($"{path}user_id:{Uri.EscapeDataString(ids[i])}/traits");
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, $"{ids[i]} via {path}: {(int)response.StatusCode} {body}");
                Assert.Equal(i, JsonNode.Parse(body)!["traits"]!["n"]!.GetValue<int>());
            }
        }
    }

    private async Task<int> LakeCountAsync(string userId)
    {
        var reader = Studio.Server.Services.GetRequiredService<LakeReader>();
        var page = await reader.QueryAsync(new LakeFilter(null), 0, 500);
        return page.Messages.Count(m => m.Payload.Contains($"\"{userId}\"", StringComparison.Ordinal));
    }

    private async Task<bool> UnifiedAsync()
    {
        await using var db = await Studio.Server.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ProfileStudio.Core.Storage.ProfileStudioDbContext>>().CreateDbContextAsync();
        var lakeEnd = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.MaxAsync(db.RawMessages, m => (long?)m.Id) ?? 0;
        var checkpoint = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
            db.UnificationCheckpoints.Select(c => (long?)c.LastMessageId)) ?? 0;
        return checkpoint >= lakeEnd;
    }

    private async Task<(int Id, string Key)> CreateSourceAsync(string name)
    {
        var registry = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var result = await registry.CreateAsync(AuditActor.System, $"{name} {Guid.NewGuid():N}"[..40], SourceKind.Streaming, "real client test");
        Assert.True(result.Succeeded, result.Error);
        return (result.Source!.Id, result.WriteKey!);
    }

    private async Task<IReadOnlyList<RawMessage>> WaitForMessagesAsync(int sourceId, int count)
    {
        var reader = Studio.Server.Services.GetRequiredService<LakeReader>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        IReadOnlyList<RawMessage> messages = [];
        while (DateTime.UtcNow < deadline)
        {
            messages = (await reader.QueryAsync(new LakeFilter(sourceId), 0, 100)).Messages;
            if (messages.Count >= count)
            {
                break;
            }
            await Task.Delay(200);
        }
        Assert.True(messages.Count == count, $"expected {count} messages, found {messages.Count}: {string.Join(", ", messages.Select(m => m.Type))}");
        return messages;
    }
}
