using Microsoft.AspNetCore.Components;
using Plotly.Blazor;
using Plotly.Blazor.Traces;
using ProfileStudio.Core.Dashboard;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Components.Dashboard;

public sealed partial class AudiencesWidget
{
    private IList<ITrace> _sizes = [];
    private IList<ITrace> _overlap = [];
    private readonly Plotly.Blazor.Layout _sizeLayout = ChartLayouts.Axes("Segment", "Members");
    private readonly Plotly.Blazor.Layout _overlapLayout = ChartLayouts.Axes("Segment", "Segment", left: 120, height: 300);
    private IReadOnlyCollection<long> _chosen = [];
    private IReadOnlyList<string> _sizeLabels = [];
    private IReadOnlyList<long> _sizeIds = [];
    private IReadOnlyList<string> _overlapLabels = [];
    private AudienceFigures? _shown;

    [Parameter, EditorRequired] public AudienceFigures Audiences { get; set; } = default!;

    /// <summary>How many segments are active now (the figures may predate them).</summary>
    [Parameter] public int ActiveNow { get; set; }

    private static readonly IReadOnlyList<string> SourceManagers = [Core.Accounts.Roles.Admin, Core.Accounts.Roles.DataEngineer];
    [Inject] private SegmentStore Segments { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    /// <summary>The overlap shown: the chosen segments, in order, and the members shared by each pair (the diagonal: the size).</summary>
    internal IReadOnlyList<long> OverlapIds { get; private set; } = [];
    internal IReadOnlyList<SegmentOverlapCell> OverlapCells { get; private set; } = [];

    protected override void OnParametersSet()
    {
        if (ReferenceEquals(_shown, Audiences))
        {
            return;
        }
        _shown = Audiences;
        var top = Audiences.Segments.Take(20).ToList();
        // Names can be long ("Cart abandoners (added to cart, no order in 7 days)"): the axis shows them cut, the hover in full.
        _sizeLabels = ChartLayouts.ShortLabels(top.Select(s => s.Name).ToList());
        _sizeIds = top.Select(s => s.Id).ToList();
        _sizes =
        [
            new Bar
            {
                Name = "Members", X = _sizeLabels.Cast<object>().ToList(), Y = top.Select(s => (object)s.Members).ToList(),
                CustomData = top.Select(s => (object)s.Id).ToList(),
                HoverTextArray = top.Select(s => s.Name).ToArray(),
                Marker = new Plotly.Blazor.Traces.BarLib.Marker { Color = ChartLayouts.Purple },
                HoverTemplate = "%{hovertext}: %{y:,} members<extra></extra>",
            },
        ];
        _chosen = Audiences.OverlapIds.ToList();
        ShowOverlap(Audiences.OverlapIds, Audiences.Overlap);
    }

    private async Task OnChosenAsync(IEnumerable<long>? chosen)
    {
        var ids = (chosen ?? []).Take(SegmentStore.MaxOverlapSegments).ToList();
        _chosen = ids;
        // A choice other than the stored one is counted now (one indexed count per pair, at most 55).
        ShowOverlap(ids, ids.Count == 0 ? [] : await Segments.OverlapAsync(ids));
    }

    private void ShowOverlap(IReadOnlyList<long> ids, IReadOnlyList<SegmentOverlapCell> cells)
    {
        (OverlapIds, OverlapCells) = (ids, cells);
        _overlapLabels = ChartLayouts.ShortLabels(ids.Select(NameOf).ToList(), 16);
        var labels = _overlapLabels.Cast<object>().ToList();
        _overlap =
        [
            new HeatMap
            {
                Name = "Shared members", X = labels, Y = labels,
                Z = ids.Select(a => (object)ids.Select(b => (object)(cells.FirstOrDefault(c => c.A == a && c.B == b)?.Shared ?? 0)).ToList()).ToList(),
                // The full names in the hover: "A and B" off the diagonal, the segment alone on it.
                Text = ids.Select(a => (object)ids.Select(b => (object)(a == b ? NameOf(a) : $"{NameOf(a)} and {NameOf(b)}")).ToList()).ToList(),
                ColorScale = ChartLayouts.HeatScale,
                // From 0: with Plotly's default (the smallest cell) every cell at the smallest count read as empty.
                ZMin = 0, ZMax = Math.Max(1, cells.Select(c => c.Shared).DefaultIfEmpty().Max()),
                XGap = 2, YGap = 2,
                HoverTemplate = "%{text}: %{z:,} people<extra></extra>",
                ColorBar = new Plotly.Blazor.Traces.HeatMapLib.ColorBar { TickFormat = ChartLayouts.CountFormat },
            },
        ];
    }

    // No change is a plain "0": "−0" in red read as a loss.
    private static string Change(long count, string colour) => count == 0 ? "text-right" : $"text-right {colour}";

    private static string Signed(long count, char sign) => count == 0 ? "0" : sign + count.ToString("N0");

    private string NameOf(long id) => Audiences.Segments.FirstOrDefault(s => s.Id == id)?.Name ?? $"segment {id}";

    private void OnSizeClicked(ChartPoint point)
    {
        var at = point.X is { } label ? _sizeLabels.ToList().IndexOf(label) : -1;
        if (at >= 0)
        {
            Navigation.NavigateTo(MembersOf(_sizeIds[at]));
        }
    }

    /// <summary>A heatmap click carries the cell's axis labels (its point number is [row, column], which the chart does not pass on).</summary>
    private void OnCellClicked(ChartPoint point)
    {
        var (column, row) = (IndexOf(_overlapLabels, point.X), IndexOf(_overlapLabels, point.Y));
        if (column >= 0 && row >= 0)
        {
            Navigation.NavigateTo(MembersOf(OverlapIds[row], OverlapIds[column]));
        }
    }

    private static int IndexOf(IReadOnlyList<string> labels, string? label) => label is null ? -1 : labels.ToList().IndexOf(label);

    /// <summary>The explorer filtered to the people in every one of the segments (the diagonal's two alike: the one segment).</summary>
    public static string MembersOf(params long[] segmentIds) =>
        "/profiles?" + string.Join("&", segmentIds.Distinct().Select(id => $"segment={id}"));
}

/// <summary>What the segment widgets say when the figures were computed before any segment now active was.</summary>
internal static class SegmentFigures
{
    /// <summary>
    /// "the 4 segments active now were activated" when the figures list no segment but some are active now (the figures are a stored
    /// snapshot: they would say "no active segment yet" and "every profile is unsegmented", both false); null otherwise.
    /// </summary>
    public static string? StaleBefore(AudienceFigures figures, int activeNow) => figures.Segments.Count == 0 && activeNow > 0 && figures.LiveProfiles > 0
        ? activeNow == 1 ? "the segment active now was activated" : $"the {activeNow} segments active now were activated"
        : null;
}
