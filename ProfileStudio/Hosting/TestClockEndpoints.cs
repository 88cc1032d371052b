using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Hosting;

/// <summary>
/// The test clock for end-to-end tests (see <see cref="OffsetTimeProvider"/>). Off unless
/// <c>ProfileStudio:Testing:ClockControl</c> is true; the app refuses to start with it in Production.
/// </summary>
internal static class TestClockEndpoints
{
    public static bool Enabled(IConfiguration configuration) => configuration.GetValue<bool>(OffsetTimeProvider.Setting);

    /// <summary>Makes the app's clock an <see cref="OffsetTimeProvider"/> when the setting is on (before the Core registers the system clock).</summary>
    public static IServiceCollection AddTestClock(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        if (!Enabled(configuration))
        {
            return services;
        }
        if (environment.IsProduction())
        {
            throw new InvalidOperationException(
                $"{OffsetTimeProvider.Setting} is true in the Production environment. The test clock lets an administrator move the app's time; " +
                "it is for end-to-end tests only. Remove the setting, or run tests with ASPNETCORE_ENVIRONMENT=Development or Testing.");
        }
        var clock = new OffsetTimeProvider();
        services.AddSingleton(clock);
        services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
        return services;
    }

    /// <summary><c>POST /api/testing/clock/advance?hours=N</c> (Admin): moves the clock, then recomputes the computed values whose window moved.</summary>
    public static IEndpointRouteBuilder MapTestClock(this IEndpointRouteBuilder endpoints, IConfiguration configuration)
    {
        if (!Enabled(configuration))
        {
            return endpoints;
        }
        endpoints.MapPost("/api/testing/clock/advance", AdvanceAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.Admin))
            .DisableAntiforgery()
            .ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<IResult> AdvanceAsync(string? hours, OffsetTimeProvider clock, ComputedAttributeExpiryJob expiry, ProfileStudio.Core.Segments.SegmentClockJob segments, CancellationToken ct)
    {
        if (!double.TryParse(hours, NumberStyles.Float, CultureInfo.InvariantCulture, out var h) || !double.IsFinite(h) || h <= 0 || h > OffsetTimeProvider.MaxHoursPerAdvance)
        {
            return ApiErrors.Problem(400, ApiErrors.InvalidRequest,
                $"hours must be a number of hours greater than 0 and at most {OffsetTimeProvider.MaxHoursPerAdvance} (the clock only moves forward); got \"{hours}\".");
        }
        clock.Advance(TimeSpan.FromHours(h));
        var changed = await expiry.RunNowAsync(ct);
        // Segment windows move too, so a test sees people leave "in the last 30 days" at once.
        var memberships = await segments.RunNowAsync(ct);
        return TypedResults.Ok(new { now = clock.GetUtcNow().UtcDateTime, offset_hours = clock.Offset.TotalHours, computed_values_changed = changed, segment_memberships_changed = memberships });
    }
}
