using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Profiles.Explorer;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Profiles.Explorer;

/// <summary>The profile page on a real store: who sees Edit and Delete, and the edit refusing a role that may not edit.</summary>
public sealed class ProfilePageRoleTests : StudioBunitContext
{
    private readonly StudioServices _studio = StudioServices.Create(withAccounts: false);

    public ProfilePageRoleTests()
    {
        foreach (var type in new[]
        {
            typeof(ProfileExplorerReader), typeof(ProfileReader), typeof(MergePolicyStore), typeof(SourceRegistry), typeof(UnificationNotifications),
            typeof(IdentityReader), typeof(UnificationJobs), typeof(StudioEdits), typeof(ProfileEraser),
        })
        {
            Services.AddSingleton(type, _studio.Services.GetRequiredService(type));
        }
        Services.AddScoped<CurrentActor>();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    private async Task SeedAsync()
    {
        await _studio.StartHostedServicesAsync();
        var seed = new ProfileStoreSeed(_studio.Services);
        var web = await seed.SourceAsync("Website");
        var message = await seed.MessageAsync(web, new { type = "identify", userId = "ada", traits = new { name = "Ada" } }, ProfileStoreSeed.T0);
        await seed.ProfileAsync(1, message, message);
        await seed.IdentityAsync(1, "user_id", "ada", web, message, message);
        await seed.AttributeAsync(1, web, "name", "\"Ada\"", ProfileStoreSeed.T0, message);
    }

    private IRenderedComponent<ProfilePage> RenderPage()
    {
        Render<MudPopoverProvider>();
        var page = Render<ProfilePage>(p => p.Add(c => c.Id, 1L));
        page.WaitForAssertion(() => Assert.Equal("Ada", page.Find("h1").TextContent.Trim()));
        return page;
    }

    [Theory]
    [InlineData(Roles.Support, false, false)]
    [InlineData(Roles.Marketer, false, false)]
    [InlineData(Roles.DataEngineer, true, false)]
    [InlineData(Roles.Admin, true, true)]
    public async Task Render_ByRole_EditAndDeleteOnlyForTheRolesAllowed(string role, bool edit, bool delete)
    {
        await SeedAsync();
        SignIn("someone@example.com", role);

        var page = RenderPage();

        Assert.Equal(edit, page.FindAll("[data-testid=edit-attribute]").Count == 1);
        Assert.Equal(delete, page.FindAll("[data-testid=delete-profile]").Count == 1);
        Assert.Single(page.FindAll("[data-testid=attributes-table]"));
    }

    [Fact]
    public async Task Save_RoleThatMayNotEdit_IsRefusedWhereTheEditIsMade()
    {
        await SeedAsync();
        SignIn("support@example.com", Roles.Support);

        // Rendered directly, as a crafted circuit could reach it: the handler checks the role itself.
        var panel = Render<EditAttributePanel>(p => p.Add(c => c.ProfileId, 1L));
        panel.WaitForElement("[data-testid=edit-attribute-key]").Input("plan"); // checked as the user types
        panel.Find("[data-testid=edit-attribute-value]").Change("vip");
        panel.Find("button[data-testid=edit-attribute-save]").Click();

        panel.WaitForAssertion(() => Assert.Contains("Only administrators and data engineers", panel.Find("[data-testid=edit-attribute-outcome]").TextContent));
        var sources = await _studio.Services.GetRequiredService<SourceRegistry>().NamesAsync();
        Assert.DoesNotContain(StudioEdits.SourceName, sources.Values);
    }

    [Fact]
    public async Task ComparePolicies_WithOnePolicy_SaysToCreateAnother_WithTwo_ComparesThem()
    {
        await SeedAsync();
        SignIn("marketer@example.com", Roles.Marketer);
        var store = _studio.Services.GetRequiredService<MergePolicyStore>();

        Render<MudPopoverProvider>();
        var one = await store.ListAsync();
        var single = Render<PolicyComparison>(p => p.Add(c => c.ProfileId, 1L).Add(c => c.Policies, one));
        single.WaitForAssertion(() => Assert.Contains("only one merge policy", single.Find("[data-testid=compare-single-policy]").TextContent));

        var web = (await _studio.Services.GetRequiredService<SourceRegistry>().NamesAsync()).Single(s => s.Value == "Website").Key;
        var created = await store.CreateAsync(Core.Auditing.AuditActor.System,
            new MergePolicyDraft("Website only", null, IdentityStitching.Graph, AttributeMergeRule.SourcePrecedence, [web], []));
        Assert.True(created.Succeeded, string.Join(" ", created.Problems));
        var two = await store.ListAsync();
        var both = Render<PolicyComparison>(p => p.Add(c => c.ProfileId, 1L).Add(c => c.Policies, two));

        both.WaitForAssertion(() => Assert.Contains("Both policies give the same profile.", both.Markup));
        Assert.Empty(both.FindAll("[data-testid=compare-single-policy]"));
        Assert.Contains("Website only", both.Markup);
    }

    /// <summary>Profiles 2 and 3, known by what a CRM file sends: an e-mail only; a CRM id with a device seen later.</summary>
    private async Task SeedKnownByFilesAsync()
    {
        await SeedAsync();
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("CRM export");
        var message = await seed.MessageAsync(crm, new { type = "identify", traits = new { name = "Bob" } }, ProfileStoreSeed.T0);
        await seed.ProfileAsync(2, message, message);
        await seed.IdentityAsync(2, "email", "bob@example.com", crm, message, message);
        await seed.ProfileAsync(3, message, message);
        await seed.IdentityAsync(3, "crm_id", "CRM-3", crm, message, message);
        await seed.IdentityAsync(3, "anonymous_id", "device-3", crm, message, message);
    }

    [Fact]
    public async Task EditAttribute_ProfileWithoutUserOrAnonymousId_SaysSoUpFront_AndHasNoForm()
    {
        await SeedKnownByFilesAsync();
        SignIn("engineer@example.com", Roles.DataEngineer);

        var panel = Render<EditAttributePanel>(p => p.Add(c => c.ProfileId, 2L));

        var notice = panel.WaitForElement("[data-testid=edit-attribute-unavailable]");
        Assert.Equal(StudioEdits.NotEditable, notice.TextContent.Trim());
        Assert.Contains("no user_id or anonymous_id", notice.TextContent);
        Assert.Empty(panel.FindAll("[data-testid=edit-attribute-key]"));
        Assert.Empty(panel.FindAll("[data-testid=edit-attribute-save]"));
    }

    [Fact]
    public async Task EditAttribute_PrimaryIdentityIsACrmId_IsSentWithTheProfilesAnonymousId()
    {
        await SeedKnownByFilesAsync();
        SignIn("engineer@example.com", Roles.DataEngineer);

        var panel = Render<EditAttributePanel>(p => p.Add(c => c.ProfileId, 3L));

        panel.WaitForElement("[data-testid=edit-attribute-key]");
        Assert.Contains("Saved for anonymous_id:device-3", panel.Find("[data-testid=edit-attribute-identity]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=edit-attribute-unavailable]"));
        Assert.Equal("crm_id", (await _studio.Services.GetRequiredService<ProfileExplorerReader>().PrimaryIdentityAsync(3))!.Namespace);
    }

    [Theory]
    [InlineData("bad key with spaces!", "a space")]
    [InlineData("plan!", "\"!\"")]
    [InlineData("address..city", "empty part between dots")]
    public async Task EditAttribute_KeyAgainstTheRule_FormSaysWhy_SaveIsOff_AndCoreRefusesIt(string key, string reason)
    {
        await SeedAsync();
        SignIn("engineer@example.com", Roles.DataEngineer);

        var panel = Render<EditAttributePanel>(p => p.Add(c => c.ProfileId, 1L));
        panel.WaitForElement("[data-testid=edit-attribute-key]").Input(key);

        panel.WaitForAssertion(() => Assert.Contains(reason, panel.Markup));
        Assert.True(panel.Find("button[data-testid=edit-attribute-save]").HasAttribute("disabled"));
        // The rule holds where the edit is made, whatever the form let through.
        var edits = _studio.Services.GetRequiredService<StudioEdits>();
        var result = await edits.SetAttributeAsync(Core.Auditing.AuditActor.System, new IdentityKey("user_id", "ada"), key, "x");
        Assert.False(result.Succeeded);
        Assert.Contains(reason, result.Error);
        Assert.Equal(result.Error, AttributeKeys.Problem(key));
    }
}
