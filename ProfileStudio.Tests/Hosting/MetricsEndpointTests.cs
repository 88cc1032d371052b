using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Tests.Ingestion;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Hosting;

/// <summary>
/// OpenTelemetry listens to every meter of a name in the process, whichever host made it, so the tests
/// that read values run alone: a host of another test class would add its own figures to the scrape.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}

[Collection(MetricsCollection.Name)]
public sealed class MetricsEndpointTests(MetricsAppFactory factory) : IClassFixture<MetricsAppFactory>
{
    private static readonly AuthenticationHeaderValue Bearer = new("Bearer", MetricsAppFactory.Token);

    /// <summary>Every series of a scrape, keyed by name and labels as printed (<c>name{label="value"}</c>).</summary>
    private static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var series = new Dictionary<string, double>();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var parts = line.Split(' ');
            // name{labels} value [timestamp]
            series[parts[0].EndsWith("{}") ? parts[0][..^2] : parts[0]] = double.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        return series;
    }

    private static string Describe(Dictionary<string, double> series) =>
        string.Join("; ", series.Where(s => s.Key.StartsWith("profilestudio_")).Select(s => $"{s.Key} {s.Value}"));

    [Fact]
    public async Task Get_WithTheTokenAfterMessagesAreUnified_ListsEveryMetricWithPlausibleValues()
    {
        using var sender = factory.CreateWriteKeyClient();
        var batch = Enumerable.Range(1, 25).Select(i => (object)(i % 5 == 0
            ? new { type = "identify", userId = $"metrics-{i}", traits = new { email = $"metrics-{i}@example.com" } }
            : new { type = "track", userId = $"metrics-{i}", @event = "Product Viewed" })).ToList();
        using (var sent = await sender.PostAsync("/v1/batch", new StringContent(JsonSerializer.Serialize(new { batch }), System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }
        using var scraper = factory.CreateClient(Bearer);

        // The lag figures are kept for 2 s, so a scrape may show the state of a moment ago: ask until it has caught up.
        var series = await Poll.UntilAsync(() => ScrapeAsync(scraper),
            s => s.GetValueOrDefault("profilestudio_unification_messages_total") >= 25
                 && s.GetValueOrDefault("profilestudio_unification_lag_messages", -1) == 0
                 && s.GetValueOrDefault("profilestudio_changefeed_consumer_lag_rows{consumer=\"studio-pages\"}", -1) == 0
                 && s.GetValueOrDefault("profilestudio_changefeed_consumer_position{consumer=\"studio-pages\"}") >= 1,
            "the 25 messages unified and read by the change-feed consumers", TimeSpan.FromSeconds(30));

        Assert.True(series.ContainsKey("profilestudio_unification_messages_total"), Describe(series));
        Assert.True(series["profilestudio_unification_run_duration_seconds_count"] >= 1, Describe(series));
        var seconds = series["profilestudio_unification_run_duration_seconds_sum"];
        Assert.InRange(seconds, 0, 30);
        Assert.Equal(series["profilestudio_unification_run_duration_seconds_count"], series["profilestudio_unification_run_duration_seconds_bucket{le=\"+Inf\"}"]);
        Assert.Equal(0, series["profilestudio_unification_lag_age_seconds"]);
        Assert.Equal(0, series["profilestudio_changefeed_consumer_lag_age_seconds{consumer=\"studio-pages\"}"]);
        // The handled position is read from memory on each scrape: the rows the 25 messages wrote were handled.
        Assert.True(series["profilestudio_changefeed_consumer_position{consumer=\"studio-pages\"}"] >= 1, Describe(series));
        Assert.InRange(series["profilestudio_lake_queue_depth"], 0, 25);
        Assert.Equal(0, series["profilestudio_unification_set_aside_messages"]);
    }

    [Fact]
    public async Task Get_Anonymous_Is401InTheApiErrorShape()
    {
        using var client = factory.CreateClient((AuthenticationHeaderValue?)null);

        using var response = await client.GetAsync("/metrics");

        Assert.Contains("ProfileStudio:Metrics:Token", await ApiResponses.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error"));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("metrics-test-token-0123456789abcdefghiX")] // one character off
    [InlineData("metrics-test-token-0123456789abcdefghij-and-more")] // the token with more after it
    [InlineData("metrics-test")]
    public async Task Get_WrongToken_Is401(string token)
    {
        using var client = factory.CreateClient(new AuthenticationHeaderValue("Bearer", token));

        using var response = await client.GetAsync("/metrics");

        await ApiResponses.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Theory]
    [InlineData(Roles.Support)]
    [InlineData(Roles.DataEngineer)]
    public async Task Get_SignedInWithoutAdmin_Is403(string role)
    {
        using var client = await SignedInAsync(role);

        using var response = await client.GetAsync("/metrics");

        await ApiResponses.ErrorAsync(response, HttpStatusCode.Forbidden, "permission_error");
    }

    [Fact]
    public async Task Get_SignedInAdministrator_IsServed()
    {
        using var client = await SignedInAsync(Roles.Admin);

        var series = await ScrapeAsync(client.Http);

        Assert.Contains("profilestudio_lake_queue_depth", series.Keys);
    }

    private async Task<StudioClient> SignedInAsync(string role)
    {
        var email = await factory.CreateUserAsync(role);
        var client = factory.CreateStudioClient();
        using var response = await client.SignInAsync(email, "User-Pass-2026!");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return client;
    }
}

/// <summary>A metrics token too short to be safe stops the start with a message naming the setting.</summary>
public sealed class MetricsStartupTests
{
    [Theory]
    [InlineData("short-token")]
    [InlineData("a token of thirty-two characters with spaces")]
    public async Task Start_WeakToken_FailsNamingTheSetting(string token)
    {
        await using var factory = new MetricsAppFactory { Settings = new() { ["ProfileStudio:Metrics:Token"] = token } };

        var thrown = Record.Exception(() => factory.CreateClient());

        Assert.NotNull(thrown);
        Assert.Contains("ProfileStudio:Metrics:Token must be at least 32 characters without spaces", thrown.ToString());
    }
}
