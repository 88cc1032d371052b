using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Security;
using ProfileStudio.Security;
using ProfileStudio.Tests.Hosting;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Security;

/// <summary>The ApiToken scheme and its policies on the real pipeline, through <c>GET /api/v1/tokens/me</c>.</summary>
public sealed class ApiTokenAuthenticationTests(ApiTokenAppFactory factory) : IClassFixture<ApiTokenAppFactory>
{
    private const string Me = "/api/v1/tokens/me";

    private static async Task<(string Name, string[] Scopes)> DescriptionAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        var json = await ApiResponses.JsonAsync(response);
        return (json.GetProperty("name").GetString()!, json.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!).ToArray());
    }

    private async Task<(ApiToken Token, string Secret)> CreateTokenAsync(params string[] scopes)
    {
        var result = await factory.Tokens.CreateAsync(AuditActor.System, $"token-{Guid.NewGuid():N}", scopes);
        Assert.True(result.Succeeded, result.Error);
        return (result.Token!, result.Secret!);
    }

    [Fact]
    public async Task TokensMe_BearerToken_AnswersItsNameAndScopes()
    {
        using var client = factory.CreateBearerClient(ApiTokenAppFactory.EverythingToken);

        using var response = await client.GetAsync(Me);

        var (name, scopes) = await DescriptionAsync(response);
        Assert.Equal("Everything", name);
        Assert.Equal([ApiScopes.ProfilesRead, ApiScopes.ProfilesDelete, ApiScopes.IngestBatch], scopes);
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("Request-Id").Single()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("whatever the password")]
    public async Task TokensMe_TokenAsBasicUserName_IgnoresThePassword(string password)
    {
        using var client = factory.CreateBasicClient(ApiTokenAppFactory.ReaderToken, password);

        using var response = await client.GetAsync(Me);

        var (name, scopes) = await DescriptionAsync(response);
        Assert.Equal("Reader", name);
        Assert.Equal([ApiScopes.ProfilesRead], scopes);
    }

    [Fact]
    public async Task TokensMe_WithoutAToken_Is401SayingHowToSendOne()
    {
        using var client = factory.CreateBearerClient(null);

        using var response = await client.GetAsync(Me);

        var message = await ApiResponses.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
        Assert.Contains("Authorization: Bearer <token>", message);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Single(response.Headers.GetValues("Request-Id"));
    }

    [Theory]
    [InlineData("Bearer", "pst_not_a_token_of_this_server_00000000")]
    [InlineData("Bearer", "PST_TEST_READER_00000000000000000001")]
    [InlineData("Basic", "pst_test_reader_0000000000000000000")]
    [InlineData("Basic", "wk_test_web_0000000000000000000001")]
    public async Task TokensMe_UnknownToken_Is401(string scheme, string token)
    {
        using var client = scheme == "Bearer" ? factory.CreateBearerClient(token) : factory.CreateBasicClient(token);

        using var response = await client.GetAsync(Me);

        var message = await ApiResponses.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
        Assert.Equal("Unknown or revoked API token.", message);
    }

    [Fact]
    public async Task TokensMe_TokenRevokedInTheStudio_Is401AtOnce()
    {
        var (token, secret) = await CreateTokenAsync(ApiScopes.ProfilesRead);
        using var client = factory.CreateBearerClient(secret);
        using (var before = await client.GetAsync(Me))
        {
            Assert.Equal(token.Name, (await DescriptionAsync(before)).Name);
        }

        await factory.Tokens.RevokeAsync(AuditActor.System, token.Id);

        using var after = await client.GetAsync(Me);
        await ApiResponses.ErrorAsync(after, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task TokensMe_TokenCreatedInTheStudio_WorksAndItsUseIsRecorded()
    {
        var (token, secret) = await CreateTokenAsync(ApiScopes.IngestBatch);
        using var client = factory.CreateBasicClient(secret);

        using var response = await client.GetAsync(Me);

        var (name, scopes) = await DescriptionAsync(response);
        Assert.Equal(token.Name, name);
        Assert.Equal([ApiScopes.IngestBatch], scopes);
        Assert.NotNull((await factory.Tokens.ListAsync()).Single(t => t.Id == token.Id).LastUsedAt);
    }

    [Fact]
    public async Task TokensMe_SignedInToTheStudioWithoutAToken_Is401()
    {
        using var studio = factory.CreateStudioClient();
        using (var signIn = await studio.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword))
        {
            Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
        }

        using var response = await studio.GetAsync(Me);

        await ApiResponses.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    public static TheoryData<string, string, bool> ScopeMatrix()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var (_, token, scopes) in ApiTokenAppFactory.ConfiguredTokens)
        {
            foreach (var scope in ApiScopes.All)
            {
                data.Add(token, scope, scopes.Contains(scope));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ScopeMatrix))]
    public async Task Policy_OfEachScope_AllowsExactlyTheTokensWithIt(string token, string scope, bool allowed)
    {
        var result = await AuthorizeAsync($"Bearer {token}", scope);

        Assert.Equal(allowed, result.Succeeded);
        if (!allowed)
        {
            Assert.Equal(scope, Assert.IsType<ApiScopeRequirement>(Assert.Single(result.Failure!.FailedRequirements)).Scope);
        }
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("Bearer pst_not_a_token_of_this_server_00000000", false)]
    [InlineData("Bearer " + ApiTokenAppFactory.LoaderToken, true)]
    public async Task Policy_AnyToken_NeedsAValidToken(string? authorization, bool allowed)
    {
        var result = await AuthorizeAsync(authorization, ApiPolicies.AnyToken);

        Assert.Equal(allowed, result.Succeeded);
    }

    [Fact]
    public void RequireApiToken_UnknownScope_Throws()
    {
        var app = WebApplication.CreateBuilder().Build();

        var thrown = Assert.Throws<ArgumentException>(() => app.MapGet("/x", () => "x").RequireApiToken("profiles:write"));

        Assert.Contains("profiles:write", thrown.Message);
    }

    /// <summary>The scheme authenticates a request with this header, then the named policy judges it, as the middleware does.</summary>
    private async Task<AuthorizationResult> AuthorizeAsync(string? authorization, string policy)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }
        var authenticated = await http.AuthenticateAsync(ApiTokenClaims.Scheme);
        var user = authenticated.Principal ?? new System.Security.Claims.ClaimsPrincipal();
        return await scope.ServiceProvider.GetRequiredService<IAuthorizationService>().AuthorizeAsync(user, http, policy);
    }
}
