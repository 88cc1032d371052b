using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Plotly.Blazor.Traces;
using ProfileStudio.Components.Dashboard;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Dashboard;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Tests.Components.Dashboard;

/// <summary>What each dashboard widget hands its chart (not the drawing), its figures, its empty state and where a click leads.</summary>
public sealed class DashboardWidgetsTests : StudioBunitContext
{
    private static readonly DateTime Today = new(2026, 11, 20, 0, 0, 0, DateTimeKind.Utc);

    // email 0, user_id 1, phone 2 (no profile has one)
    private static readonly IdentityFigures Stitched = new(10, [6, 8, 0],
        [[6, 4, 0], [4, 8, 0], [0, 0, 0]], [1, 3, 0], 4);

    private static DashboardFigures Figures(AudienceFigures? audiences = null) => new(Today, ["email", "user_id", "phone"], Stitched, IdentityFigures.Empty,
        [new DashboardSource(1, "Web"), new DashboardSource(2, "CRM")],
        [new SourceDay(Today.AddDays(-1), 1, 100, 95, 5), new SourceDay(Today, 1, 50, 50, 0), new SourceDay(Today, 2, 30, 25, 5), new SourceDay(Today.AddDays(-200), 2, 999, 999, 0)],
        [new InsightDay(Today.AddDays(-2), 3, 1, 0), new InsightDay(Today, 1, 0, 2)],
        [new ComputedFigure(7, "orders_30d", new ComputedDistribution(10, 4, true, [new HistogramBin(1, 2, 3), new HistogramBin(2, 3, 1)], [], []))],
        audiences ?? AudienceFigures.Empty);

    private static DashboardView View(long profiles = 10) => new(Figures(), IdentityStitching.Graph, profiles, 1, 3, 6,
        [new TrendPoint(Today.AddDays(-1), 2, 9), new TrendPoint(Today, 1, 10)], Today, 0.4, []);

    [Fact]
    public void ProfileCount_ShowsTheCountAndItsChanges()
    {
        var cut = Render<ProfileCountCard>(p => p.Add(c => c.View, View()));

        Assert.Equal("10", cut.Find("[data-testid=profile-count]").TextContent.Trim());
        Assert.Contains("+3", cut.Find("[data-testid=profile-change-week]").TextContent);
        Assert.Contains("+6", cut.Find("[data-testid=profile-change-month]").TextContent);
    }

    [Fact]
    public void ProfileCount_NoProfiles_SaysToConnectASource()
    {
        SignIn("engineer@example.com", ProfileStudio.Core.Accounts.Roles.DataEngineer);
        var cut = Render<ProfileCountCard>(p => p.Add(c => c.View, View(profiles: 0)));

        Assert.Contains("No data yet — connect a source", cut.Find("[data-testid=widget-profile-count-empty]").TextContent);
        Assert.Equal("/data/sources", cut.Find("[data-testid=widget-profile-count-empty] a").GetAttribute("href"));
    }

    [Theory]
    [InlineData(ProfileStudio.Core.Accounts.Roles.Support)]
    [InlineData(ProfileStudio.Core.Accounts.Roles.Marketer)]
    public void EmptyStates_ForSomeoneWhoCannotOpenTheNextStep_SayWhoToAskInsteadOfALink(string role)
    {
        SignIn("someone@example.com", role);
        var count = Render<ProfileCountCard>(p => p.Add(c => c.View, View(profiles: 0)));

        Assert.Empty(count.FindAll("[data-testid=widget-profile-count-empty] a")); // Sources is for administrators and data engineers
        Assert.Equal("Ask an administrator or a data engineer to do it.", count.Find("[data-testid=widget-profile-count-empty-ask]").TextContent);

        var computed = Render<ComputedWidget>(p => p.Add(c => c.Figures, DashboardFigures.Empty));
        Assert.Equal(role == ProfileStudio.Core.Accounts.Roles.Marketer, computed.FindAll("[data-testid=widget-computed-empty] a").Count == 1);
    }

    [Fact]
    public void FiguresComputedBeforeTheFirstProfiles_SayWhenAndOfferToComputeThem_InsteadOfNoData()
    {
        SignIn("support@example.com", ProfileStudio.Core.Accounts.Roles.Support);
        var refreshed = 0;
        var freshness = new DashboardFreshness(Today.AddHours(9), FiguresProfiles: 0, LiveProfiles: 12, Stitched: true, Refreshing: false,
            EventCallback.Factory.Create(this, () => refreshed++));

        var identities = Render<IdentityWidgets>(p => p.AddCascadingValue(freshness)
            .Add(c => c.Identities, IdentityFigures.Empty).Add(c => c.Namespaces, (IReadOnlyList<string>)[]));

        var stale = identities.Find("[data-testid=widget-by-namespace-stale]");
        Assert.Contains("These figures were computed", stale.TextContent);
        Assert.Contains("before the first profiles arrived", stale.TextContent);
        Assert.Empty(identities.FindAll("[data-testid=widget-by-namespace-empty]"));
        identities.Find("[data-testid=widget-by-namespace-stale-refresh]").Click();
        Assert.Equal(1, refreshed);
        Assert.Equal("They counted 0 profiles; there are 12 now. Refresh to count them all.", freshness.CountNote);
    }

