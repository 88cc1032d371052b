using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using ProfileStudio.Core.Security;
using ProfileStudio.Hosting;

namespace ProfileStudio.Security;

/// <summary>
/// Authorization policies of the HTTP APIs. Each scope (<see cref="ApiScopes"/>) is a policy of the same
/// name; <see cref="AnyToken"/> takes any valid token. Endpoints use <see cref="ApiPolicyEndpointExtensions.RequireApiToken{TBuilder}"/>.
/// </summary>
internal static class ApiPolicies
{
    public const string AnyToken = "api_token";

    /// <summary>The batch-file API: the source's write key (checked by the endpoint) or a token with <c>ingest:batch</c>.</summary>
    public const string WriteKeyOrIngestBatch = "write_key_or_ingest_batch";

    public static void Add(AuthorizationBuilder authorization)
    {
        authorization.AddPolicy(AnyToken, p => p.AddAuthenticationSchemes(ApiTokenClaims.Scheme).RequireAuthenticatedUser());
        foreach (var scope in ApiScopes.All)
        {
            authorization.AddPolicy(scope, p => p
                .AddAuthenticationSchemes(ApiTokenClaims.Scheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new ApiScopeRequirement(scope)));
        }
        authorization.AddPolicy(WriteKeyOrIngestBatch, p => p
            .AddAuthenticationSchemes(ApiTokenClaims.Scheme)
            .AddRequirements(new ApiScopeRequirement(ApiScopes.IngestBatch, OnlyForTokens: true)));
    }
}

/// <summary>
/// The request's API token must have <paramref name="Scope"/>. With <paramref name="OnlyForTokens"/>, a request
/// without a valid token passes, for an endpoint that accepts another credential and checks it itself.
/// </summary>
internal sealed record ApiScopeRequirement(string Scope, bool OnlyForTokens = false) : IAuthorizationRequirement;

internal sealed class ApiScopeAuthorizationHandler : AuthorizationHandler<ApiScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiScopeRequirement requirement)
    {
        if (ApiTokenClaims.HasScope(context.User, requirement.Scope)
            || (requirement.OnlyForTokens && !ApiTokenClaims.IsApiToken(context.User)))
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>Answers a token that lacks a scope with a 403 that names the scope; everything else as usual.</summary>
internal sealed class ApiAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var missing = authorizeResult is { Forbidden: true, AuthorizationFailure: { } failure }
            ? failure.FailedRequirements.OfType<ApiScopeRequirement>().Select(r => r.Scope).ToList()
            : [];
        if (missing.Count > 0)
        {
            var scopes = string.Join(", ", missing.Select(s => $"\"{s}\""));
            await ApiErrors.Problem(StatusCodes.Status403Forbidden, ApiErrors.Permission,
                    $"This API token lacks the scope {scopes}; an administrator can create a token with it on Admin › API tokens.")
                .ExecuteAsync(context);
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}

internal static class ApiPolicyEndpointExtensions
{
    /// <summary>
    /// Requires an API token (with <paramref name="scope"/>, one of <see cref="ApiScopes"/>, when given) and
    /// applies the per-token rate limit: 401, 403 and 429 come in the APIs' error shape.
    /// </summary>
    public static TBuilder RequireApiToken<TBuilder>(this TBuilder builder, string? scope = null) where TBuilder : IEndpointConventionBuilder
    {
        if (scope is not null && !ApiScopes.IsKnown(scope))
        {
            throw new ArgumentException($"Unknown API scope \"{scope}\"; use one of ApiScopes.", nameof(scope));
        }
        return builder.RequireAuthorization(scope ?? ApiPolicies.AnyToken).RequireRateLimiting(ApiTokenRateLimitPolicy.Name);
    }
}
