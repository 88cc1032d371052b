using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Hosting;

public sealed class RoleAuthorizationTests(StudioAppFactory factory) : IClassFixture<StudioAppFactory>
{
    private async Task<StudioClient> SignedInAsync(string role)
    {
        var email = await factory.CreateUserAsync(role);
        var client = factory.CreateStudioClient();
        using var response = await client.SignInAsync(email, "User-Pass-2026!");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return client;
    }

    /// <summary>Follows redirects on this site, as a browser would, and returns the last answer.</summary>
    private static async Task<HttpResponseMessage> FollowAsync(StudioClient client, string url)
    {
        var response = await client.GetAsync(url);
        for (var hops = 0; hops < 5 && response.StatusCode is HttpStatusCode.Found or HttpStatusCode.Redirect; hops++)
        {
            var next = client.LocationOf(response);
            response.Dispose();
            response = await client.GetAsync(next);
        }
        return response;
    }

    [Theory]
    [InlineData(Roles.Support, "/admin/users")]
    [InlineData(Roles.Support, "/admin/audit")]
    [InlineData(Roles.Marketer, "/admin/users")]
    [InlineData(Roles.DataEngineer, "/admin/audit")]
    [InlineData(Roles.DataEngineer, "/admin/api-tokens")]
    [InlineData(Roles.Support, "/admin/api-tokens")]
    public async Task Get_AdminPageWithoutAdminRole_IsForbidden(string role, string url)
    {
        using var client = await SignedInAsync(role);

        using var first = await client.GetAsync(url);
        using var final = await FollowAsync(client, url);

        Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        Assert.StartsWith("/Account/AccessDenied", client.LocationOf(first));
        Assert.Equal(HttpStatusCode.Forbidden, final.StatusCode);
        var denied = (await StudioClient.ParseAsync(final)).QuerySelector("[data-testid=access-denied] h1");
        Assert.Equal("Access denied", denied?.TextContent.Trim());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/profiles")]
    [InlineData("/profiles/1")]
    [InlineData("/data/schema")]
    [InlineData("/api-reference")]
    public async Task Get_PageForEveryRole_AsAnAccountWithNoRole_IsForbidden(string url)
    {
        // An account whose roles were all taken away (the studio now refuses that; a database edit or an older version did not).
        var email = await factory.CreateUserAsync(Roles.Support);
        using (var scope = factory.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            var user = await users.FindByEmailAsync(email);
            Assert.True((await users.RemoveFromRoleAsync(user!, Roles.Support)).Succeeded);
        }
        using var client = factory.CreateStudioClient();
        using (var signIn = await client.SignInAsync(email, "User-Pass-2026!"))
        {
            Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
        }

        using var final = await FollowAsync(client, url);

        Assert.Equal(HttpStatusCode.Forbidden, final.StatusCode);
        Assert.Equal("Access denied", (await StudioClient.ParseAsync(final)).QuerySelector("[data-testid=access-denied] h1")?.TextContent.Trim());
    }

    [Theory]
    [InlineData("/admin/users", "Users")]
    [InlineData("/admin/audit", "Audit log")]
    [InlineData("/admin/api-tokens", "API tokens")]
    public async Task Get_AdminPageAsAdmin_IsShown(string url, string heading)
    {
        using var client = await SignedInAsync(Roles.Admin);

        using var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(heading, (await StudioClient.ParseAsync(response)).QuerySelector("h1")?.TextContent.Trim());
    }

    [Theory]
    [InlineData(Roles.Admin, HttpStatusCode.OK)]
    [InlineData(Roles.Marketer, HttpStatusCode.OK)]
    [InlineData(Roles.DataEngineer, HttpStatusCode.OK)]
    [InlineData(Roles.Support, HttpStatusCode.Forbidden)]
    public async Task Get_RuleSimulator_IsForAdminsDataEngineersAndMarketers(string role, HttpStatusCode expected)
    {
        using var client = await SignedInAsync(role);

        using var response = await FollowAsync(client, "/identity/simulator");

        Assert.Equal(expected, response.StatusCode);
        var heading = (await StudioClient.ParseAsync(response)).QuerySelector("h1")?.TextContent.Trim();
        Assert.Equal(expected == HttpStatusCode.OK ? "Rule simulator" : "Access denied", heading);
    }

    [Theory]
    [InlineData(Roles.Support)]
    [InlineData(Roles.Marketer)]
    [InlineData(Roles.DataEngineer)]
    public async Task Get_HomeAsAnyRole_IsShownWithoutAdminLinks(string role)
    {
        using var client = await SignedInAsync(role);

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var links = (await StudioClient.ParseAsync(response)).QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")!);
        Assert.DoesNotContain(links, h => h.StartsWith("/admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_HomeAsAdmin_LinksTheAdminPages()
    {
        using var client = await SignedInAsync(Roles.Admin);

        using var response = await client.GetAsync("/");

        var links = (await StudioClient.ParseAsync(response)).QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/admin/users", links);
        Assert.Contains("/admin/audit", links);
        Assert.Contains("/admin/api-tokens", links);
    }

    [Theory]
    [InlineData(Roles.Admin, true)]
    [InlineData(Roles.Marketer, true)]
    [InlineData(Roles.Support, false)]
    [InlineData(Roles.DataEngineer, false)]
    public async Task Get_MergePoliciesAsAnyRole_IsShownWithEditControlsOnlyForEditors(string role, bool editor)
    {
        using var client = await SignedInAsync(role);

        using var response = await client.GetAsync("/profiles/merge-policies");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await StudioClient.ParseAsync(response);
        Assert.Equal("Merge policies", page.QuerySelector("h1")?.TextContent.Trim());
        Assert.Contains("Most recent", page.QuerySelector("[data-testid=policies-table]")?.TextContent);
        Assert.Equal(editor, page.QuerySelector("[data-testid=add-policy]") is not null);
        Assert.Equal(!editor, page.QuerySelector("[data-testid=policies-read-only]") is not null);
    }
}
