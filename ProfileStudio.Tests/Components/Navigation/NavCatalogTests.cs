using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using ProfileStudio.Components.Admin.ApiTokens;
using ProfileStudio.Components.Admin.Audit;
using ProfileStudio.Components.Admin.Users;
using ProfileStudio.Components.Navigation;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Components.Navigation;

public sealed class NavCatalogTests
{
    public static TheoryData<string> EntryTitles => new(NavCatalog.Entries.Select(e => e.Title));

    public static TheoryData<string> NonAdminRoles => new(Roles.All.Where(r => r != Roles.Admin));

    private static ClaimsPrincipal SignedIn(params string[] roles) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "someone@example.com"), .. roles.Select(r => new Claim(ClaimTypes.Role, r))],
            authenticationType: "Test"));

    private static NavEntry Entry(string title) => NavCatalog.Entries.Single(e => e.Title == title);

    [Theory]
    [MemberData(nameof(EntryTitles))]
    public void Href_EveryEntry_IsThePagesRoute(string title)
    {
        var entry = Entry(title);

        var routes = entry.Page.GetCustomAttributes<RouteAttribute>().Select(r => r.Template).ToList();

        Assert.Contains(entry.Href, routes);
        Assert.StartsWith("/", entry.Href);
    }

    [Theory]
    [MemberData(nameof(EntryTitles))]
    public void Roles_EveryEntry_AreThePagesAuthorizeRoles(string title)
    {
        var entry = Entry(title);

        var declared = entry.Page.GetCustomAttributes<AuthorizeAttribute>()
            .SelectMany(a => (a.Roles ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet();

        Assert.Equal(declared.Order(), entry.Roles.Order());
        Assert.All(entry.Roles, r => Assert.Contains(r, Roles.All));
    }

    [Theory]
    [MemberData(nameof(EntryTitles))]
    public void Group_EveryEntry_IsAKnownGroup(string title)
    {
        Assert.Contains(Entry(title).Group, NavCatalog.Groups);
    }

    [Fact]
    public void Entries_UsersAndAuditLog_AreAdminPagesAtTheirRoutes()
    {
        var users = Entry("Users");
        var audit = Entry("Audit log");

        Assert.Equal((typeof(UsersPage), "/admin/users", "Admin"), (users.Page, users.Href, users.Group));
        Assert.Equal((typeof(AuditLogPage), "/admin/audit", "Admin"), (audit.Page, audit.Href, audit.Group));
        Assert.Equal([Roles.Admin], users.Roles);
        Assert.Equal([Roles.Admin], audit.Roles);
    }

    [Theory]
    [InlineData("profiles/merge-policies", "Merge policies")]
    [InlineData("profiles/merge-policies?x=1", "Merge policies")]
    [InlineData("profiles", "Explorer")]
    [InlineData("profiles/42", "Explorer")]
    [InlineData("data/sources/3", "Sources")]
    [InlineData("", null)]
    [InlineData("profilesque", null)]
    public void Current_Path_IsTheEntryWithTheLongestMatchingRoute(string path, string? title)
    {
        Assert.Equal(title, NavCatalog.Current(path)?.Title);
    }

    [Fact]
    public void Href_PageWithoutRoute_Throws()
    {
        var entry = new NavEntry("Admin", "Broken", "", typeof(NavCatalogTests), "");

        Assert.Throws<InvalidOperationException>(() => entry.Href);
    }

    [Fact]
    public void VisibleTo_Admin_ShowsTheAdminGroupWithUsersApiTokensAndAuditLog()
    {
        var groups = NavCatalog.VisibleTo(SignedIn(Roles.Admin)).ToList();

        var admin = Assert.Single(groups, g => g.Key == "Admin");
        Assert.Equal(["Users", "API tokens", "Audit log"], admin.Select(e => e.Title));
    }

    [Fact]
    public void Entries_ApiTokens_IsAnAdminPageAtItsRoute()
    {
        var tokens = Entry("API tokens");

        Assert.Equal((typeof(ApiTokensPage), "/admin/api-tokens", "Admin"), (tokens.Page, tokens.Href, tokens.Group));
        Assert.Equal([Roles.Admin], tokens.Roles);
    }

    [Theory]
    [MemberData(nameof(NonAdminRoles))]
    public void VisibleTo_NonAdminRole_ShowsNoAdminGroup(string role)
    {
        var groups = NavCatalog.VisibleTo(SignedIn(role)).ToList();

        Assert.DoesNotContain(groups, g => g.Key == "Admin");
        Assert.All(groups.SelectMany(g => g), e => Assert.True(e.Roles.Count == 0 || e.Roles.Contains(role), $"{e.Title} is not for {role}"));
    }

    [Fact]
    public void VisibleTo_AdminWithOtherRoles_StillShowsTheAdminGroup()
    {
        var groups = NavCatalog.VisibleTo(SignedIn(Roles.Support, Roles.Admin)).ToList();

        Assert.Contains(groups, g => g.Key == "Admin");
    }

    [Fact]
    public void IsVisibleTo_Anonymous_IsFalseForEveryEntry()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, Roles.Admin)]));

        Assert.All(NavCatalog.Entries, e => Assert.False(e.IsVisibleTo(anonymous)));
        Assert.Empty(NavCatalog.VisibleTo(anonymous));
    }

    [Fact]
    public void IsVisibleTo_PageWithoutRoles_IsVisibleToAnySignedInUser()
    {
        var home = new NavEntry("Profiles", "Dashboard", "", typeof(ProfileStudio.Components.Dashboard.DashboardPage), "");

        Assert.Empty(home.Roles);
        Assert.True(home.IsVisibleTo(SignedIn(Roles.Support)));
    }
}
