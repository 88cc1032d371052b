using Bunit;
using ProfileStudio.Components.Layout;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Components.Layout;

public sealed class NavMenuTests : StudioBunitContext
{
    private static IReadOnlyList<(string? Href, string Text)> Links(IRenderedComponent<NavMenu> cut) =>
        cut.FindAll("a").Select(a => (a.GetAttribute("href"), a.TextContent.Trim())).ToList();

    [Fact]
    public void Render_Admin_ShowsTheAdminGroupWithUsersApiTokensAndAuditLog()
    {
        SignIn("admin@example.com", Roles.Admin);

        var cut = Render<NavMenu>();

        Assert.Equal("Admin", cut.Find("[data-testid=nav-group-Admin]").TextContent.Trim());
        var links = Links(cut);
        Assert.Equal(("/", "Home"), links[0]);
        Assert.Equal([("/admin/users", "Users"), ("/admin/api-tokens", "API tokens"), ("/admin/audit", "Audit log")], links.Where(l => l.Href?.StartsWith("/admin/") == true));
    }

    [Fact]
    public void Render_Support_ShowsHomeAndProfilesOnly()
    {
        SignIn("someone@example.com", Roles.Support);

        var cut = Render<NavMenu>();

        Assert.Equal([("/", "Home"), ("/profiles", "Profiles")], Links(cut));
    }

    [Fact]
    public void Render_Marketer_ShowsProfilesAndIdentityInsightsButNoDataOrAdmin()
    {
        SignIn("someone@example.com", Roles.Marketer);

        var cut = Render<NavMenu>();

        Assert.Equal([("/", "Home"), ("/profiles", "Profiles"), ("/identity/insights", "Insights")], Links(cut));
        Assert.Empty(cut.FindAll("[data-testid=nav-group-Data]"));
        Assert.Empty(cut.FindAll("[data-testid=nav-group-Admin]"));
    }

    [Fact]
    public void Render_DataEngineer_ShowsDataPagesButNoAdmin()
    {
        SignIn("someone@example.com", Roles.DataEngineer);

        var cut = Render<NavMenu>();

        Assert.Contains(("/data/sources", "Sources"), Links(cut));
        Assert.Contains(("/data/batches", "Files"), Links(cut));
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
