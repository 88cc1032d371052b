using System.Net;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;

namespace ProfileStudio.Tests.Hosting;

/// <summary>
/// A user whose password was generated (a new user, a reset, the first administrator without a configured
/// password) reaches nothing of the studio but the change-password page and sign-out until they change it.
/// </summary>
public sealed class PasswordChangeGateTests(StudioAppFactory factory) : IClassFixture<StudioAppFactory>
{
    private const string NewPassword = "My-Own-Pass-2026!";

    private async Task<(StudioClient Client, string Email, string Password)> SignedInWithGeneratedPasswordAsync(string role)
    {
        var email = $"gate-{Guid.NewGuid():N}@studio.test";
        var created = await factory.Users.CreateAsync(AuditActor.System, email, "", [role], password: null);
        Assert.True(created.Succeeded, created.Error);
        var client = factory.CreateStudioClient();
        using var response = await client.SignInAsync(email, created.Password!);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return (client, email, created.Password!);
    }

    [Theory]
    [InlineData(Roles.Admin, "/")]
    [InlineData(Roles.Admin, "/admin/users")]
    [InlineData(Roles.Admin, "/admin/api-tokens")]
    [InlineData(Roles.Admin, "/profiles")]
    [InlineData(Roles.Admin, "/identity/unification")]
    [InlineData(Roles.Admin, "/api-reference")]
    [InlineData(Roles.Admin, "/Account/Login")]
    [InlineData(Roles.Admin, "/no-such-page")]
    [InlineData(Roles.DataEngineer, "/data/sources?tab=1")]
    [InlineData(Roles.DataEngineer, "/data/batches/1/rejected.csv")]
    [InlineData(Roles.Support, "/profiles/1")]
    [InlineData(Roles.Admin, "/metrics")]
    [InlineData(Roles.Admin, "/METRICS/")]
    public async Task Get_StudioAddressBeforeTheChange_RedirectsToTheChangePageAndBack(string role, string url)
    {
        var (client, _, _) = await SignedInWithGeneratedPasswordAsync(role);
        using (client)
        {
            using var response = await client.GetAsync(url);

            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            Assert.Equal("/Account/ChangePassword?ReturnUrl=" + Uri.EscapeDataString(url), client.LocationOf(response));
        }
    }

    [Fact]
    public async Task BlazorHub_BeforeTheChange_LeadsToTheChangePageInsteadOfACircuit()
    {
        var (client, _, _) = await SignedInWithGeneratedPasswordAsync(Roles.Admin);
        using (client)
        {
            using var negotiate = await client.Http.PostAsync("/_blazor/negotiate?negotiateVersion=1", new StringContent(""));
            using var connect = await client.GetAsync("/_blazor?id=whatever");

            Assert.Equal(HttpStatusCode.Found, negotiate.StatusCode);
            Assert.Equal("/Account/ChangePassword", client.LocationOf(negotiate));
            Assert.Equal(HttpStatusCode.Found, connect.StatusCode);
            Assert.Equal("/Account/ChangePassword", client.LocationOf(connect));
        }
    }

    [Fact]
    public async Task ChangePageSignOutAndAssets_BeforeTheChange_StayReachable()
    {
        var (client, _, _) = await SignedInWithGeneratedPasswordAsync(Roles.Support);
        using (client)
        {
            using var page = await client.GetAsync("/Account/ChangePassword");
            using var css = await client.GetAsync("/app.css");
            using var health = await client.GetAsync("/healthz");

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.NotNull((await StudioClient.ParseAsync(page)).QuerySelector("[data-testid=must-change]"));
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            // The change page has no app bar: it offers its own sign-out form.
            var form = (await StudioClient.ParseAsync(page)).QuerySelector("form[action='/Account/Logout']");
            Assert.NotNull(form);
            using var signOut = await client.Http.PostAsync("/Account/Logout", new FormUrlEncodedContent(StudioClient.HiddenFields(form)));
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
            Assert.Equal("/Account/Login", client.LocationOf(signOut));
            using var home = await client.GetAsync("/");
            Assert.Equal("/Account/Login?ReturnUrl=%2F", client.LocationOf(home));
        }
    }

    [Fact]
    public async Task Get_AfterTheChange_ReachesTheAddressTypedBefore()
    {
        var (client, _, password) = await SignedInWithGeneratedPasswordAsync(Roles.Admin);
        using (client)
        {
            using var typed = await client.GetAsync("/admin/users");
            var changeUrl = client.LocationOf(typed);

            using var changed = await client.SubmitFormAsync(changeUrl, "change-password",
                new Dictionary<string, string> { ["current"] = password, ["new"] = NewPassword, ["confirm"] = NewPassword });

            Assert.Equal(HttpStatusCode.Found, changed.StatusCode);
            Assert.Equal("/admin/users", client.LocationOf(changed));
            using var users = await client.GetAsync("/admin/users");
            Assert.Equal(HttpStatusCode.OK, users.StatusCode);
            using var negotiate = await client.Http.PostAsync("/_blazor/negotiate?negotiateVersion=1", new StringContent(""));
            Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        }
    }

    [Fact]
    public async Task Get_UserWithTheirOwnPassword_IsNotSentToTheChangePage()
    {
        var email = await factory.CreateUserAsync(Roles.Admin);
        using var client = factory.CreateStudioClient();
        (await client.SignInAsync(email, "User-Pass-2026!")).Dispose();

        using var response = await client.GetAsync("/admin/users");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
