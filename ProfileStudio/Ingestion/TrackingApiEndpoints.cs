using System.Text;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;
using ProfileStudio.Hosting;

namespace ProfileStudio.Ingestion;

/// <summary>
/// Segment's HTTP Tracking API: <c>POST /v1/{identify,track,page,screen,group,alias,batch}</c> and the
/// browser short forms <c>/v1/{i,t,p,s,g,a,b}</c>. Messages are durable in the lake before the 200.
/// </summary>
internal static class TrackingApiEndpoints
{
    public const string CorsPolicy = "tracking";

    public static IServiceCollection AddTrackingApi(this IServiceCollection services) =>
        services.AddCors(o => o.AddPolicy(CorsPolicy, p => p
            .AllowAnyOrigin()
            .WithMethods("GET", "POST", "OPTIONS")
            .WithHeaders("Authorization", "Content-Type", "Content-Encoding")
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));

    public static IEndpointRouteBuilder MapTrackingApi(this IEndpointRouteBuilder endpoints)
    {
        // The write key authenticates these calls, not the studio's cookie.
        endpoints.MapPost("/v1/{type}", HandleAsync)
            .AllowAnonymous()
            .DisableAntiforgery()
            .RequireCors(CorsPolicy)
            .WithTags("Tracking API")
            .WithSummary("Send identify, track, page, screen, group, alias or batch messages (Segment-compatible).")
            .WithParameter("type", "identify, track, page, screen, group, alias or batch (or analytics.js's short forms i, t, p, s, g, a, b).");
        endpoints.MapGet("/v1/projects/{writeKey}/settings", ProjectSettingsAsync)
            .AllowAnonymous()
            .RequireCors(CorsPolicy)
            .WithTags("Tracking API")
            .WithSummary("Settings for analytics.js loaded with cdnURL pointing at this server: sends events here.")
            .WithParameter("writeKey", "The source's write key, as analytics.js puts it in the address.");
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(
        string type,
        HttpContext http,
        SourceRegistry sources,
        LakeWriter lake,
        TimeProvider time,
        CancellationToken ct)
    {
        if (TrackingMessageParser.ResolveEndpoint(type) is not { } endpoint)
        {
            return ApiErrors.Problem(StatusCodes.Status404NotFound, ApiErrors.NotFound,
                $"There is no tracking endpoint /v1/{type}. Use identify, track, page, screen, group, alias or batch.");
        }

        SourceCredential? source = null;
        if (AuthorizationHeader.BasicUserName(http.Request) is { } headerKey)
        {
            source = await sources.FindByWriteKeyAsync(headerKey, ct);
            if (WriteKeyAuthentication.TrackingRefusal(source) is { } refused)
            {
                return refused;
            }
        }

        var body = await RequestBody.ReadAsync(http.Request, TrackingLimits.MaxRequestBytes, ct);
        if (body.Error is not null)
        {
            return ApiErrors.Problem(StatusCodes.Status400BadRequest, ApiErrors.InvalidRequest, body.Error);
        }
        var receivedAt = time.GetUtcNow().UtcDateTime;
        var parsed = TrackingMessageParser.Parse(body.Bytes, endpoint, receivedAt);

        if (source is null)
        {
            if (parsed.Request?.WriteKey is not { Length: > 0 } bodyKey)
            {
                return parsed.Error is not null
                    ? ApiErrors.Problem(StatusCodes.Status400BadRequest, ApiErrors.InvalidRequest, parsed.Error)
                    : ApiErrors.Problem(StatusCodes.Status401Unauthorized, ApiErrors.Authentication, parsed.Request?.WriteKeyProblem
                        ?? "Missing write key: send it as the Basic-auth user name (empty password) or as \"writeKey\" in the body.");
            }
            source = await sources.FindByWriteKeyAsync(bodyKey, ct);
            if (WriteKeyAuthentication.TrackingRefusal(source) is { } refused)
            {
                return refused;
            }
        }

        if (parsed.Error is not null)
        {
            // The request is refused, but a known source's debugger shows what arrived and why it failed.
            var raw = TrackingMessageParser.RedactWriteKeys(Encoding.UTF8.GetString(body.Bytes!, 0, Math.Min(body.Bytes!.Length, TrackingLimits.MaxMessageBytes)));
            lake.TryWrite(source!.Id, [new IncomingMessage("unknown", null, receivedAt, raw, parsed.Error)], null, out _);
            return ApiErrors.Problem(StatusCodes.Status400BadRequest, ApiErrors.InvalidRequest, parsed.Error);
        }

        var messages = parsed.Request!.Messages;
        if (!lake.TryWrite(source!.Id, messages, null, out var committed))
        {
            http.Response.Headers.RetryAfter = "2";
            return ApiErrors.Problem(StatusCodes.Status429TooManyRequests, ApiErrors.RateLimit,
                "The server is busy storing earlier messages; retry after the Retry-After delay.");
        }
        LakeWriteResult result;
        try
        {
            result = await committed;
        }
        catch (Exception)
        {
            return ApiErrors.Problem(StatusCodes.Status503ServiceUnavailable, ApiErrors.Unavailable,
                "The messages could not be stored; retry with the same messageId.");
        }

        if (endpoint != "batch" && messages[0].Error is { } reason)
        {
            return ApiErrors.Problem(StatusCodes.Status400BadRequest, ApiErrors.Validation, reason);
        }
        return TypedResults.Ok(new TrackingResponse(true, result.Accepted, result.Rejected, result.Duplicates));
    }

    /// <summary>
    /// What analytics.js fetches from its CDN at start-up. Served here, it makes the browser library
    /// send to this server (<c>AnalyticsBrowser.load({ writeKey, cdnURL })</c>) with no other setting.
    /// </summary>
    private static async Task<IResult> ProjectSettingsAsync(string writeKey, HttpContext http, SourceRegistry sources, CancellationToken ct)
    {
        if (WriteKeyAuthentication.TrackingRefusal(await sources.FindByWriteKeyAsync(writeKey, ct)) is { } refused)
        {
            return refused;
        }
        var apiHost = $"{http.Request.Host}{http.Request.PathBase}/v1";
        return TypedResults.Json(new
        {
            integrations = new Dictionary<string, object>
            {
                ["Segment.io"] = new { apiKey = writeKey, apiHost, protocol = http.Request.Scheme, unbundledIntegrations = Array.Empty<string>() },
            },
            plan = new { track = new { __default = new { enabled = true } }, identify = new { __default = new { enabled = true } } },
            edgeFunction = new { },
            analyticsNextEnabled = true,
            middlewareSettings = new { },
            enabledMiddleware = new { },
            metrics = new { sampleRate = 0 },
            legacyVideoPluginsEnabled = false,
            remotePlugins = Array.Empty<object>(),
        });
    }

    private sealed record TrackingResponse(bool Success, int Accepted, int Rejected, int Duplicates);
}
