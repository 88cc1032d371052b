using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Accounts;

public sealed class UsersGridLayoutTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string Email = "maximiliane.oberhuber-schwarzenegger@e2e.test";

    // A real surname longer than a line breaks every 24 letters (WrapText), and wide letters make even those pieces ~330 px.
    private const string LongName = "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW";

    /// <summary>
    /// At 1280×800 a row with every status (locked, password to change) and a long display name keeps its actions on screen:
    /// the name is cut short with an ellipsis (the whole name in its tooltip), the grid fits, and the actions column stays at the grid's right edge.
    /// </summary>
    [Fact]
    public Task LongNameAndPasswordToChange_KeepTheActionsOnScreen_AndTheWholeNameIsInATooltip() => WithPageAsync(async page =>
    {
        var admin = Studio.Server.Services.GetRequiredService<UserAdministration>();
        if ((await admin.ListAsync()).All(u => u.Email != Email))
        {
            Assert.True((await admin.CreateAsync(AuditActor.System, Email, LongName, [Roles.Support, Roles.DataEngineer, Roles.Marketer], password: null)).Succeeded);
            var id = (await admin.ListAsync()).Single(u => u.Email == Email).Id;
            Assert.True((await admin.LockAsync(AuditActor.System, id)).Succeeded);
        }
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();
        var users = new UsersPage(page);
        await users.GotoAsync();
        var row = users.Row(Email);
        await Expect(row.GetByText("Password to change")).ToBeVisibleAsync();

        var viewport = page.ViewportSize!;
        foreach (var label in new[] { $"Change roles of {Email}", $"Unlock {Email}", $"Reset password of {Email}" })
        {
            var button = row.GetByRole(AriaRole.Button, new() { Name = label, Exact = true });
            await Expect(button).ToBeInViewportAsync(new() { Ratio = 1 });
            var box = (await button.BoundingBoxAsync())!;
            Assert.True(box.X + box.Width <= viewport.Width, $"\"{label}\" ends at {box.X + box.Width}px, past the window's {viewport.Width}px");
        }
        var name = row.GetByTestId("user-display-name");
        await Expect(name).ToHaveTextAsync(LongName); // the whole name in the page; the ellipsis is only how it is drawn
        Assert.True(await name.EvaluateAsync<bool>("e => e.scrollWidth > e.clientWidth"), "the long name is cut short with an ellipsis");
        await name.HoverAsync();
        await Expect(page.Locator(".mud-tooltip").Filter(new() { HasText = LongName })).ToBeVisibleAsync();
        Assert.Empty(await LayoutChecks.OverflowingTablesAsync(page)); // every column in view, none behind the sticky actions
        await ThemeShots.SaveAsync(page, "users-long-name");
    });
}
