using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Identity;
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
            AuditLog audit) =>
        {
            // Checked here rather than by form binding, which threw, and the error page could not answer the POST either (a 500).
            if (http.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false })
            {
                return Results.Content("The sign-out form has expired. Reload the page and sign out again.", "text/plain; charset=utf-8", statusCode: 400);
            }
            var actor = CurrentActor.FromPrincipal(http.User, http.Connection.RemoteIpAddress?.ToString());
            await signIn.SignOutAsync();
            if (actor.UserId is not null)
            {
                await audit.RecordAsync(actor, AuditActions.SignOut, actor.Name);
            }
            return Results.LocalRedirect("/Account/Login");
        }).AllowAnonymous().WithMetadata(new RequireAntiforgeryTokenAttribute());
        return endpoints;
    }
}
