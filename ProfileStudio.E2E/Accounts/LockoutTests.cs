using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Accounts;

public sealed class LockoutTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string Email = "locked@e2e.test";

    [Fact]
    public Task WrongPasswordFiveTimes_LocksAccount_AdminSeesLockedUserAndAuditEntry() => WithPageAsync(async page =>
    {
        await CreateUserAsync(Email, "Support-Passw0rd!", Roles.Support);
        var allowedFailures = Studio.Server.Services.GetRequiredService<IOptions<IdentityOptions>>().Value.Lockout.MaxFailedAccessAttempts;
        Assert.Equal(5, allowedFailures);
        var login = new LoginPage(page);

        await login.GotoAsync();
        for (var attempt = 1; attempt < allowedFailures; attempt++)
        {
            await login.SignInAsync(Email, "Wrong-Passw0rd!");
            await Expect(login.Error).ToHaveTextAsync("Wrong email or password.");
            await Expect(login.Password).ToHaveValueAsync("");
        }
        await login.SignInAsync(Email, "Wrong-Passw0rd!");
        await Expect(login.Error).ToContainTextAsync("This account is locked");
        await Screenshots.SaveAsync(page, "10-login-locked");

        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();
        var users = new UsersPage(page);
        await users.GotoAsync();
        await users.ExpectLockedAsync(Email);

        var audit = new AuditLogPage(page);
        await audit.GotoAsync();
        await audit.FilterByUserAsync(Email);
        await Expect(audit.RowsWithAction(AuditActions.LockedOut)).ToHaveCountAsync(1);
        await Expect(audit.RowsWithAction(AuditActions.SignInFailed)).ToHaveCountAsync(allowedFailures - 1);
    });
}
