using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Accounts;
using ProfileStudio.Components;
using ProfileStudio.Ingestion;
using ProfileStudio.Profiles;
using ProfileStudio.Security;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Hosting;

internal static class StudioServiceCollectionExtensions
{
    /// <summary>The Blazor studio: interactive server components, MudBlazor, health checks.</summary>
    public static IServiceCollection AddStudio(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddTrackingApi();
        services.AddApiTokenSecurity();
        services.AddApiDocument();
        services.AddStudioMetrics();
        services.AddScoped<Components.Data.Sources.RevealedWriteKeys>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        // Keys beside the database, so sign-in cookies survive a restart and move with the data.
        services.AddDataProtection().SetApplicationName("ProfileStudio");
        services.AddOptions<KeyManagementOptions>()
            .Configure<IOptions<ProfileStudioOptions>>((o, studio) =>
                o.XmlRepository = new FileSystemXmlRepository(
                    new DirectoryInfo(Path.Combine(studio.Value.DataDirectoryFullPath, "keys")), NullLoggerFactory.Instance));
        return services;
    }

    public static WebApplication UseStudio(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
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
        app.MapApiDocument();
        app.MapStudioMetrics();
        // Without these, an unknown API address falls to the studio's sign-in policy: a 302 to an HTML page.
        app.Map("/v1/{**path}", ApiNotFound).AllowAnonymous().ExcludeFromDescription();
        app.Map("/api/{**path}", ApiNotFound).AllowAnonymous().ExcludeFromDescription();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private static IResult ApiNotFound(HttpRequest request) =>
        ApiErrors.Problem(StatusCodes.Status404NotFound, ApiErrors.NotFound, $"There is no API at {request.Method} {request.Path}.");

    private static bool IsApi(PathString path) => path.StartsWithSegments("/v1") || path.StartsWithSegments("/api");
}
