using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion;
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
