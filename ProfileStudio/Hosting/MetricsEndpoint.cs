using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Hosting;

/// <summary>The <c>ProfileStudio:Metrics</c> section of appsettings.json.</summary>
internal sealed class MetricsOptions
{
    public const string Section = "ProfileStudio:Metrics";

    /// <summary>A bearer token a Prometheus server sends to read <c>/metrics</c>; empty means only signed-in administrators can.</summary>
    public string? Token { get; set; }
}

/// <summary>
/// <c>GET /metrics</c>: the <see cref="ProfileStudioMetrics.MeterName"/> meter in Prometheus text, through
/// OpenTelemetry's exporter. Readable by a signed-in administrator (cookie) or with
/// <c>Authorization: Bearer &lt;ProfileStudio:Metrics:Token&gt;</c>; anyone else gets 401 (no credential)
/// or 403 (signed in without the Admin role) in the APIs' error shape.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";
    public const int MinTokenLength = 32;

    public static IServiceCollection AddStudioMetrics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>()
            .BindConfiguration(MetricsOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.Token) || (o.Token.Length >= MinTokenLength && !o.Token.Any(char.IsWhiteSpace)),
                $"{MetricsOptions.Section}:Token must be at least {MinTokenLength} characters without spaces (or empty: then only signed-in administrators can read {Path}).")
            .ValidateOnStart();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ProfileStudioMetrics.MeterName))
            .WithMetrics(metrics => metrics
            .AddMeter(ProfileStudioMetrics.MeterName)
            // Without otel_scope_* labels on every series: there is one meter, and queries stay short. Scrapes are not cached:
            // the gauges read memory, or PipelineLag's figures (kept 2 s), so a scrape is cheap and its positions current.
            .AddPrometheusExporter(o =>
            {
                o.ScopeInfoEnabled = false;
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        return services;
    }

    public static WebApplication MapStudioMetrics(this WebApplication app)
    {
        // The instruments exist from the start, so the first scrape lists every metric (the worker would create them only on its first run otherwise).
        app.Services.GetRequiredService<ProfileStudioMetrics>();
        // Anonymous for the studio's sign-in policy (which would redirect to the sign-in page); checked here instead.
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use(AuthorizeAsync), optionsName: null)
            .AllowAnonymous();
        return app;
    }

    private static async Task AuthorizeAsync(HttpContext context, RequestDelegate next)
    {
        var token = context.RequestServices.GetRequiredService<IOptions<MetricsOptions>>().Value.Token;
        if (!string.IsNullOrEmpty(token) && AuthorizationHeader.BearerToken(context.Request) is { } presented && SameToken(presented, token))
        {
            await next(context);
            return;
        }
        if (context.User.Identity?.IsAuthenticated == true)
        {
            if (context.User.IsInRole(Roles.Admin))
            {
                await next(context);
                return;
            }
            await ApiErrors.Problem(StatusCodes.Status403Forbidden, ApiErrors.Permission,
                "Only administrators can read the metrics.").ExecuteAsync(context);
            return;
        }
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await ApiErrors.Problem(StatusCodes.Status401Unauthorized, ApiErrors.Authentication,
            $"Sign in as an administrator, or send Authorization: Bearer with the token set in {MetricsOptions.Section}:Token.").ExecuteAsync(context);
    }

    /// <summary>Compares hashes in constant time, so neither the content nor the length of the token leaks through timing.</summary>
    private static bool SameToken(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
