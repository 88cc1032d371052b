using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Identity;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Identity;

/// <summary>Identity › Namespaces on the real rules store (SQLite): two administrators changing the same rules.</summary>
public sealed class NamespacesPageTests : StudioBunitContext
{
    private static readonly AuditActor Ana = new("ana", "ana@example.com");

    private StudioServices? _studio;

    private IdentityRulesStore Store => _studio!.Services.GetRequiredService<IdentityRulesStore>();

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }

    /// <summary>The page as an administrator opens it, after <paramref name="stored"/> (if any) was saved.</summary>
    private async Task<(IRenderedComponent<NamespacesPage> Page, IRenderedComponent<MudDialogProvider> Dialogs)> RenderAsync(IdentityNamespace? stored = null)
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        await Store.LoadAsync(); // the built-in namespaces, as the worker seeds them at start
        if (stored is not null)
        {
            Assert.True((await Store.SaveAsync(Ana, stored)).Succeeded);
        }
        Services.AddSingleton(Store);
        Services.AddSingleton(_studio.Services.GetRequiredService<UnificationJobs>());
        Services.AddScoped<CurrentActor>();
        SignIn("admin@example.com", Roles.Admin);
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = Render<NamespacesPage>();
        page.WaitForElement("button[aria-label='Edit email']");
        return (page, dialogs);
    }

    private static IdentityNamespace Copy(IdentityNamespace n, int limit) => new()
    {
        Id = n.Id, Name = n.Name, Normalization = n.Normalization, Priority = n.Priority, Limit = limit,
        BlockedValues = [.. n.BlockedValues], BlockedPatterns = [.. n.BlockedPatterns], TraitKeys = [.. n.TraitKeys], IsDevice = n.IsDevice,
    };

    [Fact]
    public async Task Save_FromADialogOpenedBeforeAnotherAdministratorSaved_IsRefusedSayingWho_ThenReloadShowsTheirRulesAndSaves()
    {
        var (page, dialogs) = await RenderAsync();
        var email = (await Store.ListAsync()).Single(n => n.Name == "email");
        var editing = page.Find("button[aria-label='Edit email']").ClickAsync(new()); // done when the dialog closes
        dialogs.WaitForElement("input[data-testid=namespace-limit]").Change("2");
        // Another administrator's tab saves the same namespace meanwhile.
        Assert.True((await Store.SaveAsync(Ana, Copy(email, limit: 5), email.Revision)).Succeeded);

        await dialogs.Find("[data-testid=namespace-save]").ClickAsync(new());

        var stored = (await Store.GetAsync(email.Id))!;
        dialogs.WaitForAssertion(() => Assert.Equal(
            $"ana@example.com saved this namespace at {Core.Formatting.DisplayFormat.TimeUtc(stored.UpdatedAt)}, after you opened it. Reload to see their change (your edits are not saved).",
            dialogs.Find("[data-testid=edit-conflict-message]").TextContent));
        Assert.Equal("2", dialogs.Find("input[data-testid=namespace-limit]").GetAttribute("value")); // on screen until reloaded
        Assert.Equal(5, stored.Limit);

        await dialogs.Find("[data-testid=edit-conflict-reload]").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Equal("5", dialogs.Find("input[data-testid=namespace-limit]").GetAttribute("value")));
        Assert.Empty(dialogs.FindAll("[data-testid=edit-conflict]"));
        dialogs.Find("input[data-testid=namespace-limit]").Change("3");
        await dialogs.Find("[data-testid=namespace-save]").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=namespace-dialog]")));
        await editing;
        Assert.Equal((3, 3), ((await Store.GetAsync(email.Id))!.Limit, (await Store.GetAsync(email.Id))!.Revision));
    }

    [Fact]
    public async Task Save_OfANamespaceDeletedSinceTheDialogOpened_IsRefusedSayingWho_AndTheNamespaceStaysDeleted()
    {
        var (page, dialogs) = await RenderAsync(new IdentityNamespace { Name = "member_id", Priority = 3, Limit = 1 });
        var member = (await Store.ListAsync()).Single(n => n.Name == "member_id");
        var editing = page.Find("button[aria-label='Edit member_id']").ClickAsync(new()); // done when the dialog closes
        dialogs.WaitForElement("input[data-testid=namespace-limit]").Change("2");
        Assert.True((await Store.DeleteAsync(Ana, member.Id, member.Revision)).Succeeded);

        await dialogs.Find("[data-testid=namespace-save]").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.StartsWith("ana@example.com deleted this namespace at ", dialogs.Find("[data-testid=namespace-problem]").TextContent));
        Assert.DoesNotContain(await Store.ListAsync(), n => n.Name == "member_id");
        await dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").ClickAsync(new());
        await editing;
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("button[aria-label='Edit member_id']"))); // the list is read again
    }

    [Fact]
    public async Task Delete_OfANamespaceAnotherAdministratorSavedSinceTheListWasShown_IsRefusedSayingWho_AndDeletesNothing()
    {
        var (page, dialogs) = await RenderAsync(new IdentityNamespace { Name = "member_id", Priority = 3, Limit = 1 });
        var member = (await Store.ListAsync()).Single(n => n.Name == "member_id");
        Assert.True((await Store.SaveAsync(Ana, Copy(member, limit: 4), member.Revision)).Succeeded);

        var deleting = page.Find("button[aria-label='Delete member_id']").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("will no longer be read", dialogs.Markup));
        await dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").ClickAsync(new());
        await deleting;

        page.WaitForAssertion(() => Assert.StartsWith("ana@example.com saved this namespace at ", page.Find("[data-testid=edit-conflict-message]").TextContent));
        Assert.Equal(4, (await Store.GetAsync(member.Id))!.Limit);
        await page.Find("[data-testid=edit-conflict-reload]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=edit-conflict]")));
    }
}
