using Microsoft.AspNetCore.Diagnostics;
using MudBlazor.Services;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Accounts;
using ProfileStudio.Components;
using ProfileStudio.Ingestion;
using ProfileStudio.Profiles;
using ProfileStudio.Security;
using ProfileStudio.Segments;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Hosting;

/// <summary>The studio's live connection.</summary>
public static class StudioHub
{
    /// <summary>
    /// The largest message the browser may send (2 MB): room for <see cref="Core.Identity.RuleSimulator.MaxInputCharacters"/> of JSON
    /// with its quotes escaped. A paste past it still closes the connection (text full of control characters, each sent as six bytes).
    /// </summary>
    public const long MaximumReceiveMessageSize = 2 * 1024 * 1024;
}

internal static class StudioServiceCollectionExtensions
{
    /// <summary>The Blazor studio: interactive server components, MudBlazor, health checks.</summary>
    public static IServiceCollection AddStudio(this IServiceCollection services)
    {
        // SignalR's default of 32 KB per message from the browser closed the circuit when a text box sent more (a 15 KB paste into
        // the rule simulator, its quotes escaped): the page went quiet with no message and the paste was lost. Every page is
        // signed in; the simulator refuses inputs over RuleSimulator.MaxInputCharacters itself.
        services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = StudioHub.MaximumReceiveMessageSize);
        services.AddMudServices();
        services.AddTrackingApi();
        services.AddApiTokenSecurity();
        services.AddApiDocument();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddStudioMetrics();
        services.AddScoped<Components.Data.Sources.RevealedWriteKeys>();
        // The studio's segment reads: the profile page's "why" and the members export.
        services.AddSingleton<Core.Segments.SegmentExplainer>();
        services.AddSingleton<Core.Segments.SegmentMemberExport>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        services.AddDataProtectionKeys();
        return services;
    }

    public static WebApplication UseStudio(this WebApplication app)
    {
        // The developer exception page (stack traces, the request's headers) only when a developer asks
        // for Development; otherwise APIs answer in their error shape (ApiExceptionHandler) and pages
        // show /Error. A body Kestrel cannot read is the client's fault: its 400, not a 500.
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler(new ExceptionHandlerOptions
            {
                ExceptionHandlingPath = "/Error",
                CreateScopeForErrors = true,
                StatusCodeSelector = e => ApiExceptionHandler.UnreadableBodyStatus(e) ?? StatusCodes.Status500InternalServerError,
            });
        }
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.Use((context, next) =>
        {
            context.Response.Headers["Request-Id"] = context.TraceIdentifier;
            if (IsApi(context.Request.Path) && context.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false; // APIs answer in JSON, never with the studio's HTML pages
            }
            return next(context);
        });
        app.UseCors();
        app.UseAuthentication();
        app.UsePasswordChangeGate();
        app.UseAuthorization();
        // After authorization, which has put the API token's identity on the request: limits are per token.
        app.UseRateLimiter();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthChecks("/healthz", HealthResponse.Options).AllowAnonymous();
        app.MapAccountEndpoints();
        app.MapTrackingApi();
        app.MapFileBatchApi();
        app.MapApiTokenApi();
        app.MapProfileApi();
        app.MapSegmentExport();
        app.MapApiDocument();
        app.MapStudioMetrics();
        app.MapTestClock(app.Configuration);
        // Without these, an unknown API address falls to the studio's sign-in policy: a 302 to an HTML page.
        app.Map("/v1/{**path}", ApiNotFound).AllowAnonymous().ExcludeFromDescription();
        app.Map("/api/{**path}", ApiNotFound).AllowAnonymous().ExcludeFromDescription();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private static IResult ApiNotFound(HttpRequest request) =>
        ApiErrors.Problem(StatusCodes.Status404NotFound, ApiErrors.NotFound, $"There is no API at {request.Method} {request.Path}.");

    internal static bool IsApi(PathString path) => path.StartsWithSegments("/v1") || path.StartsWithSegments("/api");
}