    [Fact]
    public void EmptyFiguresWithNoProfilesAnywhere_StillSayToConnectASource()
    {
        SignIn("engineer@example.com", ProfileStudio.Core.Accounts.Roles.DataEngineer);
        var freshness = new DashboardFreshness(Today, FiguresProfiles: 0, LiveProfiles: 0, Stitched: true, Refreshing: false, default);

        var identities = Render<IdentityWidgets>(p => p.AddCascadingValue(freshness)
            .Add(c => c.Identities, IdentityFigures.Empty).Add(c => c.Namespaces, (IReadOnlyList<string>)[]));

        Assert.Contains("No data yet — connect a source", identities.Find("[data-testid=widget-by-namespace-empty]").TextContent);
        Assert.Empty(identities.FindAll("[data-testid=widget-by-namespace-stale]"));
        Assert.Null(freshness.CountNote);
    }

    [Theory]
    [InlineData(41, 234, true, "They counted 41 profiles; there are 234 now. Refresh to count them all.")]
    [InlineData(1, 1, true, null)]
    [InlineData(2, 1, true, "They counted 2 profiles; there is 1 now. Refresh to update them.")]
    [InlineData(41, 500, false, null)] // without stitching the history counts identifiers, not the same profiles
    public void TheHeader_SaysWhenTheFiguresCountedOtherProfilesThanThereAreNow(long counted, long now, bool stitched, string? note)
    {
        Assert.Equal(note, new DashboardFreshness(Today, counted, now, stitched, false, default).CountNote);
    }

    [Fact]
    public void Trend_HandsNewProfilesAsBarsAndTheTotalAsALineOnTheRightAxis()
    {
        var cut = Render<ProfileTrendWidget>(p => p.Add(c => c.View, View()));
        var data = cut.FindComponent<DashboardChart>().Instance.Data;

        var bars = Assert.IsType<Bar>(data[0]);
        var line = Assert.IsType<Scatter>(data[1]);
        Assert.Equal(["2026-11-19", "2026-11-20"], bars.X);
        Assert.Equal([2L, 1L], bars.Y);
        Assert.Equal([9L, 10L], line.Y);
        Assert.Equal("y2", line.YAxis);
        Assert.Contains("%{y:,} new", bars.HoverTemplate);
    }

    [Fact]
    public void Trend_ChoosingARange_TellsThePage()
    {
        var chosen = 0;
        var cut = Render<ProfileTrendWidget>(p => p.Add(c => c.View, View()).Add(c => c.Range, 90).Add(c => c.RangeChanged, (int d) => chosen = d));

        cut.Find("[data-testid=trend-range-365]").Click();

        Assert.Equal(365, chosen);
    }

    [Fact]
    public void Identities_BarsAreNamespacesWithProfilesMostFirst_AndTheHeatmapTheirPairs()
    {
        var cut = Render<IdentityWidgets>(p => p.Add(c => c.Identities, Stitched).Add(c => c.Namespaces, (IReadOnlyList<string>)["email", "user_id", "phone"]));

        var bar = Assert.IsType<Bar>(cut.FindComponents<DashboardChart>().Single(c => c.Instance.TestId == "namespace-chart").Instance.Data[0]);
        Assert.Equal(["user_id", "email"], bar.X);
        Assert.Equal([8L, 6L], bar.Y);
        var heat = Assert.IsType<HeatMap>(cut.FindComponents<DashboardChart>().Single(c => c.Instance.TestId == "overlap-chart").Instance.Data[0]);
        Assert.Equal(["user_id", "email"], heat.X);
        Assert.Equal([[8L, 4L], [4L, 6L]], heat.Z!.Select(r => ((IEnumerable<object>)r).Cast<long>().ToList()));
        // Colours from 0 to the largest cell: from the smallest cell (Plotly's default), the 4s read as empty cells.
        Assert.Equal((0m, 8m), ((decimal?)heat.ZMin, (decimal?)heat.ZMax));
        Assert.Contains("40 %", cut.Find("[data-testid=single-identity-share]").TextContent);
        Assert.Equal(["user_id: 37.5 % single", "email: 16.7 % single"], cut.FindAll("[data-testid=single-identity-by-namespace]").Select(c => c.TextContent.Trim()));
    }

