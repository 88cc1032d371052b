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
}
