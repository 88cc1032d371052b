using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Security;

public sealed class ApiTokenStoryTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    /// <summary>
    /// An administrator creates a token for an application, sees its secret once, the application uses
    /// it over HTTP (Bearer and Basic), the page shows its last use; after revoking, it gets 401.
    /// </summary>
    [Fact]
    public Task AdminCreatesToken_SeesItOnce_ClientUsesIt_AdminRevokes_ClientGets401() => WithPageAsync(async page =>
    {
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        var shell = new ShellPage(page);
        await shell.ExpectHomeAsync();

        await shell.NavLink("API tokens").ClickAsync();
        var tokens = new ApiTokensPage(page);
        await Expect(tokens.Heading).ToBeVisibleAsync();
        await shell.WaitForInteractiveAsync();
        var name = $"Checkout service {Guid.NewGuid():N}"[..25];

        await tokens.OpenCreateDialogAsync();
        await tokens.FillAsync(name, "profiles:read", "ingest:batch");
        await Screenshots.SaveAsync(page, "30-create-api-token");
        await tokens.SubmitButton.ClickAsync();
        var secret = await tokens.Secret.ReadAsync();
        Assert.StartsWith("pst_", secret);
        await Screenshots.SaveAsync(page, "31-api-token-secret");
        await tokens.Secret.CloseAsync();

        // Shown once: the grid knows only the prefix, and the secret is nowhere in the page, even after a reload.
        await tokens.ExpectActiveAsync(name);
        await Expect(tokens.PrefixOf(name)).ToHaveTextAsync(secret[..12] + "…");
        await Expect(tokens.LastUsedOf(name)).ToHaveTextAsync("never");
        Assert.DoesNotContain(secret, await page.ContentAsync());
        await Screenshots.SaveAsync(page, "32-api-tokens");
        await tokens.GotoAsync();
        await tokens.ExpectActiveAsync(name);
        Assert.DoesNotContain(secret, await page.ContentAsync());

        using var api = new HttpClient { BaseAddress = Studio.Server.Address };
        using (var me = await TokensMeAsync(api, new AuthenticationHeaderValue("Bearer", secret)))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            var json = JsonDocument.Parse(await me.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(name, json.GetProperty("name").GetString());
            Assert.Equal(["profiles:read", "ingest:batch"], json.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        }
        using (var basic = await TokensMeAsync(api, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(secret + ":")))))
        {
            Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        }

        await tokens.RevokeButtonOf(name).ClickAsync();
        await Expect(page.Locator(".mud-dialog")).ToContainTextAsync("get 401 from now on");
        await Screenshots.SaveAsync(page, "33-revoke-api-token");
        await tokens.ConfirmRevokeButton.ClickAsync();
        await tokens.ExpectRevokedAsync(name);
        await Expect(tokens.RevokeButtonOf(name)).ToHaveCountAsync(0);
        await Expect(tokens.LastUsedOf(name)).Not.ToHaveTextAsync("never");
        await Screenshots.SaveAsync(page, "34-api-token-revoked");

        using var refused = await TokensMeAsync(api, new AuthenticationHeaderValue("Bearer", secret));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("authentication_error", error.GetProperty("code").GetString());
    });

    private static async Task<HttpResponseMessage> TokensMeAsync(HttpClient api, AuthenticationHeaderValue authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/tokens/me");
        request.Headers.Authorization = authorization;
        return await api.SendAsync(request);
    }
}
