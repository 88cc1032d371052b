using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Accounts;

public sealed partial class ForcedPasswordChangeTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string Email = "temporary@e2e.test";
    private const string OwnPassword = "Engineer-Passw0rd!";

    /// <summary>
    /// A user created with a temporary password signs in, ignores the change page and types another
    /// studio address: they land on the change page again. After changing, the typed page opens.
    /// </summary>
    [Fact]
    public Task TemporaryPassword_TypingAnotherAddress_LandsOnTheChangePageUntilChanged() => WithPageAsync(async page =>
    {
        var created = await Studio.Server.Services.GetRequiredService<UserAdministration>()
            .CreateAsync(AuditActor.System, Email, "", [Roles.DataEngineer], password: null);
        Assert.True(created.Succeeded, created.Error);
        var login = new LoginPage(page);
        var changePassword = new ChangePasswordPage(page);
        var shell = new ShellPage(page);

        await login.GotoAsync();
        await login.SignInAsync(Email, created.Password!);
        await changePassword.ExpectShownAsync();

        await page.GotoAsync("data/sources");
        await changePassword.ExpectShownAsync();
        await Expect(changePassword.MustChangeMessage).ToBeVisibleAsync();
        await page.GotoAsync("profiles");
        await changePassword.ExpectShownAsync();
        await Screenshots.SaveAsync(page, "07b-change-password-enforced");

        await changePassword.ChangeAsync(created.Password!, OwnPassword);

        await Expect(page).ToHaveURLAsync(ProfilesUrl());
        await shell.WaitForInteractiveAsync();
        await shell.OpenAsync("data/sources");
        await Expect(page).ToHaveURLAsync(SourcesUrl());
        await Expect(shell.Heading).ToHaveTextAsync("Sources");
    });

    [GeneratedRegex(@"/profiles$")]
    private static partial Regex ProfilesUrl();

    [GeneratedRegex(@"/data/sources$")]
    private static partial Regex SourcesUrl();
}
