using Bunit;
using Microsoft.AspNetCore.Components;
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

/// <summary>The address of a profile that is not there any more: merged into another, deleted, or never there.</summary>
public sealed class ProfilePageAddressTests : StudioBunitContext
{
    private static readonly DateTime FirstMerge = new(2026, 3, 2, 10, 15, 0, DateTimeKind.Utc);
    private static readonly DateTime SecondMerge = new(2026, 3, 4, 16, 40, 0, DateTimeKind.Utc);

    private readonly StudioServices _studio = StudioServices.Create(withAccounts: false);

    public ProfilePageAddressTests()
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

    /// <summary>Ada is profile 7; profile 5 was merged into 7, and 2 into 5 before that (so 2 redirects to 7, one hop). Profile 9 was deleted.</summary>
    private async Task SeedAsync()
    {
        await _studio.StartHostedServicesAsync();
        var seed = new ProfileStoreSeed(_studio.Services);
        var web = await seed.SourceAsync("Website");
        var message = await seed.MessageAsync(web, new { type = "identify", userId = "ada", traits = new { name = "Ada" } }, ProfileStoreSeed.T0);
        await seed.ProfileAsync(7, message, message);
        await seed.ProfileAsync(5, message, message, mergedInto: 7);
        await seed.ProfileAsync(2, message, message, mergedInto: 7);
        await seed.IdentityAsync(7, "user_id", "ada", web, message, message);
        await seed.AttributeAsync(7, web, "name", "\"Ada\"", ProfileStoreSeed.T0, message);
        await using var db = await seed.DbAsync();
        db.IdentityInsights.AddRange(
            new IdentityInsight { At = FirstMerge, Kind = InsightKinds.Merged, ProfileId = 5, OtherProfileId = 2, MessageId = message, Detail = "profile 2 merged into 5" },
            new IdentityInsight { At = SecondMerge, Kind = InsightKinds.Merged, ProfileId = 7, OtherProfileId = 5, MessageId = message, Detail = "profile 5 merged into 7" });
        db.DeletedProfiles.Add(new DeletedProfile { Id = 9, DeletedAt = SecondMerge, ErasedFromLake = true });
        await db.SaveChangesAsync();
        SignIn("support@example.com", Roles.Support);
        Render<MudPopoverProvider>();
    }

    private IRenderedComponent<ProfilePage> Open(string uri, long id)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(uri);
        return Render<ProfilePage>(p => p.Add(c => c.Id, id));
    }

    [Fact]
    public async Task AMergedProfilesAddress_LeadsToTheSurvivor_WhichSaysWhichProfileWasMergedIntoItAndWhen()
    {
        await SeedAsync();
        var navigation = Services.GetRequiredService<NavigationManager>();

        Open("/profiles/5?tab=identities", 5);
        Assert.EndsWith("/profiles/7?merged=5&tab=identities", navigation.Uri);
        var survivor = Open("/profiles/7?merged=5&tab=identities", 7);

        survivor.WaitForAssertion(() => Assert.Equal(
            "Profile #5 was merged into this profile (#7) on 4 Mar 2026, 16:40 UTC: its address leads here.",
            survivor.Find("[data-testid=profile-merged-notice] .mud-alert-message").TextContent.Trim()));
        Assert.Equal("Ada", survivor.Find("h1").TextContent.Trim());
    }

    [Fact]
    public async Task AProfileMergedIntoOneThatWasMergedLater_SaysBothMerges()
    {
        await SeedAsync();

        var survivor = Open("/profiles/7?merged=2", 7);

        survivor.WaitForAssertion(() => Assert.Equal(
            "Profile #2 was merged into #5 on 2 Mar 2026, 10:15 UTC, and #5 into this profile (#7) on 4 Mar 2026, 16:40 UTC: its address leads here.",
            survivor.Find("[data-testid=profile-merged-notice] .mud-alert-message").TextContent.Trim()));
    }

    [Fact]
    public async Task AnAddressSayingMergedFromAProfileThatWasNot_SaysNothingOfIt()
    {
        await SeedAsync();

        var page = Open("/profiles/7?merged=9", 7);

        page.WaitForAssertion(() => Assert.Equal("Ada", page.Find("h1").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-testid=profile-merged-notice]"));
    }

    [Fact]
    public async Task ADeletedProfilesAddress_SaysWhenItWasDeleted_AndLeadsToTheSearch()
    {
        await SeedAsync();

        var page = Open("/profiles/9", 9);

        page.WaitForAssertion(() => Assert.Contains(
            "Profile #9 was deleted on 4 Mar 2026, 16:40 UTC, and its messages were erased from the lake.",
            page.Find("[data-testid=profile-missing]").TextContent));
        Assert.Equal("/profiles", page.Find("[data-testid=profile-missing-search]").GetAttribute("href"));
    }

    [Fact]
    public async Task AnIdNoProfileHasHad_SaysNoneWasDeleted_AndHowToFindThePerson()
    {
        await SeedAsync();

        var page = Open("/profiles/99", 99);

        page.WaitForAssertion(() => Assert.Contains(
            "There is no profile #99, and none with this number was deleted: check the number, or look the person up by an e-mail address",
            page.Find("[data-testid=profile-missing]").TextContent));
    }
}
