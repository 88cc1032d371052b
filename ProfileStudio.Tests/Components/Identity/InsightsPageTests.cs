using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Identity;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Identity;

/// <summary>Identity › Insights on a real database: how a decision reads in the grid.</summary>
public sealed class InsightsPageTests : StudioBunitContext
{
    private StudioServices? _studio;

    private Task<IRenderedComponent<InsightsPage>> RenderWithAsync(params IdentityInsight[] insights) => RenderWithAsync(null, insights);

    private async Task<IRenderedComponent<InsightsPage>> RenderWithAsync(Func<ProfileStudioDbContext, Task>? seed, params IdentityInsight[] insights)
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        await using (var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            db.IdentityInsights.AddRange(insights);
            await db.SaveChangesAsync();
            if (seed is not null)
            {
                await seed(db);
            }
        }
        Services.AddSingleton(_studio.Services.GetRequiredService<IdentityReader>());
        Services.AddSingleton(_studio.Services.GetRequiredService<IdentityRulesStore>());
        Services.AddSingleton(_studio.Services.GetRequiredService<ProfileStudio.Core.Profiles.ProfileDirectory>());
        SignIn("engineer@example.com", Roles.DataEngineer);
        Render<MudBlazor.MudPopoverProvider>();
        return Render<InsightsPage>();
    }

    [Fact]
    public async Task Render_AMerge_ReadsAsWordsWithSpacesBetweenTheProfiles()
    {
        var cut = await RenderWithAsync(new IdentityInsight
        {
            At = new DateTime(2026, 12, 4, 18, 0, 0, DateTimeKind.Utc), Kind = InsightKinds.Merged, ProfileId = 3984, OtherProfileId = 4467,
            Detail = "profile 4467 merged into 3984: loyalty_id:LOY1, email:ada@example.com seen together",
        });

        var cell = cut.WaitForElement("[data-testid=insight-profiles]");

        Assert.Equal("#3984 absorbed #4467", cell.TextContent.Trim());
    }

    [Fact]
    public async Task Render_AMergeIntoANamedPerson_NamesThemAsTheExplorerDoes()
    {
        var cut = await RenderWithAsync(async db =>
        {
            var source = new ProfileStudio.Core.Sources.Source { Name = "CRM", Kind = ProfileStudio.Core.Sources.SourceKind.Batch, WriteKeyHash = "h", WriteKeyHint = "h" };
            db.Sources.Add(source);
            await db.SaveChangesAsync();
            db.ProfileAttributes.Add(new ProfileStudio.Core.Profiles.ProfileAttribute
            {
                ProfileId = 3984, SourceId = source.Id, Key = "name", ValueJson = "\"Ada Lovelace\"", EventAt = new DateTime(2026, 12, 4, 17, 0, 0, DateTimeKind.Utc), MessageId = 1,
            });
            await db.SaveChangesAsync();
        }, new IdentityInsight
        {
            At = new DateTime(2026, 12, 4, 18, 0, 0, DateTimeKind.Utc), Kind = InsightKinds.Merged, ProfileId = 3984, OtherProfileId = 4467,
            Detail = "profile 4467 merged into 3984: loyalty_id:LOY1, email:ada@example.com seen together",
        });

        var cell = cut.WaitForElement("[data-testid=insight-profiles]");

        // The survivor by name; the merged-away id has no data of its own any more.
        Assert.Equal("Ada Lovelace #3984 absorbed #4467", cell.TextContent.Trim());
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }
}
