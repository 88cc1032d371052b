using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Admin.Users;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Admin.Users;

/// <summary>Admin › Users on real accounts (SQLite).</summary>
public sealed class UsersPageTests : StudioBunitContext
{
    private StudioServices? _studio;

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }

    [Fact]
    public async Task YourOwnRow_OffersNoLock_OthersDo()
    {
        _studio = await StudioServices.StartAsync(withAccounts: true, new Dictionary<string, string?>
        {
            ["Bootstrap:AdminEmail"] = "admin@example.com",
            ["Bootstrap:AdminPassword"] = "Bootstrap-Pass-1",
        });
        Assert.True((await _studio.Users.CreateAsync(AuditActor.System, "carol@example.com", "Carol", [Roles.Support], "Given-Pass-42")).Succeeded);
        var admin = (await _studio.Users.ListAsync()).Single(u => u.Email == "admin@example.com");
        Services.AddSingleton(_studio.Users);
        Services.AddScoped<CurrentActor>();
        SignIn("admin@example.com", Roles.Admin);
        Auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, admin.Id));
        Render<MudPopoverProvider>();
        Render<MudDialogProvider>();

        var page = Render<UsersPage>();

        // Locking yourself is refused: the button was offered, confirmed ("will be signed out"), then refused.
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=lock-own]")));
        Assert.NotNull(page.Find("button[aria-label='Lock carol@example.com']"));
        Assert.Empty(page.FindAll("button[aria-label='Lock admin@example.com']"));
    }

    [Fact]
    public async Task ALongDisplayName_IsCutShortWithTheWholeNameInATooltip_AndTheActionsStayAtTheRightEdge()
    {
        const string longName = "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW";
        _studio = await StudioServices.StartAsync(withAccounts: true, new Dictionary<string, string?>
        {
            ["Bootstrap:AdminEmail"] = "admin@example.com",
            ["Bootstrap:AdminPassword"] = "Bootstrap-Pass-1",
        });
        Assert.True((await _studio.Users.CreateAsync(AuditActor.System, "hubert@example.com", longName, [Roles.Support], password: null)).Succeeded);
        var admin = (await _studio.Users.ListAsync()).Single(u => u.Email == "admin@example.com");
        Services.AddSingleton(_studio.Users);
        Services.AddScoped<CurrentActor>();
        SignIn("admin@example.com", Roles.Admin);
        Auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, admin.Id));
        Render<MudPopoverProvider>();

        var page = Render<UsersPage>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=user-display-name]").Count));
        var names = page.FindComponents<MudTooltip>().Where(t => t.FindAll("[data-testid=user-display-name]").Count == 1)
            .ToDictionary(t => t.Find("[data-testid=user-display-name]").TextContent, t => t.Instance);
        // Drawn on one line with an ellipsis (app.css); the whole name stays in the page and in the tooltip.
        Assert.All(page.FindAll("[data-testid=user-display-name]"), n => Assert.Contains("user-display-name", n.ClassList));
        Assert.Equal((longName, false), (names[longName].Text, names[longName].Disabled));
        Assert.True(names["Administrator"].Disabled); // a name that always fits needs no tooltip repeating it
        var actions = page.Find("button[aria-label='Reset password of hubert@example.com']").Closest("td")!;
        Assert.Contains("sticky-right", actions.ClassList); // MudDataGrid's sticky column, as on API tokens
    }
}
