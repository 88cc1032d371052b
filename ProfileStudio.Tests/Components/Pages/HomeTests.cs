using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Pages;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Pages;

public sealed class HomeTests : StudioBunitContext
{
    private readonly StudioServices _studio = StudioServices.Create(withAccounts: true);

    public HomeTests()
    {
        // Migrated before any render: the greeting reads the user's display name from the store.
        _studio.StartHostedServicesAsync().GetAwaiter().GetResult();
        Services.AddSingleton(_studio.Services.GetRequiredService<UserDisplayNames>());
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    private static IReadOnlyList<string> ShownRoles(IRenderedComponent<Home> cut) =>
        cut.FindAll("[data-testid=home-role] .mud-chip").Select(c => c.TextContent.Trim()).ToList();

    [Fact]
    public void Render_SignedInUser_ShowsTheirRolesWithDescriptions()
    {
        SignIn("carol@example.com", Roles.Support, Roles.Marketer);

        var cut = Render<Home>();

        Assert.Equal([Roles.Marketer, Roles.Support], ShownRoles(cut));
        Assert.Contains(Roles.Describe(Roles.Support), cut.Find("[data-testid=home-role]:nth-of-type(2)").TextContent);
    }

    [Fact]
    public async Task Render_UserWithADisplayName_IsGreetedByIt()
    {
        Assert.True((await _studio.Users.CreateAsync(AuditActor.System, "carol@example.com", "Carol Danvers", [Roles.Support], null)).Succeeded);
        SignIn("carol@example.com", Roles.Support);

        var cut = Render<Home>();

        cut.WaitForAssertion(() => Assert.Equal("Welcome to ProfileStudio, Carol Danvers", cut.Find("h1").TextContent.Trim()));
        Assert.Contains("carol@example.com", cut.Markup);
    }

    [Fact]
    public async Task Render_UserWithoutADisplayName_IsGreetedNeutrally_NeverByTheirEmail()
    {
        Assert.True((await _studio.Users.CreateAsync(AuditActor.System, "dave@example.com", "", [Roles.Support], null)).Succeeded);
        SignIn("dave@example.com", Roles.Support);

        var cut = Render<Home>();

        cut.WaitForAssertion(() => Assert.Equal("Welcome to ProfileStudio", cut.Find("h1").TextContent.Trim()));
    }

    [Fact]
    public void Render_PromisesNothingTheStudioDoesNotHave()
    {
        SignIn("carol@example.com", Roles.Marketer);

        var cut = Render<Home>();

        Assert.DoesNotContain("segments", cut.Find("[data-testid=home-intro]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(cut.FindAll("a"), a => a.GetAttribute("href")?.StartsWith("/segments", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Render_Admin_OffersTheAdminPages()
    {
        SignIn("admin@example.com", Roles.Admin);

        var cut = Render<Home>();

        Assert.Equal([Roles.Admin], ShownRoles(cut));
        var hrefs = cut.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/admin/users", hrefs);
        Assert.Contains("/admin/audit", hrefs);
    }

    [Fact]
    public void Render_Support_OffersNoAdminPage()
    {
        SignIn("carol@example.com", Roles.Support);

        var cut = Render<Home>();

        var hrefs = cut.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.DoesNotContain(hrefs, h => h?.StartsWith("/admin", StringComparison.Ordinal) == true);
    }
}
