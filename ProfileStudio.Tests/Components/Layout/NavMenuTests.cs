using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
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
        Assert.Equal(("/", "Dashboard"), links[0]);
        Assert.Equal([("/admin/users", "Users"), ("/admin/api-tokens", "API tokens"), ("/admin/audit", "Audit log")], links.Where(l => l.Href?.StartsWith("/admin/") == true));
    }

    [Fact]
    public void Render_Support_ShowsTheDashboardTheProfilesPagesTheSchemaAndTheApiReferenceOnly()
    {
        SignIn("someone@example.com", Roles.Support);

        var cut = Render<NavMenu>();

        Assert.Equal([("/", "Dashboard"), ("/profiles", "Explorer"), ("/profiles/merge-policies", "Merge policies"), ("/profiles/computed-attributes", "Computed attributes"), ("/profiles/segments", "Segments"), ("/data/schema", "Schema"), ("/api-reference", "API reference")], Links(cut));
    }

    [Fact]
    public void Render_Marketer_ShowsTheProfilesPagesTheSchemaIdentityInsightsAndSimulatorButNoOtherDataOrAdmin()
    {
        SignIn("someone@example.com", Roles.Marketer);

        var cut = Render<NavMenu>();

        Assert.Equal([("/", "Dashboard"), ("/profiles", "Explorer"), ("/profiles/merge-policies", "Merge policies"), ("/profiles/computed-attributes", "Computed attributes"), ("/profiles/segments", "Segments"), ("/data/schema", "Schema"), ("/identity/insights", "Insights"), ("/identity/simulator", "Simulator"), ("/api-reference", "API reference")], Links(cut));
        Assert.Single(cut.FindAll("[data-testid=nav-group-Data]")); // Data › Schema only
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

    [Theory]
    [InlineData("/profiles/merge-policies", "Merge policies")]
    [InlineData("/profiles/42", "Explorer")]
    public void Render_PageUnderAnotherPagesRoute_LightsOnlyItsOwnLink(string path, string expected)
    {
        SignIn("someone@example.com", Roles.Marketer);
        Services.GetRequiredService<NavigationManager>().NavigateTo(path);

        var cut = Render<NavMenu>();

        Assert.Equal([expected], cut.FindAll("a.active").Select(a => a.TextContent.Trim()));
    }

    [Fact]
    public void Render_NavigatingFromProfilesToMergePolicies_MovesTheHighlight()
    {
        SignIn("someone@example.com", Roles.Marketer);
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/profiles");
        var cut = Render<NavMenu>();

        navigation.NavigateTo("/profiles/merge-policies");

        cut.WaitForAssertion(() => Assert.Equal(["Merge policies"], cut.FindAll("a.active").Select(a => a.TextContent.Trim())));
    }

    [Fact]
    public void Render_Anonymous_ShowsNothing()
    {
        Auth.SetNotAuthorized();

        var cut = Render<NavMenu>();

        Assert.Empty(cut.FindAll("a"));
    }
}
