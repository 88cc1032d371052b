using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Sources;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Profiles;

public sealed class MergePolicyTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string Password = "Policies-Passw0rd!";

    private async Task EnsureSourcesAsync(params string[] names)
    {
        var sources = Studio.Server.Services.GetRequiredService<SourceRegistry>();
        var existing = await sources.NamesAsync();
        foreach (var name in names.Where(n => !existing.Values.Contains(n)))
        {
            Assert.True((await sources.CreateAsync(AuditActor.System, name, SourceKind.Batch, null)).Succeeded);
        }
    }

    private async Task SignInAsync(Microsoft.Playwright.IPage page, string email, string role)
    {
        await CreateUserAsync(email, Password, role);
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(email, Password);
        await new ShellPage(page).ExpectHomeAsync();
    }

    /// <summary>
    /// A Marketer creates "CRM first": source precedence with the CRM above the website (reordered with
    /// the arrows), the POS left out, email going by time and address from the POS only; then makes it the default.
    /// </summary>
    [Fact]
    public Task Marketer_CreatesASourcePrecedencePolicyAndMakesItTheDefault() => WithPageAsync(async page =>
    {
        await EnsureSourcesAsync("Policy CRM", "Policy Website", "Policy POS");
        await SignInAsync(page, "policy-marketer@e2e.test", Roles.Marketer);
        var shell = new ShellPage(page);
        var policies = new MergePoliciesPage(page);

        await shell.NavLink("Merge policies").ClickAsync();
        await policies.ExpectShownAsync();
        await Expect(policies.DefaultBadge(MergePolicy.DefaultName)).ToBeVisibleAsync();

        var dialog = await policies.OpenNewPolicyAsync();
        await dialog.Name.FillAsync("CRM first");
        await dialog.Description.FillAsync("For support: what the customer told the CRM beats what a form on the website says.");
        await dialog.SourcePrecedence.CheckAsync();
        await dialog.AddSourceAsync("Policy Website");
        await dialog.AddSourceAsync("Policy CRM");
        await dialog.MoveUpAsync("Policy CRM");
        await Expect(dialog.ListedSources).ToHaveTextAsync(["Policy CRM", "Policy Website"]);
        await Screenshots.SaveAsync(page, "merge-policy-dialog-sources");
        await dialog.AddOverrideAsync("email", byTime: true);
        var address = await dialog.AddOverrideAsync("address", byTime: false);
        await dialog.AddSourceAsync("Policy POS", address);
        await Screenshots.SaveAsync(page, "merge-policy-dialog-overrides");
        await dialog.SaveButton.ClickAsync();

        await Expect(dialog.Root).ToHaveCountAsync(0);
        var row = policies.Row("CRM first");
        await Expect(row.GetByTestId("policy-row-sources")).ToHaveTextAsync("Policy CRM › Policy Website");
        await Expect(row.GetByTestId("policy-row-overrides").Locator("div")).ToHaveTextAsync(["email: most recent", "address: Policy POS"]);

        await policies.ConfirmRowActionAsync("Make CRM first the default", "Make default");
        await Expect(policies.DefaultBadge("CRM first")).ToBeVisibleAsync();
        await Expect(policies.DefaultBadge(MergePolicy.DefaultName)).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(page, "merge-policies");

        var store = Studio.Server.Services.GetRequiredService<MergePolicyStore>();
        var saved = await store.GetDefaultAsync();
        var names = await Studio.Server.Services.GetRequiredService<SourceRegistry>().NamesAsync();
        Assert.Equal("CRM first", saved.Name);
        Assert.Equal(["Policy CRM", "Policy Website"], saved.SourcePrecedence.Select(id => names[id]));
    });

    [Fact]
    public Task Support_ReadsThePoliciesButCannotChangeThem() => WithPageAsync(async page =>
    {
        await SignInAsync(page, "policy-support@e2e.test", Roles.Support);
        var policies = new MergePoliciesPage(page);

        await new ShellPage(page).NavLink("Merge policies").ClickAsync();

        await policies.ExpectShownAsync();
        await Expect(policies.ReadOnlyNotice).ToBeVisibleAsync();
        await Expect(policies.NewPolicyButton).ToHaveCountAsync(0);
        await Expect(policies.Table.Locator("tbody button")).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(page, "merge-policies-read-only");
    });
}
