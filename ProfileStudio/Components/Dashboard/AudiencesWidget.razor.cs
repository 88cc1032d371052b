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
    private AudienceFigures? _shown;

    [Parameter, EditorRequired] public AudienceFigures Audiences { get; set; } = default!;

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
        _sizes =
        [
            new Bar
            {
                Name = "Members", X = top.Select(s => (object)s.Name).ToList(), Y = top.Select(s => (object)s.Members).ToList(),
                CustomData = top.Select(s => (object)s.Id).ToList(),
                Marker = new Plotly.Blazor.Traces.BarLib.Marker { Color = ChartLayouts.Purple },
                HoverTemplate = "%{x}: %{y:,} members<extra></extra>",
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
        var names = ids.Select(id => (object)NameOf(id)).ToList();
        _overlap =
        [
            new HeatMap
            {
                Name = "Shared members", X = names, Y = names,
                Z = ids.Select(a => (object)ids.Select(b => (object)(cells.FirstOrDefault(c => c.A == a && c.B == b)?.Shared ?? 0)).ToList()).ToList(),
                ColorScale = "Purples", ReverseScale = true, XGap = 2, YGap = 2,
                HoverTemplate = "%{y} and %{x}: %{z:,} people<extra></extra>",
            },
        ];
    }

    private string NameOf(long id) => Audiences.Segments.FirstOrDefault(s => s.Id == id)?.Name ?? $"segment {id}";

    private void OnSizeClicked(ChartPoint point)
    {
        if (point.X is { } name && Audiences.Segments.FirstOrDefault(s => s.Name == name) is { } segment)
        {
            Navigation.NavigateTo(MembersOf(segment.Id));
        }
    }

    /// <summary>The explorer filtered to the segment's members.</summary>
    public static string MembersOf(long segmentId) => $"/profiles?segment={segmentId}";
}
