using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Profiles.MergePolicies;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Sources;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Profiles.MergePolicies;

/// <summary>The page on the real store (SQLite in a temp folder), as an editor and as a read-only role.</summary>
public sealed class MergePoliciesPageTests : StudioBunitContext
{
    private readonly StudioServices _studio = StudioServices.Create(withAccounts: false);

    public MergePoliciesPageTests()
    {
        Services.AddSingleton(_studio.Services.GetRequiredService<MergePolicyStore>());
        Services.AddSingleton(_studio.Services.GetRequiredService<SourceRegistry>());
        Services.AddScoped<CurrentActor>();
    }

    private MergePolicyStore Store => _studio.Services.GetRequiredService<MergePolicyStore>();

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    /// <summary>Migrates, adds the sources CRM and Website, and signs in with <paramref name="role"/>.</summary>
    private async Task<(int Crm, int Web)> ArrangeAsync(string role)
    {
        await _studio.StartHostedServicesAsync();
        var sources = _studio.Services.GetRequiredService<SourceRegistry>();
        var crm = (await sources.CreateAsync(AuditActor.System, "CRM", SourceKind.Batch, null)).Source!.Id;
        var web = (await sources.CreateAsync(AuditActor.System, "Website", SourceKind.Streaming, null)).Source!.Id;
        SignIn("someone@example.com", role);
        return (crm, web);
    }

    private async Task AddCrmFirstAsync(int crm, int web) =>
        Assert.True((await Store.CreateAsync(AuditActor.System, new MergePolicyDraft("CRM first", "For support", IdentityStitching.Graph,
            AttributeMergeRule.SourcePrecedence, [crm, web], [new AttributeOverrideDraft("email", AttributeMergeRule.Timestamp, [])]))).Succeeded);

