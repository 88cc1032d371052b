using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using ProfileStudio.Hosting;

namespace ProfileStudio.Security;

/// <summary>The <c>ProfileStudio:Api</c> section.</summary>
internal sealed class ApiOptions
{
    public const string Section = "ProfileStudio:Api";

    /// <summary>Sustained requests per second one API token may make.</summary>
    public int RequestsPerSecondPerToken { get; set; } = 500;

    /// <summary>Requests one token may make at once after a quiet spell, above the sustained rate.</summary>
    public int BurstPerToken { get; set; } = 1000;
}

/// <summary>
/// A token bucket per API token (partitioned by token id): a client that sends too fast gets 429
/// <c>rate_limit_error</c> with <c>Retry-After</c>, without slowing any other client. Requests without
/// a token (the batch API's write keys) are not limited here.
/// </summary>
internal sealed class ApiTokenRateLimitPolicy(IOptions<ApiOptions> options) : IRateLimiterPolicy<int>
{
    public const string Name = "api_token";

    private const int NoToken = 0; // token ids start at 1

    private readonly TokenBucketRateLimiterOptions _bucket = Bucket(options.Value);

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

    public RateLimitPartition<int> GetPartition(HttpContext httpContext) =>
        ApiTokenClaims.TokenIdOf(httpContext.User) is { } id
            ? RateLimitPartition.GetTokenBucketLimiter(id, _ => _bucket)
            : RateLimitPartition.GetNoLimiter(NoToken);

    public static void AddServices(IServiceCollection services)
    {
        services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.Section)
            .Validate(o => o.RequestsPerSecondPerToken >= 1, $"{ApiOptions.Section}:RequestsPerSecondPerToken must be at least 1.")
            .Validate(o => o.BurstPerToken >= 1, $"{ApiOptions.Section}:BurstPerToken must be at least 1.")
            .ValidateOnStart();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy<int, ApiTokenRateLimitPolicy>(Name);
        });
    }

    /// <summary>Refills in steps of a tenth of a second (or one token at a time below 10 per second), so the rate is smooth.</summary>
    private static TokenBucketRateLimiterOptions Bucket(ApiOptions o)
    {
        var perStep = Math.Max(1, o.RequestsPerSecondPerToken / 10);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.BurstPerToken,
            TokensPerPeriod = perStep,
            ReplenishmentPeriod = TimeSpan.FromSeconds(perStep / (double)o.RequestsPerSecondPerToken),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var o = options.Value;
        await ApiErrors.Problem(StatusCodes.Status429TooManyRequests, ApiErrors.RateLimit,
                $"Too many requests with this API token: at most {o.RequestsPerSecondPerToken} per second, in bursts of up to {o.BurstPerToken}. Retry after the Retry-After delay.")
            .ExecuteAsync(context.HttpContext);
    }
}
