using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authentication;

namespace ProfileStudio.Security;

internal static class SecurityServiceCollectionExtensions
{
    /// <summary>API tokens for the HTTP APIs: the <c>ApiToken</c> scheme, a policy per scope, the per-token rate limit.</summary>
    public static IServiceCollection AddApiTokenSecurity(this IServiceCollection services)
    {
        // Not the default scheme: only endpoints whose policy names it (RequireApiToken) read tokens.
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenClaims.Scheme, null);
        ApiPolicies.Add(services.AddAuthorizationBuilder());
        services.AddSingleton<IAuthorizationHandler, ApiScopeAuthorizationHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
        ApiTokenRateLimitPolicy.AddServices(services);
        // The base handler logs every refused request at Information ("was challenged"); under its own
        // category that escapes the "Microsoft.AspNetCore": "Warning" that quiets the framework's handlers.
        services.AddLogging(b => b.AddFilter(typeof(ApiTokenAuthenticationHandler).FullName, LogLevel.Warning));
        return services;
    }
}
