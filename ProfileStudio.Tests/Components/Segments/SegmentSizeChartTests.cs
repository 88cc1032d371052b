using Bunit;
using ProfileStudio.Components.Segments;
using Plotly.Blazor.Traces.ScatterLib.LineLib;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Tests.Components.Segments;

/// <summary>The segment page's size chart: whole history on the axis, at least two weeks of it, no days to come; sizes drawn as steps.</summary>
public sealed class SegmentSizeChartTests : StudioBunitContext
{
    private static readonly DateTime Today = new(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void OneDayOld_ShowsTheTwoWeeksBefore_AndNothingAfterTomorrow()
    {
        var cut = Render<SegmentSizeChart>(p => p.Add(c => c.Today, Today).Add(c => c.Points, [new SegmentSizePoint(Today, 2, 2, 0)]));

        Assert.Equal(("2026-11-20", "2026-12-05"), cut.Instance.AxisDays);
    }

    [Fact]
    public void LongHistory_ShowsItAll_FromTheDayBeforeItsFirstDay()
    {
        var cut = Render<SegmentSizeChart>(p => p.Add(c => c.Today, Today).Add(c => c.Points,
            [new SegmentSizePoint(Today.AddDays(-40), 1, 1, 0), new SegmentSizePoint(Today, 3, 2, 0)]));

        Assert.Equal(("2026-10-24", "2026-12-05"), cut.Instance.AxisDays);
        Assert.Equal("2", cut.Find("[data-testid=segment-size-chart]").GetAttribute("data-points"));
    }

    [Fact]
    public void SizeLine_StepsFromChangeToChange_AndHoldsTheLastSizeUntilToday()
    {
        var cut = Render<SegmentSizeChart>(p => p.Add(c => c.Today, Today).Add(c => c.Points,
            [new SegmentSizePoint(Today.AddDays(-3), 29, 29, 0), new SegmentSizePoint(Today.AddDays(-1), 0, 0, 29)]));

        var line = cut.Instance.SizeLine;

        // 29 until the day it dropped to 0 (never ~15 in between), and 0 still today.
        Assert.Equal(ShapeEnum.Hv, line.Line.Shape);
        Assert.Equal(["2026-12-01", "2026-12-03", "2026-12-04"], line.X.Cast<string>());
        Assert.Equal([29L, 0L, 0L], line.Y.Select(Convert.ToInt64));
        Assert.Equal("2", cut.Find("[data-testid=segment-size-chart]").GetAttribute("data-points")); // the stored days, not the carried one
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(7, 2)]
    [InlineData(1876, 500)]
    [InlineData(1812, 500)]
    [InlineData(45, 20)]
    [InlineData(4000, 1000)]
    [InlineData(4001, 2000)]
    public void TickStep_IsARoundNumber_ForAboutFourTicks(long highest, long step) => Assert.Equal(step, SegmentSizeChart.TickStep(highest));

    [Fact]
    public void NoHistory_SaysWhenItStarts()
    {
        var cut = Render<SegmentSizeChart>(p => p.Add(c => c.Today, Today).Add(c => c.Points, []));

        Assert.Contains("starts the day the segment is activated", cut.Find("[data-testid=segment-size-empty]").TextContent);
    }
}
