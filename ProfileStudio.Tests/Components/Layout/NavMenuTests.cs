using Bunit;
using ProfileStudio.Components.Layout;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Components.Layout;

public sealed class NavMenuTests : StudioBunitContext
{
    private static IReadOnlyList<(string? Href, string Text)> Links(IRenderedComponent<NavMenu> cut) =>
        cut.FindAll("a").Select(a => (a.GetAttribute("href"), a.TextContent.Trim())).ToList();

    [Fact]
    public void Render_Admin_ShowsTheAdminGroupWithUsersAndAuditLog()
    {
        SignIn("admin@example.com", Roles.Admin);

        var cut = Render<NavMenu>();

        Assert.Equal("Admin", cut.Find("[data-testid=nav-group-Admin]").TextContent.Trim());
        var links = Links(cut);
        Assert.Equal(("/", "Home"), links[0]);
        Assert.Equal([("/admin/users", "Users"), ("/admin/audit", "Audit log")], links.Where(l => l.Href?.StartsWith("/admin/") == true));
    }

    [Theory]
    [InlineData(Roles.Marketer)]
    [InlineData(Roles.Support)]
    public void Render_RoleWithNoPagesYet_ShowsOnlyHome(string role)
    {
        SignIn("someone@example.com", role);

        var cut = Render<NavMenu>();

        Assert.Equal([("/", "Home")], Links(cut));
        Assert.Empty(cut.FindAll("[data-testid=nav-group-Admin]"));
    }

    [Theory]
    [InlineData(Roles.Marketer)]
    [InlineData(Roles.Support)]
    [InlineData(Roles.DataEngineer)]
    public void Render_NonAdmin_ShowsNoAdminGroupAndNoAdminLink(string role)
    {
        SignIn("someone@example.com", role);

        var cut = Render<NavMenu>();

        Assert.Empty(cut.FindAll("[data-testid=nav-group-Admin]"));
        Assert.DoesNotContain(Links(cut), l => l.Href?.StartsWith("/admin", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Render_Anonymous_ShowsNothing()
    {
        Auth.SetNotAuthorized();

        var cut = Render<NavMenu>();

        Assert.Empty(cut.FindAll("a"));
    }
}
