using Microsoft.AspNetCore.Components;
using MudBlazor;
using ProfileStudio.Components.Shared;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Components.Data.Sources;

public sealed partial class SourceDetailPage
{
    private static readonly string[] Tabs = ["overview", "setup", "debugger", "settings"];

    private SourceOverview? _source;
    private IReadOnlyList<(DateTime Hour, SourceCounts Counts)> _hourly = [];
    private bool _notFound;
    private int _tab;
    private LiveRefresh? _refresh;
    private List<BreadcrumbItem> _crumbs = [];

    [Parameter] public int Id { get; set; }
    [SupplyParameterFromQuery(Name = "tab")] public string? Tab { get; set; }

    [Inject] private SourceRegistry Registry { get; set; } = default!;
    [Inject] private LakeNotifications Lake { get; set; } = default!;
    [Inject] private RevealedWriteKeys RevealedKeys { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _tab = Math.Max(0, Array.IndexOf(Tabs, Tab?.ToLowerInvariant()));
        _refresh ??= new LiveRefresh(Lake, ids => ids.Contains(Id), async () =>
        {
            await ReloadAsync();
            await InvokeAsync(StateHasChanged);
        }, TimeSpan.FromSeconds(2));
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        _source = await Registry.GetAsync(Id);
        _notFound = _source is null;
        _hourly = _source is null ? [] : await Registry.HourlyAsync(Id, 24);
        _crumbs =
        [
            new("Sources", "/data/sources"),
            new(_source?.Source.Name ?? $"#{Id}", null, disabled: true),
        ];
    }

    public void Dispose() => _refresh?.Dispose();
}
