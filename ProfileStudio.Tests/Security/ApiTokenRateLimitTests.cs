using System.Net;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Security;

/// <summary>The per-token rate limit, with a limit small enough to reach: 1 request per second, bursts of 2.</summary>
public sealed class ApiTokenRateLimitTests : IAsyncLifetime
{
    private const string Me = "/api/v1/tokens/me";

    private readonly ApiTokenAppFactory _factory = new() { RateLimit = (1, 2) };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>Sends until the first 429 (a burst of 2 at 1/s is used up long before 20 requests, however slow the machine).</summary>
    private static async Task<(int Ok, HttpResponseMessage Refused)> SendUntilRefusedAsync(HttpClient client)
    {
        var ok = 0;
        for (var i = 0; i < 20; i++)
        {
            var response = await client.GetAsync(Me);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return (ok, response);
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
            ok++;
        }
        Assert.Fail("20 requests in a row were all accepted at 1 request per second.");
        return default;
    }

    [Fact]
    public async Task Requests_FasterThanTheLimit_Get429WithRetryAfterAndOtherTokensAreNotSlowed()
    {
        using var reader = _factory.CreateBearerClient(ApiTokenAppFactory.ReaderToken);
        using var loader = _factory.CreateBasicClient(ApiTokenAppFactory.LoaderToken);

        var (ok, refused) = await SendUntilRefusedAsync(reader);
        using var other = await loader.GetAsync(Me);

        using (refused)
        {
            Assert.InRange(ok, 2, 19);
            var message = await ApiResponses.ErrorAsync(refused, HttpStatusCode.TooManyRequests, "rate_limit_error");
            Assert.Contains("1 per second", message);
            var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 2);
            Assert.Single(refused.Headers.GetValues("Request-Id"));
        }
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Requests_AfterTheRetryAfterDelay_AreAcceptedAgain()
    {
        using var client = _factory.CreateBearerClient(ApiTokenAppFactory.EverythingToken);
        var (_, refused) = await SendUntilRefusedAsync(client);
        var wait = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        refused.Dispose();

        await Task.Delay(TimeSpan.FromSeconds(wait) + TimeSpan.FromMilliseconds(500)); // the limiter refills on a timer; allow for a busy machine
        using var again = await client.GetAsync(Me);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Requests_WithoutAValidToken_AreRefusedButNeverRateLimited()
    {
        using var client = _factory.CreateBearerClient("pst_not_a_token_of_this_server_00000000");

        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync(Me);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task ProfileApi_BeyondTheTokensRate_Answers429RateLimitErrorWithRetryAfter()
    {
        using var client = _factory.CreateBearerClient(ApiTokenAppFactory.ReaderToken);

        HttpResponseMessage? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var response = await client.GetAsync("/api/v1/profiles/user_id:nobody-here/traits");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
                break;
            }
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode); // authorized and answered until the bucket is empty
            response.Dispose();
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.True(refused.Headers.Contains("Retry-After"));
            Assert.Contains("\"rate_limit_error\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
