using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;

namespace ProfileStudio.Components.Dashboard;

/// <summary>The dashboard's chart frames: transparent (the theme's card shows through), titled axes, legend above the plot.</summary>
public static class ChartLayouts
{
    public static Plotly.Blazor.Layout Axes(string xTitle, string yTitle, bool dates = false, bool legend = false, int left = 60, int height = 280) => new()
    {
        Height = height,
        Margin = new Margin { L = left, R = 16, T = legend ? 36 : 12, B = 52 },
        PaperBgColor = "rgba(0,0,0,0)",
        PlotBgColor = "rgba(0,0,0,0)",
        ShowLegend = legend,
        HoverMode = HoverModeEnum.Closest,
        Legend = [new Legend { Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, X = 0, Y = 1.02m, YAnchor = Plotly.Blazor.LayoutLib.LegendLib.YAnchorEnum.Bottom }],
        XAxis = [new XAxis
        {
            Title = new Plotly.Blazor.LayoutLib.XAxisLib.Title { Text = xTitle },
            Type = dates ? Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Date : Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Category,
            TickFormat = dates ? "%b %d" : null,
            // Long category labels (segment and namespace names) grow the margin instead of running into the axis title.
            AutoMargin = Plotly.Blazor.LayoutLib.XAxisLib.AutoMarginFlag.True,
        }],
        YAxis = [new YAxis
        {
            Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle },
            RangeMode = Plotly.Blazor.LayoutLib.YAxisLib.RangeModeEnum.ToZero,
            AutoMargin = Plotly.Blazor.LayoutLib.YAxisLib.AutoMarginFlag.True,
        }],
    };

    public const string Blue = "#1e88e5";
    public const string Green = "#43a047";
    public const string Red = "#e53935";
    public const string Amber = "#fb8c00";
    public const string Purple = "#7e57c2";

    /// <summary>Colours for series by position (sources), readable on light and dark cards.</summary>
    public static readonly string[] Series = ["#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00acc1", "#e53935", "#6d4c41", "#c0ca33"];

    public static string Day(DateTime day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
