using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Security;
using ProfileStudio.Hosting;

namespace ProfileStudio.Security;

/// <summary>The claims of a request authenticated with an API token.</summary>
internal static class ApiTokenClaims
{
    public const string Scheme = "ApiToken";
    public const string TokenId = "api_token_id";
    public const string Scope = "scope";

    public static ClaimsPrincipal PrincipalOf(ApiTokenCredential token) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, token.Name),
            new Claim(TokenId, token.Id.ToString(CultureInfo.InvariantCulture)),
            .. token.Scopes.Select(s => new Claim(Scope, s)),
        ],
        Scheme));

    /// <summary>The token's id when <paramref name="user"/> was authenticated by an API token, else null.</summary>
    public static int? TokenIdOf(ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, AuthenticationType: Scheme }
        && int.TryParse(user.FindFirstValue(TokenId), CultureInfo.InvariantCulture, out var id)
            ? id
            : null;

    public static bool IsApiToken(ClaimsPrincipal user) => TokenIdOf(user) is not null;

    public static IReadOnlyList<string> ScopesOf(ClaimsPrincipal user) =>
        IsApiToken(user) ? user.FindAll(Scope).Select(c => c.Value).ToList() : [];

    public static bool HasScope(ClaimsPrincipal user, string scope) => ScopesOf(user).Contains(scope);
}

/// <summary>
/// The <c>ApiToken</c> authentication scheme: the token as <c>Authorization: Bearer &lt;token&gt;</c> or as
/// the Basic-auth user name (password ignored), like a write key. Refusals use the APIs' error shape:
/// 401 <c>authentication_error</c>, 403 <c>permission_error</c>.
/// </summary>
internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokenStore tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string MissingToken =
        "Send an API token as \"Authorization: Bearer <token>\" or as the Basic-auth user name; administrators create tokens on Admin › API tokens.";

    public const string UnknownToken = "Unknown or revoked API token.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if ((AuthorizationHeader.BearerToken(Request) ?? AuthorizationHeader.BasicUserName(Request)) is not { } secret)
        {
            return AuthenticateResult.NoResult();
        }
        if (await tokens.AuthenticateAsync(secret, Context.RequestAborted) is not { } token)
        {
            return AuthenticateResult.Fail(UnknownToken);
        }
        return AuthenticateResult.Success(new AuthenticationTicket(ApiTokenClaims.PrincipalOf(token), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = "Bearer";
        await ApiErrors.Problem(StatusCodes.Status401Unauthorized, ApiErrors.Authentication, result.Failure?.Message ?? MissingToken)
            .ExecuteAsync(Context);
    }

    /// <summary>Refusals for a missing scope name it (<see cref="ApiAuthorizationResultHandler"/>); this is for any other.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiErrors.Problem(StatusCodes.Status403Forbidden, ApiErrors.Permission, "This API token may not do this.").ExecuteAsync(Context);
}
