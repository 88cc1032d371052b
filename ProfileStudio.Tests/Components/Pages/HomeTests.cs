using Bunit;
using ProfileStudio.Components.Pages;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Components.Pages;

public sealed class HomeTests : StudioBunitContext
{
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
    public void Render_SignedInUser_GreetsThemByTheNameBeforeTheAt()
    {
        SignIn("carol@example.com", Roles.Support);

        var cut = Render<Home>();

        Assert.Equal("Welcome to ProfileStudio, carol", cut.Find("h1").TextContent.Trim());
        Assert.Contains("carol@example.com", cut.Markup);
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
