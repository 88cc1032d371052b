using ProfileStudio.Core.Accounts;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Accounts;

public sealed class UnicodeEmailTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string Email = "jürgen.o'brien@exämple.de";

    /// <summary>
    /// An address with an apostrophe and umlauts, typed into Create user, is stored as typed (the browser neither refuses it
    /// nor turns its domain into xn--…), and its owner signs in with it.
    /// </summary>
    [Fact]
    public Task AdminCreatesAUserWithAnUmlautAndAnApostrophe_TheUserSignsInWithIt() => WithPageAsync(async page =>
    {
        var login = new LoginPage(page);
        var shell = new ShellPage(page);
        var users = new UsersPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await shell.ExpectHomeAsync();
        await users.GotoAsync();
        await shell.WaitForInteractiveAsync();

        var dialog = await users.OpenCreateDialogAsync();
        await dialog.FillAsync(Email, Roles.Support);
        await dialog.SubmitAsync();
        var password = await users.Secret.ReadAsync();
        await users.Secret.CloseAsync();
        await Expect(users.Row(Email)).ToContainTextAsync(Roles.Support);

        await shell.SignOutAsync();
        await login.SignInAsync(Email, password);
        await new ChangePasswordPage(page).ExpectShownAsync();
    });
}
