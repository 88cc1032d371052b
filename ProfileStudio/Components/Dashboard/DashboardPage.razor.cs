using Microsoft.AspNetCore.Components;
using ProfileStudio.Core.Dashboard;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.MergePolicies;

namespace ProfileStudio.Components.Dashboard;

/// <summary>
/// The home page: the state of the profile base, read from the stored snapshot and history (never by
/// scanning profiles), for the chosen merge policy and trend range; reloads when a refresh stores new figures.
/// </summary>
public sealed partial class DashboardPage
{
    private DashboardView? _view;
    private IReadOnlyList<MergePolicy> _policies = [];
    private int _policyId;
    private int _range = 90;
    private bool _refreshing;
    private DateTime _today;
    private PipelineLagSnapshot _lag = PipelineLagSnapshot.Empty;

    [Inject] private DashboardSnapshots Snapshots { get; set; } = default!;
    [Inject] private MergePolicyStore Policies { get; set; } = default!;
    [Inject] private PipelineLag Lag { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private Core.ComputedAttributes.ComputedAttributeStore Computed { get; set; } = default!;

    [Inject] private Core.Segments.SegmentStore Segments { get; set; } = default!;

    /// <summary>Computed attributes active now: the figures may have been computed before them.</summary>
    private int _activeComputed;

    /// <summary>Segments active now: the figures may have been computed before them.</summary>
    private int _activeSegments;

    protected override async Task OnInitializedAsync()
    {
        _policies = await Policies.ListAsync();
        _policyId = (_policies.FirstOrDefault(p => p.IsDefault) ?? _policies.FirstOrDefault())?.Id ?? 0;
        Snapshots.Refreshed += OnRefreshed;
        await LoadAsync();
    }

    private DashboardFreshness? Freshness => _view is { } view
        ? new DashboardFreshness(view.ComputedAt, view.Figures.Audiences.LiveProfiles, view.Profiles, view.Stitching != IdentityStitching.None, _refreshing, EventCallback.Factory.Create(this, RefreshAsync))
        : null;

    private IdentityStitching Stitching => _policies.FirstOrDefault(p => p.Id == _policyId)?.Stitching ?? IdentityStitching.Graph;

    /// <summary>
    /// The chosen policy when it counts every identifier as a profile. The explorer has no per-identifier list, so its
    /// links carry the policy and it says that it lists stitched people; under a stitching policy both count alike.
    /// </summary>
    private int? UnstitchedPolicyId => _view?.Stitching == IdentityStitching.None ? _policyId : null;

    private async Task LoadAsync()
    {
        _today = Time.GetUtcNow().UtcDateTime.Date;
        _lag = Lag.Current;
        _view = await Snapshots.ViewAsync(Stitching, _range);
        _activeComputed = (await Computed.ListAsync()).Count(d => d.Status == Core.ComputedAttributes.ComputedStatus.Active);
        _activeSegments = (await Segments.ListAsync()).Count(s => s.Status == Core.Segments.SegmentStatus.Active);
    }

    private async Task OnPolicyChangedAsync(int id)
    {
        _policyId = id;
        await LoadAsync();
    }

    private async Task OnRangeChangedAsync(int days)
    {
        _range = days;
        await LoadAsync();
    }

    private async Task RefreshAsync()
    {
        _refreshing = true;
        try
        {
            await Snapshots.RefreshOrJoinAsync();
            await LoadAsync();
        }
        finally
        {
            _refreshing = false;
        }
    }

    private void OnRefreshed() => _ = InvokeAsync(async () =>
    {
        await LoadAsync();
        StateHasChanged();
    });

    public void Dispose() => Snapshots.Refreshed -= OnRefreshed;
}
