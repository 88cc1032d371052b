using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Identity;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Identity;

/// <summary>Identity › Unification on a real database: asking for a rebuild.</summary>
public sealed class UnificationPageTests : StudioBunitContext
{
    private StudioServices? _studio;

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReRun_WhileTheConfirmationWasOpen_SomeoneElseStartedOne_NoSecondRebuildIsQueued()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        var jobs = _studio.Services.GetRequiredService<UnificationJobs>();
        Services.AddSingleton(jobs);
        Services.AddSingleton(_studio.Services.GetRequiredService<ProfileStudio.Core.ChangeFeed.ChangeFeedStore>());
        Services.AddSingleton(_studio.Services.GetRequiredService<ProfileStudio.Core.Unification.PoisonMessages>());
        Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new ProfileStudio.Core.ChangeFeed.ChangeFeedOptions()));
        Services.AddScoped<CurrentActor>();
        SignIn("admin@example.com", Roles.Admin);
        Render<MudPopoverProvider>();
        var snackbars = Render<MudSnackbarProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = Render<UnificationPage>();

        page.WaitForElement("[data-testid=rebuild]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Every profile is recomputed", dialogs.Markup));
        // Another administrator's tab asks first, and the worker starts it.
        var other = await jobs.RequestRebuildAsync(new AuditActor("other", "other-admin@example.com"), "requested on the Unification page");
        await using (var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            await db.UnificationJobs.Where(j => j.Id == other.Id).ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, UnificationJobStatus.Running));
        }
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Rebuild").Click();

        snackbars.WaitForAssertion(() => Assert.Contains("A rebuild is already running: requested by other-admin@example.com", snackbars.Markup));
        await using var after = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await after.UnificationJobs.CountAsync(j => j.Kind == UnificationJobKinds.Rebuild));
    }

    [Theory]
    [InlineData(Roles.DataEngineer, false)]
    [InlineData(Roles.Admin, true)]
    public async Task Rebuild_OnlyAnAdministratorIsOfferedIt_OthersAreToldWhoCanStartOne(string role, bool offered)
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        Services.AddSingleton(_studio.Services.GetRequiredService<UnificationJobs>());
        Services.AddSingleton(_studio.Services.GetRequiredService<ProfileStudio.Core.ChangeFeed.ChangeFeedStore>());
        Services.AddSingleton(_studio.Services.GetRequiredService<ProfileStudio.Core.Unification.PoisonMessages>());
        Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new ProfileStudio.Core.ChangeFeed.ChangeFeedOptions()));
        Services.AddScoped<CurrentActor>();
        SignIn("someone@example.com", role);
        Render<MudPopoverProvider>();

        var page = Render<UnificationPage>();

        page.WaitForElement("[data-testid=jobs-table]");
        Assert.Equal(offered, page.FindAll("[data-testid=rebuild]").Count == 1);
        var note = page.FindAll("[data-testid=rebuild-admin-only]");
        if (offered)
        {
            Assert.Empty(note);
        }
        else
        {
            Assert.StartsWith("Only administrators can start a rebuild.", Assert.Single(note).TextContent.Trim());
        }
    }
}
