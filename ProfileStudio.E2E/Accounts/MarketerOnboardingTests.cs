using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Accounts;

public sealed class MarketerOnboardingTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string MarketerEmail = "marketer@e2e.test";
    private const string MarketerPassword = "Marketer-Passw0rd!";

    /// <summary>
    /// The happy path through every main page, saving a screenshot of each: the administrator
    /// creates a Marketer with a generated password; the Marketer signs in with it, must choose
    /// their own, and then sees no Admin pages.
    /// </summary>
    [Fact]
    public Task AdminCreatesMarketer_MarketerChangesTemporaryPassword_AdminPagesStayClosed() => WithPageAsync(async page =>
    {
        var login = new LoginPage(page);
        var shell = new ShellPage(page);
        var users = new UsersPage(page);
        var audit = new AuditLogPage(page);
        var changePassword = new ChangePasswordPage(page);

        await login.GotoAsync();
        await Screenshots.SaveAsync(page, "01-login");
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await shell.ExpectHomeAsync();
        await Expect(shell.SignedInUser).ToHaveTextAsync(StudioServer.AdminEmail);
        await Screenshots.SaveAsync(page, "02-home");

        await shell.NavLink("Users").ClickAsync();
        await users.ExpectShownAsync();
        var dialog = await users.OpenCreateDialogAsync();
        await dialog.FillAsync(MarketerEmail, Roles.Marketer);
        await Screenshots.SaveAsync(page, "03-create-user-dialog");
        await dialog.SubmitAsync();
        var temporaryPassword = await users.Secret.ReadAsync();
        await Screenshots.SaveAsync(page, "04-temporary-password");
        await users.Secret.CloseAsync();
        await Expect(users.Row(MarketerEmail)).ToContainTextAsync(Roles.Marketer);
        await Screenshots.SaveAsync(page, "05-users");

        await shell.NavLink("Audit log").ClickAsync();
        await Expect(audit.RowsWithAction(AuditActions.UserCreated).Filter(new() { HasText = MarketerEmail })).ToHaveCountAsync(1);
        // Done in the studio (a circuit, no request of its own), the entry still says where from: the browser's address.
        await Expect(audit.RowsWithAction(AuditActions.UserCreated).Filter(new() { HasText = MarketerEmail })).ToContainTextAsync("127.0.0.1");
        await Screenshots.SaveAsync(page, "06-audit-log");

        await shell.SignOutAsync();
        await login.SignInAsync(MarketerEmail, temporaryPassword);
        await changePassword.ExpectShownAsync();
        await Expect(changePassword.MustChangeMessage).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "07-change-password");
        await changePassword.ChangeAsync(temporaryPassword, MarketerPassword);

        await shell.ExpectHomeAsync();
        await Expect(shell.SignedInUser).ToHaveTextAsync(MarketerEmail);
        await Expect(shell.NavLink("Dashboard")).ToBeVisibleAsync();
        await Expect(shell.NavGroup("Admin")).ToHaveCountAsync(0);
        await Expect(shell.NavLink("Users")).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(page, "08-home-marketer");

        var response = await page.GotoAsync("admin/users");
        await new AccessDeniedPage(page).ExpectShownAsync();
        Assert.Equal(403, response?.Status);
        await Screenshots.SaveAsync(page, "09-access-denied");
    });
}
