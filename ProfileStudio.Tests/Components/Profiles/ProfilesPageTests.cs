using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Components.Profiles;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Profiles;

/// <summary>The explorer's list as the dashboard opens it (?segment=…, ?policy=…), on the real Core services (SQLite in a temp folder).</summary>
public sealed class ProfilesPageTests : StudioBunitContext
{
    private readonly StudioServices _studio;

    public ProfilesPageTests()
    {
        _studio = StudioServices.Create(withAccounts: false);
        foreach (var type in new[] { typeof(ProfileDirectory), typeof(SegmentStore), typeof(MergePolicyStore), typeof(UnificationNotifications), typeof(IdentityRulesStore) })
        {
            Services.AddSingleton(type, _studio.Services.GetRequiredService(type));
        }
        Render<MudPopoverProvider>();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    /// <summary>Migrates; three profiles, each with a user id.</summary>
    private async Task ArrangeAsync()
    {
        await _studio.CreateMigrator().StartAsync(CancellationToken.None);
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("CRM");
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        foreach (var id in new long[] { 1, 2, 3 })
        {
            await seed.ProfileAsync(id, m, m);
            await seed.IdentityAsync(id, "user_id", $"u-{id}", crm, m, m);
        }
        SignIn("someone@example.com", Roles.Support);
    }

    private async Task<long> SegmentAsync(string name, params long[] members)
    {
        var store = _studio.Services.GetRequiredService<SegmentStore>();
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new IdentityCondition("has-user", "user_id", true)]));
        var created = await store.CreateAsync(AuditActor.System, new SegmentDraft(name, null, SegmentRuleJson.Serialize(rule)));
        Assert.True(created.Succeeded, string.Join("; ", created.Problems));
        Assert.True((await store.ActivateAsync(AuditActor.System, created.Segment!.Id)).Succeeded);
        await _studio.Services.GetRequiredService<SegmentMembershipWriter>().ApplyAsync(
            members.Select(p => new SegmentOutcome(created.Segment.Id, p, true, null)).ToList(), [], DateTime.UtcNow);
        return created.Segment.Id;
    }

    /// <summary>A merge policy without stitching, as the demo's "Per identifier".</summary>
    private async Task<MergePolicy> PerIdentifierPolicyAsync()
    {
        var created = await _studio.Services.GetRequiredService<MergePolicyStore>().CreateAsync(AuditActor.System,
            new MergePolicyDraft("Per identifier", null, IdentityStitching.None, AttributeMergeRule.Timestamp, [], []));
        Assert.True(created.Succeeded, string.Join("; ", created.Problems));
        return created.Policy!;
    }

    /// <summary>The page as a link opens it: its query parameters come from the address.</summary>
    private IRenderedComponent<ProfilesPage> Open(string uri)
    {
        Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo(uri);
        return Render<ProfilesPage>();
    }

    /// <summary>Migrates; thirty people named "Ada 1" … "Ada 30", first seen a minute apart in that order, and Grace.</summary>
    /// <summary>Migrates; <paramref name="adas"/> profiles named "Ada 1"… and one "Grace Hopper", first seen a minute apart.</summary>
    private async Task ArrangeAdasAsync(int adas = 30)
    {
        await _studio.CreateMigrator().StartAsync(CancellationToken.None);
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("CRM");
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        await using (var db = await seed.DbAsync())
        {
            for (var id = 1L; id <= adas + 1; id++)
            {
                var at = ProfileStoreSeed.T0.AddMinutes(id);
                db.Profiles.Add(new Profile { Id = id, CreatedAt = at, UpdatedAt = at, FirstMessageId = m, LastMessageId = m });
                var name = id == adas + 1 ? "Grace Hopper" : $"Ada {id}";
                db.ProfileAttributes.Add(new ProfileAttribute
                {
                    ProfileId = id, SourceId = crm, Key = "name", ValueJson = System.Text.Json.Nodes.JsonValue.Create(name).ToJsonString(), EventAt = at, MessageId = m,
                });
            }
            await db.SaveChangesAsync();
        }
        SignIn("someone@example.com", Roles.Support);
    }

    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    [Fact]
    public async Task AnAddressWithSearchSortAndPage_ShowsThatList_AsBackFromAProfileOrASharedLinkOpensIt()
    {
        await ArrangeAdasAsync();

        var page = Open("/profiles?q=Ada&sort=first-seen-oldest&page=2");

        page.WaitForAssertion(() => Assert.Equal(["Ada 26", "Ada 27", "Ada 28", "Ada 29", "Ada 30"],
            page.FindAll("[data-testid=profile-link]").Select(e => e.TextContent.Trim())));
        Assert.Equal("30 profiles", page.Find("[data-testid=profiles-count]").TextContent.Trim());
        Assert.Equal("Ada", page.Find("input[data-testid=profile-search]").GetAttribute("value"));
        Assert.Contains("First seen, oldest first", page.Find("[data-testid=profiles-sort]").OuterHtml);
    }

    /// <summary>A page that starts exactly at the end (25 people, 25 a page, page 2) is past it: the first page shows, not an empty one.</summary>
    [Fact]
    public async Task AnAddressOfThePageJustPastTheEnd_ShowsTheFirstPage()
    {
        await ArrangeAdasAsync(adas: 25);

        var page = Open("/profiles?q=Ada&sort=first-seen-oldest&page=2");

        page.WaitForAssertion(() => Assert.Equal(25, page.FindAll("[data-testid=profile-link]").Count));
        Assert.Equal("Ada 1", page.FindAll("[data-testid=profile-link]")[0].TextContent.Trim());
    }

    [Fact]
    public async Task ASearchAndThePager_AreWrittenToTheAddress()
    {
        await ArrangeAdasAsync();
        var page = Open("/profiles");
        page.WaitForAssertion(() => Assert.Equal("31 profiles", page.Find("[data-testid=profiles-count]").TextContent.Trim()));

        page.Find("input[data-testid=profile-search]").Change("Ada");
        page.Find("button[data-testid=profile-search-go]").Click();

        Assert.EndsWith("/profiles?q=Ada", Navigation.Uri);
        Assert.False(((BunitNavigationManager)Navigation).History.First().Options.ReplaceHistoryEntry); // a search of its own for Back
        page = Render<ProfilesPage>(); // as the router renders the page for its new address
        page.WaitForAssertion(() => Assert.Equal("30 profiles", page.Find("[data-testid=profiles-count]").TextContent.Trim()));
        page.Find("[data-testid=profiles-grid] button[aria-label='Next page']").Click();
        page.WaitForAssertion(() => Assert.EndsWith("/profiles?q=Ada&page=2", Navigation.Uri));
        Assert.True(((BunitNavigationManager)Navigation).History.First().Options.ReplaceHistoryEntry); // Back leaves the list, not page 2
        page.WaitForAssertion(() => Assert.Equal(5, page.FindAll("[data-testid=profile-link]").Count));
    }

    [Fact]
    public async Task AUserIdInOtherCapitals_SaysNoExactMatch_AndLinksTheProfileOfTheOneThatExists()
    {
        await ArrangeAsync();

        var page = Open("/profiles?q=user_id:U-2");

        page.WaitForAssertion(() => Assert.Contains("Did you mean", page.Find("[data-testid=profile-search-problem]").TextContent));
        Assert.Contains("No profile has exactly user_id:U-2", page.Find("[data-testid=profile-search-problem]").TextContent);
        var link = Assert.Single(page.FindAll("[data-testid=profile-search-did-you-mean]"));
        Assert.Equal("user_id:u-2", link.TextContent.Trim());
        Assert.Equal("/profiles/2", link.GetAttribute("href"));
    }

    [Fact]
    public void ALinkWithManySegments_FiltersByTheFirstTenDistinctOnes()
    {
        long[] asked = [5, 5, .. Enumerable.Range(1, 14).Select(i => (long)i)];

        Assert.Equal([5L, 1, 2, 3, 4, 6, 7, 8, 9, 10], Core.Profiles.ProfileDirectory.SegmentsFiltered(asked));
    }

    [Fact]
    public async Task TwoSegments_ListThePeopleInBoth_AndTheHeadingNamesBoth()
    {
        await ArrangeAsync();
        var vip = await SegmentAsync("VIP", 1, 2);
        var lapsed = await SegmentAsync("Lapsed", 2, 3);

        var page = Open($"/profiles?segment={vip}&segment={lapsed}");

        page.WaitForAssertion(() => Assert.Equal("1 profile", page.Find("[data-testid=profiles-count]").TextContent.Trim()));
        Assert.Equal("#2", Assert.Single(page.FindAll("[data-testid=profile-link]")).TextContent.Trim());
        Assert.Equal("Members of VIP and Lapsed", page.Find("[data-testid=profiles-segment-filter] .mud-chip-content").TextContent.Trim());
    }

    [Fact]
    public async Task APolicyThatDoesNotStitch_ListsTheIdentifiersItCounts_EachWithItsPerson_AndAStitchingOneListsPeople()
    {
        await ArrangeAsync();
        var perIdentifier = await PerIdentifierPolicyAsync();
        var stitching = await _studio.Services.GetRequiredService<MergePolicyStore>().GetDefaultAsync();
        // Profile 3 has a second user id: three people, four identifiers of the namespace.
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("POS");
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        await seed.IdentityAsync(3, "user_id", "u-3-pos", crm, m, m);

        var unstitched = Open($"/profiles?namespace=user_id&policy={perIdentifier.Id}");
        unstitched.WaitForAssertion(() => Assert.Equal("4 identifiers", unstitched.Find("[data-testid=identifiers-count]").TextContent.Trim()));
        Assert.Contains("“Per identifier”", unstitched.Find("[data-testid=profiles-policy-note]").TextContent);
        Assert.Equal(["u-1", "u-2", "u-3", "u-3-pos"], unstitched.FindAll("[data-testid=identifier-value]").Select(e => e.TextContent.Trim()));
        Assert.Equal(["/profiles/1", "/profiles/2", "/profiles/3", "/profiles/3"],
            unstitched.FindAll("[data-testid=identifier-person-link]").Select(e => e.GetAttribute("href")));
        Assert.Equal("/profiles?namespace=user_id", new Uri(unstitched.Find("[data-testid=profiles-show-people]").GetAttribute("href")!).PathAndQuery);
        Assert.Empty(unstitched.FindAll("[data-testid=profiles-grid]"));

        var stitched = Open($"/profiles?namespace=user_id&policy={stitching.Id}");
        stitched.WaitForAssertion(() => Assert.Equal("3 profiles", stitched.Find("[data-testid=profiles-count]").TextContent.Trim()));
        Assert.Empty(stitched.FindAll("[data-testid=profiles-policy-note]"));
        Assert.Empty(stitched.FindAll("[data-testid=identifiers-grid]"));
    }

    [Fact]
    public async Task APolicyThatDoesNotStitch_TheIdentifiersSearchAndSortInTheAddress_AreShown_AndANewSearchIsWrittenToIt()
    {
        await ArrangeAsync();
        var perIdentifier = await PerIdentifierPolicyAsync();
        var seed = new ProfileStoreSeed(_studio.Services);
        var pos = await seed.SourceAsync("POS");
        var m = await seed.MessageAsync(pos, new { type = "identify" }, ProfileStoreSeed.T0);
        await seed.IdentityAsync(3, "user_id", "u-3-pos", pos, m, m);

        var page = Open($"/profiles?namespace=user_id&policy={perIdentifier.Id}&q=u-3&sort=identifier-descending");

        page.WaitForAssertion(() => Assert.Equal(["u-3-pos", "u-3"], page.FindAll("[data-testid=identifier-value]").Select(e => e.TextContent.Trim())));
        Assert.Equal("u-3", page.Find("input[data-testid=identifier-search]").GetAttribute("value"));
        page.Find("input[data-testid=identifier-search]").Change("u-1");
        page.Find("input[data-testid=identifier-search]").KeyUp(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        Assert.EndsWith($"/profiles?namespace=user_id&policy={perIdentifier.Id}&q=u-1&sort=identifier-descending", Navigation.Uri);
    }

    [Fact]
    public async Task APolicyThatDoesNotStitch_WithTwoNamespaces_SaysNoIdentifierHasTwo()
    {
        await ArrangeAsync();
        var perIdentifier = await PerIdentifierPolicyAsync();

        var page = Open($"/profiles?namespace=user_id&namespace=email&policy={perIdentifier.Id}");

        page.WaitForAssertion(() => Assert.Equal("0 identifiers", page.Find("[data-testid=identifiers-count]").TextContent.Trim()));
        Assert.Contains("no profile has identities in two namespaces", page.Find("[data-testid=identifiers-empty]").TextContent);
    }
}
