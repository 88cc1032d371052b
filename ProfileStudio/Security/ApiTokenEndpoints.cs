using System.Security.Claims;

namespace ProfileStudio.Security;

/// <summary><c>GET /api/v1/tokens/me</c>: lets a client check its token (any valid token, no scope needed).</summary>
internal static class ApiTokenEndpoints
{
    public static IEndpointRouteBuilder MapApiTokenApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/tokens/me", (ClaimsPrincipal user) =>
                TypedResults.Ok(new TokenDescription(user.Identity!.Name!, ApiTokenClaims.ScopesOf(user))))
            .RequireApiToken()
            .WithTags("API tokens")
            .WithSummary("The name and scopes of the API token sent with the request.");
        return endpoints;
    }

    private sealed record TokenDescription(string Name, IReadOnlyList<string> Scopes);
}
