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
            // Dates as the studio writes them ("5 Dec 2026", DisplayFormat.Date), not Plotly's "Dec 05".
            TickFormat = dates ? "%-d %b" : null,
            HoverFormat = dates ? DayFormat : null,
            // Long category labels (segment and namespace names) grow the margin instead of running into the axis title.
            AutoMargin = Plotly.Blazor.LayoutLib.XAxisLib.AutoMarginFlag.True,
        }],
        YAxis = [new YAxis
        {
            Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle },
            TickFormat = ",", // grouped as the numbers beside the chart are ("1,000", not "1000" or "1k")
            RangeMode = Plotly.Blazor.LayoutLib.YAxisLib.RangeModeEnum.ToZero,
            AutoMargin = Plotly.Blazor.LayoutLib.YAxisLib.AutoMarginFlag.True,
        }],
    };

    /// <summary>A day in a hover, as DisplayFormat.Date writes it ("5 Dec 2026"): use as %{x|…} in a hover template.</summary>
    public const string DayFormat = "%-d %b %Y";

    /// <summary>Numbers on colour bars, grouped as on the axes ("1,000").</summary>
    public const string CountFormat = ",";

    public const string Blue = "#1e88e5";

    /// <summary>
    /// The heatmaps' scale, readable on a light and a dark card alike: from a faint wash of the chart blue (few) to the full
    /// blue (many). Plotly's reversed "Blues" ran from near-white, which glared on a dark card, to navy, which vanished on it.
    /// </summary>
    public static readonly object HeatScale = new object[] { new object[] { 0, "rgba(30, 136, 229, 0.12)" }, new object[] { 1, Blue } };
    public const string Green = "#43a047";
    public const string Red = "#e53935";
    public const string Amber = "#fb8c00";
    public const string Purple = "#7e57c2";

    /// <summary>Colours for series by position (sources), readable on light and dark cards.</summary>
    public static readonly string[] Series = ["#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00acc1", "#e53935", "#6d4c41", "#c0ca33"];

    /// <summary>
    /// Axis labels for names that may be long (segment names): at most <paramref name="max"/> characters, cut with "…",
    /// and unique (a cut that collides gets its position), so a click still tells which one it was.
    /// </summary>
    public static IReadOnlyList<string> ShortLabels(IReadOnlyList<string> names, int max = 18)
    {
        var labels = new List<string>(names.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var label = names[i].Length <= max ? names[i] : Cut(names[i], max);
            if (!seen.Add(label))
            {
                label = $"{label} ({i + 1})";
                seen.Add(label);
            }
            labels.Add(label);
        }
        return labels;
    }

    // At a word boundary when one is in the second half, without a dangling "(" or ",".
    private static string Cut(string name, int max)
    {
        var cut = name[..(char.IsHighSurrogate(name[max - 2]) ? max - 2 : max - 1)]; // never half an emoji
        var space = cut.LastIndexOf(' ');
        if (space >= max / 2)
        {
            cut = cut[..space];
        }
        return cut.TrimEnd(' ', '(', ',', '-', ':', '/', '·') + "…";
    }

    /// <summary>
    /// A date axis over at least two weeks ending the day after <paramref name="last"/>, so a history of a day or two
    /// is drawn with whole-day ticks (Plotly's automatic ticks fell on half days and printed each day twice).
    /// </summary>
    public static void AtLeastTwoWeeks(Plotly.Blazor.Layout layout, DateTime first, DateTime last)
    {
        var start = first.AddDays(-1) < last.AddDays(-14) ? first.AddDays(-1) : last.AddDays(-14);
        layout.XAxis[0].Range = [Day(start), Day(last.AddDays(1))];
    }

    /// <summary>
    /// A date axis over exactly the days <paramref name="first"/> to <paramref name="last"/> (half a day either side, so
    /// the end bars are whole), so the chart covers the chosen range however few days have data.
    /// </summary>
    public static void Days(Plotly.Blazor.Layout layout, DateTime first, DateTime last) =>
        layout.XAxis[0].Range = [Instant(first.AddHours(-12)), Instant(last.AddHours(12))];

    /// <summary>
    /// A bar's width on a date axis, in milliseconds (Plotly's unit there): four fifths of a day. Plotly takes a lone bar's
    /// width from the gaps between bars, of which there are none, and drew it 1 ms wide in a set range.
    /// </summary>
    public const decimal DayBarWidth = 0.8m * 24 * 60 * 60 * 1000;

    private static string Instant(DateTime at) => at.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public static string Day(DateTime day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