    private (IRenderedComponent<MudDialogProvider> Dialogs, IRenderedComponent<MergePoliciesPage> Page) RenderPage()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = Render<MergePoliciesPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=policy-row-name]")));
        return (dialogs, page);
    }

    private static List<string> RowNames(IRenderedComponent<MergePoliciesPage> page) =>
        page.FindAll("[data-testid=policy-row-name] strong").Select(e => e.TextContent.Trim()).ToList();

    [Theory]
    [InlineData(Roles.Admin)]
    [InlineData(Roles.Marketer)]
    public async Task Render_Editor_ListsPoliciesWithTheDefaultBadgeAndEditControls(string role)
    {
        var (crm, web) = await ArrangeAsync(role);
        await AddCrmFirstAsync(crm, web);

        var (_, page) = RenderPage();

        Assert.Equal(["Most recent", "CRM first"], RowNames(page));
        var rows = page.FindAll("tbody tr");
        Assert.Single(rows[0].QuerySelectorAll("[data-testid=default-badge]"));
        Assert.Empty(rows[1].QuerySelectorAll("[data-testid=default-badge]"));
        Assert.Equal("CRM › Website", rows[1].QuerySelector("[data-testid=policy-row-sources]")!.TextContent.Trim());
        Assert.Equal("email: most recent", rows[1].QuerySelector("[data-testid=policy-row-overrides]")!.TextContent.Trim());
        Assert.Contains("Source precedence", rows[1].TextContent);
        Assert.NotNull(page.Find("[data-testid=add-policy]"));
        Assert.NotNull(page.Find("[aria-label='Edit CRM first']"));
        Assert.NotNull(page.Find("[aria-label='Delete CRM first']"));
        Assert.Empty(page.FindAll("[aria-label='Delete Most recent']")); // the default cannot be deleted
        Assert.Empty(page.FindAll("[data-testid=policies-read-only]"));
    }

    [Theory]
    [InlineData(Roles.Support)]
    [InlineData(Roles.DataEngineer)]
    public async Task Render_ReadOnlyRole_ShowsThePoliciesWithoutAnyEditControl(string role)
    {
        var (crm, web) = await ArrangeAsync(role);
        await AddCrmFirstAsync(crm, web);

        var (_, page) = RenderPage();

        Assert.Equal(["Most recent", "CRM first"], RowNames(page));
        Assert.NotNull(page.Find("[data-testid=policies-read-only]"));
        Assert.Empty(page.FindAll("[data-testid=add-policy]"));
        Assert.Empty(page.FindAll("tbody button"));
    }

    [Fact]
    public async Task Save_ReadOnlyRoleReachingTheDialog_IsRefusedOnTheServer()
    {
        await ArrangeAsync(Roles.Support);
        var (dialogs, _) = RenderPage();
        var dialogService = Services.GetRequiredService<IDialogService>();
        await dialogs.InvokeAsync(() => dialogService.ShowAsync<MergePolicyDialog>("New merge policy"));
        dialogs.Find("input[data-testid=policy-name]").Change("Sneaky");

        dialogs.Find("[data-testid=policy-save]").Click();

        dialogs.WaitForAssertion(() => Assert.Equal(MergePolicyEditors.Refusal, dialogs.Find("[data-testid=policy-problem]").TextContent.Trim()));
        Assert.Single(await Store.ListAsync());
    }

    [Fact]
    public async Task Create_SourcePrecedenceWithReorderedSources_IsSavedInThatOrder()
    {
        var (crm, web) = await ArrangeAsync(Roles.Marketer);
        var (dialogs, page) = RenderPage();

        page.Find("[data-testid=add-policy]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=merge-policy-dialog]"));
        dialogs.Find("input[data-testid=policy-name]").Change("CRM first");
        dialogs.Find("input[data-testid=merge-precedence]").Click();
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find("[data-testid=policy-sources-empty]")));
        dialogs.FindAll("[data-testid=policy-sources-add]").Single(c => c.TextContent.Contains("Website")).Click();
        dialogs.FindAll("[data-testid=policy-sources-add]").Single(c => c.TextContent.Contains("CRM")).Click();
        dialogs.Find("[aria-label='Move CRM up']").Click();
        dialogs.Find("[data-testid=policy-save]").Click();

        page.WaitForAssertion(() => Assert.Equal(["Most recent", "CRM first"], RowNames(page)));
        var saved = (await Store.FindAsync("CRM first"))!;
        Assert.Equal(AttributeMergeRule.SourcePrecedence, saved.AttributeMerge);
        Assert.Equal([crm, web], saved.SourcePrecedence);
    }

    [Fact]
    public async Task Save_WithoutAName_ShowsTheProblemAndKeepsTheDialogOpen()
    {
        await ArrangeAsync(Roles.Admin);
        var (dialogs, page) = RenderPage();
        page.Find("[data-testid=add-policy]").Click();

        dialogs.WaitForElement("[data-testid=policy-save]").Click();

        dialogs.WaitForAssertion(() => Assert.Equal("Give the policy a name.", dialogs.Find("[data-testid=policy-problem]").TextContent.Trim()));
        Assert.NotNull(dialogs.Find("[data-testid=merge-policy-dialog]"));
    }

    [Fact]
    public async Task Delete_Confirmed_RemovesThePolicy()
    {
        var (crm, web) = await ArrangeAsync(Roles.Marketer);
        await AddCrmFirstAsync(crm, web);
        var (dialogs, page) = RenderPage();

        page.Find("[aria-label='Delete CRM first']").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click());

        page.WaitForAssertion(() => Assert.Equal(["Most recent"], RowNames(page)));
        Assert.Null(await Store.FindAsync("CRM first"));
    }

    [Fact]
    public async Task MakeDefault_Confirmed_MovesTheBadge()
    {
        var (crm, web) = await ArrangeAsync(Roles.Marketer);
        await AddCrmFirstAsync(crm, web);
        var (dialogs, page) = RenderPage();

        page.Find("[aria-label='Make CRM first the default']").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Make default").Click());

        page.WaitForAssertion(() => Assert.Equal(["CRM first", "Most recent"], RowNames(page)));
        Assert.Single(page.FindAll("tbody tr")[0].QuerySelectorAll("[data-testid=default-badge]"));
        Assert.Equal("CRM first", (await Store.GetDefaultAsync()).Name);
    }

}
