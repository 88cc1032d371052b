using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Profiles.Explorer;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Profiles.Explorer;

/// <summary>The profile page's timeline on a real store: older pages loaded, then a live event.</summary>
public sealed class ProfileTimelineTests : StudioBunitContext
{
    /// <summary>An event an hour from <see cref="ProfileStoreSeed.T0"/> (9:00), 24 a day: 15 on the first day, 24 on each of the next ten, 5 on the last.</summary>
    private const int Events = 260;

    private readonly StudioServices _studio = StudioServices.Create(withAccounts: false);
    private int _source;

    public ProfileTimelineTests()
    {
        Services.AddSingleton(_studio.Services.GetRequiredService<ProfileExplorerReader>());
        Render<MudBlazor.MudPopoverProvider>(); // the filter's select and date pickers
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    private async Task SeedAsync()
    {
        await _studio.CreateMigrator().StartAsync(CancellationToken.None);
        var seed = new ProfileStoreSeed(_studio.Services);
        _source = await seed.SourceAsync("Website");
        var message = await seed.MessageAsync(_source, new { type = "track", userId = "ada" }, ProfileStoreSeed.T0);
        await seed.ProfileAsync(1, message, message);
        await seed.EventsAsync(1, _source, Enumerable.Range(0, Events).Select(i => ("track", $"Viewed {i}", ProfileStoreSeed.T0.AddHours(i))), message);
        SignIn("support@example.com", Roles.Support);
    }

    private IRenderedComponent<ProfileTimeline> RenderTimeline(long total, int version) =>
        Render<ProfileTimeline>(p => p
            .Add(c => c.ProfileId, 1L)
            .Add(c => c.SourceNames, new Dictionary<int, string> { [_source] = "Website" })
            .Add(c => c.TotalEvents, total)
            .Add(c => c.Version, version));

    private static List<string> Names(IRenderedComponent<ProfileTimeline> timeline) =>
        timeline.FindAll("[data-testid=timeline-event-name]").Select(e => e.TextContent.Trim()).ToList();

    [Fact]
    public async Task ALiveEventAfterOlderPagesWereLoaded_IsAddedAtTheTop_AndTheLoadedEventsStay()
    {
        await SeedAsync();
        var timeline = RenderTimeline(Events, 0);
        timeline.WaitForAssertion(() => Assert.Equal(ProfileTimeline.PageSize, Names(timeline).Count));
        for (var loaded = 2 * ProfileTimeline.PageSize; loaded <= 5 * ProfileTimeline.PageSize; loaded += ProfileTimeline.PageSize)
        {
            timeline.Find("button[data-testid=timeline-more]").Click();
            timeline.WaitForAssertion(() => Assert.Equal(loaded, Names(timeline).Count));
        }
        var before = Names(timeline);

        // A live event, the newest: the page bumps the version when the profile changed.
        await new ProfileStoreSeed(_studio.Services).EventsAsync(1, _source, [("track", "Signed up", ProfileStoreSeed.T0.AddHours(Events + 1))]);
        timeline.Render(p => p.Add(c => c.TotalEvents, Events + 1L).Add(c => c.Version, 1));

        timeline.WaitForAssertion(() => Assert.Equal(251, Names(timeline).Count));
        Assert.Equal(["Signed up", .. before], Names(timeline));
        Assert.Single(timeline.FindAll("[data-testid=timeline-more]")); // the ten oldest are still to load
        Assert.Equal("Showing 251 of 261 events", timeline.Find("[data-testid=timeline-count]").TextContent.Trim());
    }

    [Fact]
    public async Task AFromAfterTo_SaysSo_RatherThanThatNoEventMatches()
    {
        await SeedAsync();
        var timeline = RenderTimeline(Events, 0);
        timeline.WaitForAssertion(() => Assert.Equal(ProfileTimeline.PageSize, Names(timeline).Count));
        var pickers = timeline.FindComponents<MudBlazor.MudDatePicker>();
        await timeline.InvokeAsync(() => pickers[0].Instance.DateChanged.InvokeAsync(new DateTime(2026, 3, 10)));
        await timeline.InvokeAsync(() => pickers[1].Instance.DateChanged.InvokeAsync(new DateTime(2026, 3, 4)));

        timeline.WaitForAssertion(() => Assert.Equal(
            "From (10 Mar 2026) is after To (4 Mar 2026): no day lies between them. Pick a From on or before To.",
            timeline.Find("[data-testid=timeline-range-problem]").TextContent.Trim()));
        Assert.DoesNotContain("No event matches", timeline.Markup);

        await timeline.InvokeAsync(() => pickers[1].Instance.DateChanged.InvokeAsync(new DateTime(2026, 3, 12)));
        timeline.WaitForAssertion(() => Assert.Empty(timeline.FindAll("[data-testid=timeline-range-problem]")));
    }

    [Fact]
    public async Task DayHeadings_CountTheDaysEvents_AndTheDayCutByPagingSaysHowManyOfItsEventsAreShown()
    {
        await SeedAsync();

        var timeline = RenderTimeline(Events, 0);

        // 50 newest: 5 on the last day, 24 on the day before, and 21 of the 24 of the day before that.
        timeline.WaitForAssertion(() => Assert.Equal(3, timeline.FindAll("[data-testid=timeline-day]").Count));
        var days = timeline.FindAll("[data-testid=timeline-day]").Select(e => e.TextContent.Trim()).ToList();
        Assert.Equal("Thursday 12 Mar 2026 (UTC) · 5 events", days[0]);
        Assert.EndsWith("· 24 events", days[1]);
        Assert.Equal("Tuesday 10 Mar 2026 (UTC) · 21 of 24 events shown", days[2]);
    }
}
