using System.Net;
using ProfileStudio.Accounts;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;

namespace ProfileStudio.Tests.Hosting;

public sealed class SignInTests(StudioAppFactory factory) : IClassFixture<StudioAppFactory>
{
    private const string LockedMessage = "This account is locked. Try again later or ask an administrator to unlock it.";

    private async Task<IReadOnlyList<AuditEntry>> AuditOfAsync(string email, string action) =>
        (await factory.Audit.QueryAsync(new AuditFilter(Actor: email, Action: action), 0, 100)).Entries;

    [Fact]
    public async Task SignIn_AdminThroughTheForm_RedirectsHomeAndOpensTheStudio()
    {
        using var client = factory.CreateStudioClient();

        using var response = await client.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/", client.LocationOf(response));
        using var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        var signedIn = (await StudioClient.ParseAsync(home)).QuerySelector("[data-testid=signed-in-user]");
        Assert.Equal(StudioAppFactory.AdminEmail, signedIn?.TextContent.Trim());
    }

    [Fact]
    public async Task SignIn_RightPassword_IsAuditedAndRecordsTheTime()
    {
        var email = await factory.CreateUserAsync(Roles.Marketer);
        using var client = factory.CreateStudioClient();

        using var response = await client.SignInAsync(email, "User-Pass-2026!");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Single(await AuditOfAsync(email, AuditActions.SignIn));
        Assert.NotNull((await factory.Users.ListAsync()).Single(u => u.Email == email).LastSignInAt);
    }

    [Fact]
    public async Task SignIn_FromAProtectedPage_ReturnsToThatPage()
    {
        using var client = factory.CreateStudioClient();
        using var challenge = await client.GetAsync("/admin/audit");
        var loginUrl = client.LocationOf(challenge);

        using var response = await client.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword, loginUrl);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/admin/audit", client.LocationOf(response));
    }

    [Fact]
    public async Task SignIn_ReturnUrlToAnotherSite_GoesHomeInstead()
    {
        using var client = factory.CreateStudioClient();

        using var response = await client.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword,
            "/Account/Login?ReturnUrl=" + Uri.EscapeDataString("https://evil.example/steal"));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/", client.LocationOf(response));
    }

    [Fact]
    public async Task SignIn_GeneratedPassword_GoesToChangePasswordFirst()
    {
        var email = $"generated-{Guid.NewGuid():N}@studio.test";
        var created = await factory.Users.CreateAsync(AuditActor.System, email, "", [Roles.Support], password: null);
        using var client = factory.CreateStudioClient();

        using var response = await client.SignInAsync(email, created.Password!);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/Account/ChangePassword?ReturnUrl=%2F", client.LocationOf(response));
    }

    [Fact]
    public async Task SignIn_WrongPassword_StaysOnTheFormWithAnErrorAndIsAudited()
    {
        var email = await factory.CreateUserAsync(Roles.Support);
        using var client = factory.CreateStudioClient();

        using var response = await client.SignInAsync(email, "Not-The-Password-1!");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Wrong email or password.", await StudioClient.LoginErrorAsync(response));
        var entry = Assert.Single(await AuditOfAsync(email, AuditActions.SignInFailed));
        Assert.Equal("wrong password", entry.Details);
        using var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Found, home.StatusCode);
    }

    [Fact]
    public async Task SignIn_UnknownEmail_SaysTheSameAsAWrongPassword()
    {
        using var client = factory.CreateStudioClient();

        using var response = await client.SignInAsync("nobody@studio.test", "Whatever-Pass-1!");

        Assert.Equal("Wrong email or password.", await StudioClient.LoginErrorAsync(response));
        Assert.Equal("unknown email", Assert.Single(await AuditOfAsync("nobody@studio.test", AuditActions.SignInFailed)).Details);
    }

    [Fact]
    public async Task SignIn_WrongPasswordFiveTimes_LocksTheAccount()
    {
        var email = await factory.CreateUserAsync(Roles.Support);
        using var client = factory.CreateStudioClient();
        var errors = new List<string?>();

        for (var attempt = 1; attempt <= AccountServiceCollectionExtensions.MaxFailedSignIns; attempt++)
        {
            using var response = await client.SignInAsync(email, $"Wrong-Pass-{attempt}!");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            errors.Add(await StudioClient.LoginErrorAsync(response));
        }

        Assert.Equal(Enumerable.Repeat("Wrong email or password.", 4), errors.Take(4));
        Assert.Equal(LockedMessage, errors[4]);
        Assert.True((await factory.Users.ListAsync()).Single(u => u.Email == email).IsLockedOut);
        Assert.Equal(4, (await AuditOfAsync(email, AuditActions.SignInFailed)).Count);
        Assert.Single(await AuditOfAsync(email, AuditActions.LockedOut));
    }

    [Fact]
    public async Task SignIn_RightPasswordWhileLockedOut_IsRefused()
    {
        var email = await factory.CreateUserAsync(Roles.Support);
        using var client = factory.CreateStudioClient();
        for (var attempt = 1; attempt <= AccountServiceCollectionExtensions.MaxFailedSignIns; attempt++)
        {
            (await client.SignInAsync(email, $"Wrong-Pass-{attempt}!")).Dispose();
        }

        using var response = await client.SignInAsync(email, "User-Pass-2026!");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(LockedMessage, await StudioClient.LoginErrorAsync(response));
        Assert.Equal(2, (await AuditOfAsync(email, AuditActions.LockedOut)).Count);
        Assert.Empty(await AuditOfAsync(email, AuditActions.SignIn));
        using var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Found, home.StatusCode);
    }

    [Fact]
    public async Task SignIn_LockedByAnAdministrator_IsRefused()
    {
        var email = await factory.CreateUserAsync(Roles.Support);
        var user = (await factory.Users.ListAsync()).Single(u => u.Email == email);
        Assert.True((await factory.Users.LockAsync(AuditActor.System, user.Id)).Succeeded);
        using var client = factory.CreateStudioClient();

        using var response = await client.SignInAsync(email, "User-Pass-2026!");

        Assert.Equal(LockedMessage, await StudioClient.LoginErrorAsync(response));
    }

    [Fact]
    public async Task SignOut_SignedIn_EndsTheSessionAndIsAudited()
    {
        var email = await factory.CreateUserAsync(Roles.DataEngineer);
        using var client = factory.CreateStudioClient();
        (await client.SignInAsync(email, "User-Pass-2026!")).Dispose();

        using var response = await client.SignOutAsync();

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/Account/Login", client.LocationOf(response));
        using var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Found, home.StatusCode);
        Assert.Equal("/Account/Login?ReturnUrl=%2F", client.LocationOf(home));
        var entry = Assert.Single(await AuditOfAsync(email, AuditActions.SignOut));
        Assert.Equal(email, entry.ActorName);
        Assert.NotNull(entry.ActorId);
    }

    [Fact]
    public async Task SignOut_WithoutAntiforgeryToken_IsRejected()
    {
        using var client = factory.CreateStudioClient();
        (await client.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword)).Dispose();

        using var response = await client.Http.PostAsync("/Account/Logout", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
    }
}
