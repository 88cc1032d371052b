using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;

namespace ProfileStudio.Accounts;

internal static class AccountEndpoints
{
    /// <summary>Sign-out is a POST with an antiforgery token (a form in the app bar), never a GET link.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/Account/Logout", async (
            HttpContext http,
            SignInManager<ApplicationUser> signIn,
            AuditLog audit,
            [FromForm] string? returnUrl) =>
        {
            var actor = CurrentActor.FromPrincipal(http.User, http.Connection.RemoteIpAddress?.ToString());
            await signIn.SignOutAsync();
            if (actor.UserId is not null)
            {
                await audit.RecordAsync(actor, AuditActions.SignOut, actor.Name);
            }
            return TypedResults.LocalRedirect("/Account/Login");
        }).AllowAnonymous();
        return endpoints;
    }
}