    [Fact]
    public void Identities_HeatmapHoverNamesTheNamespaceAloneOnTheDiagonal_AndGroupsItsScale()
    {
        var cut = Render<IdentityWidgets>(p => p.Add(c => c.Identities, Stitched).Add(c => c.Namespaces, (IReadOnlyList<string>)["email", "user_id", "phone"]));

        var heat = Assert.IsType<HeatMap>(cut.FindComponents<DashboardChart>().Single(c => c.Instance.TestId == "overlap-chart").Instance.Data[0]);
        Assert.Equal([["user_id", "user_id and email"], ["email and user_id", "email"]], heat.Text!.Select(r => ((IEnumerable<object>)r).Cast<string>().ToList()));
        Assert.Equal("%{text}: %{z:,} profiles<extra></extra>", heat.HoverTemplate);
        Assert.Equal(",", heat.ColorBar.TickFormat); // "1,000" as on every axis, not "1000"
    }

    [Fact]
    public void DateCharts_WriteDaysAsTheStudioDoes()
    {
        var layout = ChartLayouts.Axes("Day", "Messages", dates: true);
        Assert.Equal("%-d %b", layout.XAxis[0].TickFormat); // "5 Dec", not "Dec 05"
        Assert.Equal("%-d %b %Y", layout.XAxis[0].HoverFormat); // "5 Dec 2026", as DisplayFormat.Date

        var ingestion = Render<IngestionWidget>(p => p.Add(c => c.Figures, Figures()).Add(c => c.Days, 30).Add(c => c.Today, Today));
        var insights = Render<InsightsWidget>(p => p.Add(c => c.Figures, Figures()).Add(c => c.Days, 30).Add(c => c.Today, Today));
        var trend = Render<ProfileTrendWidget>(p => p.Add(c => c.View, View()));
        var unsegmented = Render<UnsegmentedWidget>(p => p.Add(c => c.Audiences, new AudienceFigures(10, 4, [], [], []))
            .Add(c => c.Points, (IReadOnlyList<UnsegmentedPoint>)[new UnsegmentedPoint(Today, 4, 10)]));
        var templates = new[] { ingestion.FindComponent<DashboardChart>(), insights.FindComponent<DashboardChart>(), trend.FindComponent<DashboardChart>(), unsegmented.FindComponent<DashboardChart>() }
            .SelectMany(c => c.Instance.Data).Select(t => (string?)t.GetType().GetProperty("HoverTemplate")!.GetValue(t)).ToList();
        Assert.All(templates, t => Assert.Contains("%{x|%-d %b %Y}", t));
    }

    [Fact]
    public void Identities_ClickingABarOrCell_OpensTheExplorerFiltered()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var cut = Render<IdentityWidgets>(p => p.Add(c => c.Identities, Stitched).Add(c => c.Namespaces, (IReadOnlyList<string>)["email", "user_id", "phone"]));
        var charts = cut.FindComponents<DashboardChart>();

