using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Endpoints;

namespace ProfileStudio.Accounts;

/// <summary>
/// Until a user has replaced a generated password, every studio request (pages, the Blazor hub that
/// carries interactive pages, studio-only endpoints such as downloads) is sent to the change-password
/// page, so typing another address after signing in does not skip the change. Still reachable: the
/// change page, sign-out, the error page, and anonymous resources that are not pages (static assets,
/// health, the OpenAPI document). The HTTP APIs under <c>/v1</c> and <c>/api</c> never accept the studio
/// cookie (write keys and API tokens only), so they are left to their own authentication.
/// </summary>
internal static class PasswordChangeGate
{
    public const string ChangePasswordPath = "/Account/ChangePassword";
    private const string LogoutPath = "/Account/Logout";
    private const string ErrorPath = "/Error";

    public static IApplicationBuilder UsePasswordChangeGate(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (!StudioUserClaimsPrincipalFactory.MustChangePassword(context.User) || IsAllowed(context))
            {
                return next(context);
            }
            var request = context.Request;
            // A page typed in the address bar comes back after the change; anything else (the hub, a
            // form post, a download) just leads to the change page.
            var target = HttpMethods.IsGet(request.Method) && !request.Path.StartsWithSegments("/_blazor")
                ? $"{ChangePasswordPath}?ReturnUrl={Uri.EscapeDataString(request.PathBase + request.Path + request.QueryString)}"
                : ChangePasswordPath;
            context.Response.Redirect(target);
            return Task.CompletedTask;
        });

    private static bool IsAllowed(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.Equals(ChangePasswordPath, StringComparison.OrdinalIgnoreCase)
            || path.Equals(LogoutPath, StringComparison.OrdinalIgnoreCase)
            || path.Equals(ErrorPath, StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/v1")
            || path.StartsWithSegments("/api"))
        {
            return true;
        }
        // /metrics is anonymous to routing but serves a signed-in administrator's cookie: gated like a page.
        if (path.StartsWithSegments(Hosting.MetricsEndpoint.Path, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        // Anonymous endpoints that are not pages: scripts and styles the change page needs, /healthz, the OpenAPI document.
        var endpoint = context.GetEndpoint();
        return endpoint?.Metadata.GetMetadata<IAllowAnonymous>() is not null
            && endpoint.Metadata.GetMetadata<ComponentTypeMetadata>() is null;
    }
}
