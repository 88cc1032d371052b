using Microsoft.AspNetCore.Components;
using MudBlazor;
using ProfileStudio.Components.Shared;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Components.Data.Sources;

public sealed partial class SourcesPage
{
    private IReadOnlyList<SourceOverview>? _sources;
    private string? _search;
    private LiveRefresh? _refresh;

    [Inject] private SourceRegistry Registry { get; set; } = default!;
    [Inject] private LakeNotifications Lake { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private RevealedWriteKeys RevealedKeys { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _refresh = new LiveRefresh(Lake, _ => true, async () =>
        {
            _sources = await Registry.ListAsync();
            await InvokeAsync(StateHasChanged);
        });
        _sources = await Registry.ListAsync();
    }

    private bool Matches(SourceOverview s) =>
        string.IsNullOrWhiteSpace(_search) || s.Source.Name.Contains(_search, StringComparison.OrdinalIgnoreCase);

    private async Task CreateAsync()
    {
        var dialog = await Dialogs.ShowAsync<CreateSourceDialog>("New source", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: SourceResult { Source: { } source, WriteKey: { } key } })
        {
            RevealedKeys.Remember(source.Id, key);
            await SecretDialog.ShowAsync(Dialogs, "Source created",
                $"The write key of \"{source.Name}\". The setup instructions on the next page have it filled in while this page stays open.", key);
            Navigation.NavigateTo($"/data/sources/{source.Id}?tab=setup");
        }
    }

    public void Dispose() => _refresh?.Dispose();
}
