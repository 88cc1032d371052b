using System.Net;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;

namespace ProfileStudio.Tests.Hosting;

/// <summary>A locked or re-roled user loses an open session within a minute (the security stamp check).</summary>
public sealed class SessionRevalidationTests(ClockedStudioAppFactory factory) : IClassFixture<ClockedStudioAppFactory>
{
    private static readonly TimeSpan PastRevalidation = TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(5);

    private async Task<SignedInUser> SignedInAsync(string role)
    {
        var email = await factory.CreateUserAsync(role);
        var client = factory.CreateStudioClient();
        using var response = await client.SignInAsync(email, "User-Pass-2026!");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return new SignedInUser(client, (await factory.Users.ListAsync()).Single(u => u.Email == email).Id);
    }

    private sealed record SignedInUser(StudioClient Client, string Id) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }

    [Fact]
    public async Task Get_AfterTheUserIsLocked_SignsThemOutWithinAMinute()
    {
        using var user = await SignedInAsync(Roles.Support);
        Assert.True((await factory.Users.LockAsync(AuditActor.System, user.Id)).Succeeded);

        factory.Clock.Advance(PastRevalidation);
        using var response = await user.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.StartsWith("/Account/Login", user.Client.LocationOf(response));
    }

    [Fact]
    public async Task Get_AfterAdminRoleIsRemoved_NoLongerOpensTheAdminPage()
    {
        using var user = await SignedInAsync(Roles.Admin);
        using (var before = await user.Client.GetAsync("/admin/users"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        Assert.True((await factory.Users.SetRolesAsync(AuditActor.System, user.Id, [Roles.Support])).Succeeded);

        factory.Clock.Advance(PastRevalidation);
        using var response = await user.Client.GetAsync("/admin/users");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.DoesNotContain("/admin/users", response.Headers.Location?.AbsolutePath ?? "");
    }

    [Fact]
    public async Task Get_UnchangedUserAfterAMinute_StaysSignedIn()
    {
        using var user = await SignedInAsync(Roles.Support);

        factory.Clock.Advance(PastRevalidation);
        using var response = await user.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