        cut.InvokeAsync(() => charts.Single(c => c.Instance.TestId == "namespace-chart").Instance.PointClicked.InvokeAsync(new ChartPoint(0, 1, "email", "6")));
        Assert.EndsWith("/profiles?namespace=email", navigation.Uri);
        cut.InvokeAsync(() => charts.Single(c => c.Instance.TestId == "overlap-chart").Instance.PointClicked.InvokeAsync(new ChartPoint(0, null, "email", "user_id")));
        Assert.EndsWith("/profiles?namespace=user_id&namespace=email", navigation.Uri);
    }

    [Fact]
    public void UnderAPolicyThatDoesNotStitch_TheLinksToTheExplorerCarryThePolicy()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var identities = Render<IdentityWidgets>(p => p.Add(c => c.Identities, Stitched).Add(c => c.Namespaces, (IReadOnlyList<string>)["email", "user_id", "phone"])
            .Add(c => c.UnstitchedPolicyId, 7));
        var count = Render<ProfileCountCard>(p => p.Add(c => c.View, View()).Add(c => c.UnstitchedPolicyId, 7));
        var charts = identities.FindComponents<DashboardChart>();

        identities.InvokeAsync(() => charts.Single(c => c.Instance.TestId == "namespace-chart").Instance.PointClicked.InvokeAsync(new ChartPoint(0, 1, "email", "6")));
        Assert.EndsWith("/profiles?namespace=email&policy=7", navigation.Uri);
        identities.InvokeAsync(() => charts.Single(c => c.Instance.TestId == "overlap-chart").Instance.PointClicked.InvokeAsync(new ChartPoint(0, null, "email", "user_id")));
        Assert.EndsWith("/profiles?namespace=user_id&namespace=email&policy=7", navigation.Uri);
        Assert.Equal("/profiles?policy=7", count.Find("[data-testid=profile-count]").GetAttribute("href"));
    }

    [Fact]
    public void Ingestion_StacksEachSourcesDailyMessagesOverTheRange_WithTheRejectedShare()
    {
        var cut = Render<IngestionWidget>(p => p.Add(c => c.Figures, Figures()).Add(c => c.Days, 30).Add(c => c.Today, Today)
            .Add(c => c.Lag, new PipelineLagSnapshot(120, 100, 3, 0, [], 0)));
        var data = cut.FindComponent<DashboardChart>().Instance.Data.Cast<Scatter>().ToList();

        Assert.Equal(["Web", "CRM"], data.Select(s => s.Name));
        Assert.All(data, s => Assert.Equal("sources", s.StackGroup));
        Assert.Equal(30, data[0].X!.Count);
        Assert.Equal([100L, 50L], data[0].Y!.Cast<long>().TakeLast(2));
        Assert.Equal([0L, 30L], data[1].Y!.Cast<long>().TakeLast(2)); // the 200-day-old day is outside the range
        Assert.Contains("5.56 %", cut.Find("[data-testid=ingestion-rejected-share]").TextContent); // 10 of 180
        Assert.Contains("20 messages", cut.Find("[data-testid=unification-lag]").TextContent);
    }

    /// <summary>
    /// Seven sources, two with long names: the legend above the plot took the card's height and squeezed the plot to a strip. The four
    /// that sent most keep a band each, the others share one, long names are cut in the legend (not in the hover), and the top margin
    /// and the chart's height grow with the legend's rows.
    /// </summary>
    [Fact]
    public void Ingestion_ManySources_TheLargestFourAndOneBandForTheRest_LegendNamesCut_TheChartGrowsForTheLegend()
    {
        var names = new[] { "Web", "CRM", "Shop website a4139e0254b04f4cb2c35b28847", "App", "POS", "Loyalty", "Rudder backend d1f9f6082456434e8aeec0600" };
        var figures = Figures() with
        {
            Sources = names.Select((n, i) => new DashboardSource(i + 1, n)).ToList(),
            Ingestion = names.Select((_, i) => new SourceDay(Today, i + 1, 10 * (i + 1), 10 * (i + 1), 0)).ToList(),
        };
        var oneSource = Figures() with { Sources = [new DashboardSource(1, "Web")], Ingestion = [new SourceDay(Today, 1, 5, 5, 0)] };

        var chart = Render<IngestionWidget>(p => p.Add(c => c.Figures, figures).Add(c => c.Days, 30).Add(c => c.Today, Today)).FindComponent<DashboardChart>().Instance;
        var small = Render<IngestionWidget>(p => p.Add(c => c.Figures, oneSource).Add(c => c.Days, 30).Add(c => c.Today, Today)).FindComponent<DashboardChart>().Instance;
        var data = chart.Data.Cast<Scatter>().ToList();

        // By what they sent (70, 60, 50, 40), then the shop, CRM and Web together (30 + 20 + 10).
        Assert.Equal(["Rudder backend d1f9f6082456…", "Loyalty", "POS", "App", "3 other sources"], data.Select(s => s.Name));
        Assert.Equal(60L, data[4].Y!.Cast<long>().Last());
        Assert.StartsWith("Rudder backend d1f9f6082456434e8aeec0600: ", data[0].HoverTemplate);
        Assert.Equal(280, small.Layout.Height);
        Assert.Equal(36m, small.Layout.Margin.T);
        Assert.True(chart.Layout.Margin.T > 36m && chart.Layout.Height - chart.Layout.Margin.T == small.Layout.Height - small.Layout.Margin.T,
            $"margin {chart.Layout.Margin.T}, height {chart.Layout.Height}");
    }

    [Theory]
    [InlineData(2, "< 0.01 %", true)] // 2 of 57,435 rounds to 0 but is not none
    [InlineData(0, "0 %", false)]
    [InlineData(600, "1.04 %", true)]
    public void Ingestion_RejectedShare_NeverReadsZeroWhenSomeWereRejected_AndIsRedOnlyThen(long rejected, string shown, bool red)
    {
        SignIn("admin@example.com", ProfileStudio.Core.Accounts.Roles.Admin); // who may open the rejected messages gets a link
        var figures = Figures() with { Ingestion = [new SourceDay(Today, 1, 57_435, 57_435 - rejected, rejected)] };
        var cut = Render<IngestionWidget>(p => p.Add(c => c.Figures, figures).Add(c => c.Days, 30).Add(c => c.Today, Today));

        var link = cut.Find("[data-testid=ingestion-rejected-share] a");
        Assert.Equal(shown, link.TextContent.Trim());
        Assert.Equal(red, link.ClassList.Contains("mud-error-text"));
        Assert.Equal($"{rejected:N0} of 57,435 messages rejected", link.GetAttribute("title"));
    }

    [Theory]
    [InlineData(ProfileStudio.Core.Accounts.Roles.Support, false, false)]
    [InlineData(ProfileStudio.Core.Accounts.Roles.Marketer, false, true)]
    [InlineData(ProfileStudio.Core.Accounts.Roles.DataEngineer, true, true)]
    [InlineData(ProfileStudio.Core.Accounts.Roles.Admin, true, true)]
    public void Links_LeadOnlyWhereTheUserMayGo_OthersReadTheFigureAsText(string role, bool opensDataPages, bool opensInsights)
    {
        SignIn("someone@example.com", role);

        var ingestion = Render<IngestionWidget>(p => p.Add(c => c.Figures, Figures()).Add(c => c.Days, 30).Add(c => c.Today, Today)
            .Add(c => c.Lag, new PipelineLagSnapshot(120, 100, 3, 0, [], 0)));
        var insights = Render<InsightsWidget>(p => p.Add(c => c.Figures, Figures()).Add(c => c.Days, 30).Add(c => c.Today, Today));

        // /data/rejected and /identity/unification: Admin and DataEngineer; /identity/insights: also Marketer.
        Assert.Equal(opensDataPages ? "/data/rejected" : null, ingestion.Find("[data-testid=ingestion-rejected-share]").QuerySelector("a")?.GetAttribute("href"));
        Assert.Equal(opensDataPages ? "/identity/unification" : null, ingestion.Find("[data-testid=unification-lag]").QuerySelector("a")?.GetAttribute("href"));
        Assert.Contains("5.56 %", ingestion.Find("[data-testid=ingestion-rejected-share]").TextContent);
        Assert.Contains("20 messages", ingestion.Find("[data-testid=unification-lag]").TextContent);
        Assert.Equal(opensInsights, insights.FindComponent<DashboardChart>().Instance.PointClicked.HasDelegate);
        Assert.Equal(opensInsights, insights.Find("[data-testid=widget-insights]").TextContent.Contains("Click a bar", StringComparison.Ordinal));
    }

    [Fact]
    public void Insights_StackMergesRefusalsAndBlockedValuesPerDay()
    {
        var cut = Render<InsightsWidget>(p => p.Add(c => c.Figures, Figures()).Add(c => c.Days, 30).Add(c => c.Today, Today));
        var data = cut.FindComponent<DashboardChart>().Instance.Data.Cast<Bar>().ToList();

        Assert.Equal(["Merges", "Refused merges", "Blocked values"], data.Select(b => b.Name));
        Assert.Equal(["2026-11-18", "2026-11-20"], data[0].X);
        Assert.Equal([3L, 1L], data[0].Y);
        Assert.Equal([0L, 2L], data[2].Y);
    }

    [Fact]
    public void Insights_AxisCoversTheChosenRange_SoOneDayIsOneNarrowBar()
    {
        var figures = Figures() with { Insights = [new InsightDay(Today, 4, 0, 0)] };
        var cut = Render<InsightsWidget>(p => p.Add(c => c.Figures, figures).Add(c => c.Days, 90).Add(c => c.Today, Today));
        var chart = cut.FindComponent<DashboardChart>().Instance;

        Assert.Equal(["2026-08-22 12:00", "2026-11-20 12:00"], chart.Layout.XAxis[0].Range); // 90 days ending today, half a day either side
        Assert.All(chart.Data.Cast<Bar>(), b => Assert.Equal(0.8m * 86_400_000, b.Width)); // a day's bar in ms, not Plotly's lone-bar guess
    }

    [Fact]
    public void DistributionChart_AnOutlierBar_SaysItHoldsOutliers()
    {
        Render<MudBlazor.MudPopoverProvider>();
        var distribution = new ComputedDistribution(12, 12, true,
            [new HistogramBin(10, 44, 5), new HistogramBin(45, 80, 6), new HistogramBin(250_000, 250_000, 1, Outliers: true), new HistogramBin(300_000, 410_000.5m, 2, Outliers: true)], [], []);

        var chart = Render<ProfileStudio.Components.Profiles.Computed.DistributionChart>(p => p.Add(c => c.Distribution, distribution)).Instance;

        Assert.Equal([("10–44", 5), ("45–80", 6), ("250,000 (outlier)", 1), ("300,000–410,000.5 (outliers)", 2)], chart.Bars);
    }

    [Fact]
    public void Computed_ShowsTheFirstActiveAttributesHistogram_OrSaysHowToMakeOne()
    {
        Render<MudBlazor.MudPopoverProvider>();
        var cut = Render<ComputedWidget>(p => p.Add(c => c.Figures, Figures()));
        var chart = cut.FindComponent<ProfileStudio.Components.Profiles.Computed.DistributionChart>().Instance;
        Assert.Equal([("1–2", 3), ("2–3", 1)], chart.Bars);
        var plot = cut.FindComponent<Plotly.Blazor.PlotlyChart>().Instance;
        Assert.Equal("%{x}: %{y:,} profiles<extra></extra>", Assert.IsType<Bar>(plot.Data[0]).HoverTemplate);
        // Tilted bin labels push the margin and the title below them instead of running under the "Value" title.
        Assert.Equal(Plotly.Blazor.LayoutLib.XAxisLib.AutoMarginFlag.True, plot.Layout.XAxis[0].AutoMargin);
        Assert.Equal(12, plot.Layout.XAxis[0].Title.Standoff);

        SignIn("marketer@example.com", ProfileStudio.Core.Accounts.Roles.Marketer);
        var empty = Render<ComputedWidget>(p => p.Add(c => c.Figures, DashboardFigures.Empty));
        Assert.Equal("/profiles/computed-attributes/new", empty.Find("[data-testid=widget-computed-empty] a").GetAttribute("href"));
    }

    [Fact]
    public void Computed_FiguresFromBeforeAnyWasActive_SayWhenAndOfferToComputeThem_NotToCreateOne()
    {
        // The demo's first minutes: three computed attributes are active, the stored figures predate them.
        SignIn("marketer@example.com", ProfileStudio.Core.Accounts.Roles.Marketer);
        var refreshed = 0;
        var freshness = new DashboardFreshness(Today.AddHours(9), FiguresProfiles: 2432, LiveProfiles: 4773, Stitched: true, Refreshing: false,
            EventCallback.Factory.Create(this, () => refreshed++));

        var cut = Render<ComputedWidget>(p => p.AddCascadingValue(freshness).Add(c => c.Figures, DashboardFigures.Empty).Add(c => c.ActiveNow, 3));

        var stale = cut.Find("[data-testid=widget-computed-stale]");
        Assert.Contains("before the 3 computed attributes active now were activated.", stale.TextContent);
        Assert.Empty(cut.FindAll("[data-testid=widget-computed-empty]"));
        cut.Find("[data-testid=widget-computed-stale-refresh]").Click();
        Assert.Equal(1, refreshed);
    }

    /// <summary>
    /// Figures stored before any segment was active, four active now: the cards said "No active segment yet" and "every profile is
    /// unsegmented", both false. They say when the figures were computed and offer to compute them again.
    /// </summary>
    [Fact]
    public async Task Segments_FiguresFromBeforeAnyWasActive_SayWhenAndOfferToComputeThem()
    {
        await using var studio = await ProfileStudio.Tests.Support.StudioServices.StartAsync(withAccounts: false);
        Services.AddSingleton(studio.Services.GetRequiredService<SegmentStore>());
        Render<MudBlazor.MudPopoverProvider>();
        SignIn("marketer@example.com", ProfileStudio.Core.Accounts.Roles.Marketer);
        var refreshed = 0;
        var freshness = new DashboardFreshness(Today.AddHours(9), FiguresProfiles: 157, LiveProfiles: 234, Stitched: true, Refreshing: false,
            EventCallback.Factory.Create(this, () => refreshed++));
        var before = new AudienceFigures(157, 157, [], [], []);

        var audiences = Render<AudiencesWidget>(p => p.AddCascadingValue(freshness).Add(c => c.Audiences, before).Add(c => c.ActiveNow, 4));
        var unsegmented = Render<UnsegmentedWidget>(p => p.AddCascadingValue(freshness).Add(c => c.Audiences, before).Add(c => c.ActiveNow, 1)
            .Add(c => c.Points, (IReadOnlyList<UnsegmentedPoint>)[new UnsegmentedPoint(Today, 157, 157)]));
        var current = Render<UnsegmentedWidget>(p => p.AddCascadingValue(freshness).Add(c => c.Audiences, before).Add(c => c.ActiveNow, 0)
            .Add(c => c.Points, (IReadOnlyList<UnsegmentedPoint>)[new UnsegmentedPoint(Today, 157, 157)]));

        Assert.Contains("before the 4 segments active now were activated.", audiences.Find("[data-testid=widget-audiences-stale]").TextContent);
        Assert.Empty(audiences.FindAll("[data-testid=widget-audiences-empty]"));
        Assert.Contains("before the segment active now was activated.", unsegmented.Find("[data-testid=widget-unsegmented-stale]").TextContent);
        Assert.DoesNotContain("every profile is unsegmented", unsegmented.Markup);
        Assert.Contains("No segment is active yet, so every profile is unsegmented.", current.Markup); // true when none is active
        audiences.Find("[data-testid=widget-audiences-stale-refresh]").Click();
        Assert.Equal(1, refreshed);
    }

    [Fact]
    public void Computed_TopValues_HoverNamesTheValueAndItsProfiles()
    {
        Render<MudBlazor.MudPopoverProvider>();
        var lifecycle = new ComputedFigure(8, "lifecycle", new ComputedDistribution(200, 180, false, [], [new TopValue("\"Sleeping\"", 165), new TopValue("\"Active\"", 15)], []));
        var cut = Render<ComputedWidget>(p => p.Add(c => c.Figures, Figures() with { Computed = [lifecycle] }));

        var bar = Assert.IsType<Bar>(cut.FindComponent<Plotly.Blazor.PlotlyChart>().Instance.Data[0]);
        Assert.Equal("%{y}: %{x:,} profiles<extra></extra>", bar.HoverTemplate); // "Sleeping: 165 profiles", not "(165, Sleeping)"
        Assert.Equal(["Active", "Sleeping"], bar.Y);
    }

    [Fact]
    public async Task Audiences_SizesBarAndOverlapHeatmap_ClickOpensTheMembers()
    {
        var audiences = new AudienceFigures(10, 4,
            [new AudienceFigure(3, "VIP", 5, 2, 1), new AudienceFigure(4, "Lapsed", 2, 0, 1)], [3, 4],
            [new SegmentOverlapCell(3, 3, 5), new SegmentOverlapCell(3, 4, 1), new SegmentOverlapCell(4, 3, 1), new SegmentOverlapCell(4, 4, 2)]);
        await using var studio = ProfileStudio.Tests.Support.StudioServices.Create(withAccounts: false);
        var (cut, sizes, heat, navigation) = RenderAudiences(studio, audiences);

        Assert.Equal(["VIP", "Lapsed"], sizes.X);
        Assert.Equal([5L, 2L], sizes.Y);
        Assert.Equal([[5L, 1L], [1L, 2L]], heat.Z!.Select(r => ((IEnumerable<object>)r).Cast<long>().ToList()));
        Assert.Equal((0m, 5m), ((decimal?)heat.ZMin, (decimal?)heat.ZMax));
        Assert.Equal(",", heat.ColorBar.TickFormat);
        Assert.Contains("+2", cut.Find("[data-testid=audience-changes] tbody tr").TextContent);
        await cut.InvokeAsync(() => cut.FindComponents<DashboardChart>()[0].Instance.PointClicked.InvokeAsync(new ChartPoint(0, 1, "Lapsed", "2")));
        Assert.EndsWith("/profiles?segment=4", navigation.Uri);
    }

    [Fact]
    public async Task Audiences_NoEntriesOrExits_ArePlainZeros_NotColouredSigns()
    {
        var audiences = new AudienceFigures(10, 4, [new AudienceFigure(3, "VIP", 5, 0, 0), new AudienceFigure(4, "Lapsed", 2, 1, 1_200)], [], []);
        await using var studio = ProfileStudio.Tests.Support.StudioServices.Create(withAccounts: false);
        var (cut, _, _, _) = RenderAudiences(studio, audiences);

        var rows = cut.FindAll("[data-testid=audience-changes] tbody tr").Select(r => r.QuerySelectorAll("td").Skip(2).ToList()).ToList();
        Assert.Equal(["0", "0"], rows[0].Select(c => c.TextContent));
        Assert.All(rows[0], c => Assert.Equal("text-right", c.ClassName));
        Assert.Equal(["+1", "−1,200"], rows[1].Select(c => c.TextContent));
        Assert.Equal(["text-right mud-success-text", "text-right mud-error-text"], rows[1].Select(c => c.ClassName));
    }

    [Fact]
    public async Task Audiences_ClickingAnOverlapCell_OpensThePeopleInBothSegments_AndTheDiagonalTheOneSegment()
    {
        var audiences = new AudienceFigures(10, 4,
            [new AudienceFigure(3, "Cart abandoners (added to cart, no order in 7 days)", 5, 2, 1), new AudienceFigure(4, "Cart abandoners (web only)", 2, 0, 1)], [3, 4],
            [new SegmentOverlapCell(3, 3, 5), new SegmentOverlapCell(3, 4, 1), new SegmentOverlapCell(4, 3, 1), new SegmentOverlapCell(4, 4, 2)]);
        await using var studio = ProfileStudio.Tests.Support.StudioServices.Create(withAccounts: false);
        var (cut, _, heat, navigation) = RenderAudiences(studio, audiences);
        var overlap = cut.FindComponents<DashboardChart>().Single(c => c.Instance.TestId == "audience-overlap-chart").Instance;
        var (first, second) = ((string)heat.X![0], (string)heat.X[1]);

        Assert.True(overlap.PointClicked.HasDelegate);
        // Plotly hands a heatmap cell's x (column) and y (row) labels, cut as on the axis.
        await cut.InvokeAsync(() => overlap.PointClicked.InvokeAsync(new ChartPoint(0, null, second, first)));
        Assert.EndsWith("/profiles?segment=3&segment=4", navigation.Uri);
        await cut.InvokeAsync(() => overlap.PointClicked.InvokeAsync(new ChartPoint(0, null, second, second)));
        Assert.EndsWith("/profiles?segment=4", navigation.Uri);
    }

    [Fact]
    public void Unsegmented_CountShareAndRecordedTrend()
    {
        var cut = Render<UnsegmentedWidget>(p => p.Add(c => c.Audiences, new AudienceFigures(10, 4, [], [], []))
            .Add(c => c.Points, (IReadOnlyList<UnsegmentedPoint>)[new UnsegmentedPoint(Today.AddDays(-1), 6, 9), new UnsegmentedPoint(Today, 4, 10)]));

        var line = Assert.IsType<Scatter>(cut.FindComponent<DashboardChart>().Instance.Data[0]);
        Assert.Equal([6L, 4L], line.Y);
        Assert.Equal(["2026-11-06", "2026-11-21"], cut.Instance.AxisDays); // two weeks of whole days, none to come
        Assert.Contains("40 % of 10 profiles", cut.Find("[data-testid=unsegmented-count]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=unsegmented-first-day]"));
    }

    [Fact]
    public void Unsegmented_OnlyTheFirstDayRecorded_SaysWhenTheLineStarts()
    {
        var cut = Render<UnsegmentedWidget>(p => p.Add(c => c.Audiences, new AudienceFigures(10, 4, [], [], []))
            .Add(c => c.Points, (IReadOnlyList<UnsegmentedPoint>)[new UnsegmentedPoint(Today, 4, 10)]));

        Assert.Equal("Recorded since 20 Nov 2026; the line starts with the next day's figure.", cut.Find("[data-testid=unsegmented-first-day]").TextContent.Trim());
    }

    /// <summary>
    /// The audiences widget with its two charts' traces. The stored overlap is shown as it is: the store (on an empty,
    /// unmigrated database) is only asked when the choice changes.
    /// </summary>
    private (IRenderedComponent<AudiencesWidget> Cut, Bar Sizes, HeatMap Heat, NavigationManager Navigation) RenderAudiences(
        ProfileStudio.Tests.Support.StudioServices studio, AudienceFigures audiences)
    {
        Services.AddSingleton(studio.Services.GetRequiredService<SegmentStore>());
        Render<MudBlazor.MudPopoverProvider>();
        var cut = Render<AudiencesWidget>(p => p.Add(c => c.Audiences, audiences));
        DashboardChart Chart(string id) => cut.FindComponents<DashboardChart>().Single(c => c.Instance.TestId == id).Instance;
        return (cut, Assert.IsType<Bar>(Chart("audience-sizes-chart").Data[0]), Assert.IsType<HeatMap>(Chart("audience-overlap-chart").Data[0]),
            Services.GetRequiredService<NavigationManager>());
    }

    [Fact]
    public void ShortLabels_CutLongNamesAndKeepThemApart()
    {
        Assert.Equal(["VIP", "Cart abandoners…", "Cart abandoners… (3)"],
            ChartLayouts.ShortLabels(["VIP", "Cart abandoners (added to cart)", "Cart abandoners (no order)"], 18));
        // A cut never splits a character made of two UTF-16 units (the label stays valid text).
        Assert.Equal("Fans of 🎸🎸🎸…", ChartLayouts.ShortLabels(["Fans of 🎸🎸🎸🎸🎸🎸"], 16)[0]);
    }

    [Fact]
    public async Task Audiences_LongNames_AreCutOnTheAxisWholeInTheHover_AndABarStillOpensItsSegment()
    {
        var audiences = new AudienceFigures(10, 4,
            [new AudienceFigure(3, "Cart abandoners (added to cart, no order in 7 days)", 5, 2, 1), new AudienceFigure(4, "Cart abandoners (web only)", 2, 0, 1)], [3, 4],
            [new SegmentOverlapCell(3, 3, 5), new SegmentOverlapCell(3, 4, 1), new SegmentOverlapCell(4, 3, 1), new SegmentOverlapCell(4, 4, 2)]);
        await using var studio = ProfileStudio.Tests.Support.StudioServices.Create(withAccounts: false);
        var (cut, sizes, heat, navigation) = RenderAudiences(studio, audiences);

        Assert.Equal(["Cart abandoners…", "Cart abandoners… (2)"], sizes.X);
        Assert.Equal(["Cart abandoners (added to cart, no order in 7 days)", "Cart abandoners (web only)"], sizes.HoverTextArray);
        Assert.All(heat.X!, label => Assert.True(((string)label).Length <= 20));
        Assert.Equal("Cart abandoners (added to cart, no order in 7 days) and Cart abandoners (web only)", ((IEnumerable<object>)heat.Text![0]).ElementAt(1));
        await cut.InvokeAsync(() => cut.FindComponents<DashboardChart>()[0].Instance.PointClicked.InvokeAsync(new ChartPoint(0, 1, "Cart abandoners… (2)", "2")));
        Assert.EndsWith("/profiles?segment=4", navigation.Uri);
    }
}
