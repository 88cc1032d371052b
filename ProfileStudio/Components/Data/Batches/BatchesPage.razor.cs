using Microsoft.AspNetCore.Components;
using MudBlazor;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Components.Data.Batches;

public sealed partial class BatchesPage
{
    private IReadOnlyList<FileBatch>? _batches;
    private IReadOnlyList<SourceOverview> _sources = [];
    private string? _search;

    [Inject] private FileBatches Batches { get; set; } = default!;
    [Inject] private SourceRegistry Registry { get; set; } = default!;
    [Inject] private FileBatchNotifications Notifications { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        Notifications.Changed += OnChanged; // before loading, so a notice during the load is not missed
        _sources = await Registry.ListAsync();
        _batches = await Batches.ListAsync();
    }

    private void OnChanged(long batchId) => _ = InvokeAsync(async () =>
    {
        _batches = await Batches.ListAsync();
        StateHasChanged();
    });

    private bool Matches(FileBatch b) => string.IsNullOrWhiteSpace(_search) || b.FileName.Contains(_search, StringComparison.OrdinalIgnoreCase);

    private string SourceName(int id) => _sources.FirstOrDefault(s => s.Source.Id == id)?.Source.Name ?? $"#{id}";

    private async Task UploadAsync()
    {
        var dialog = await Dialogs.ShowAsync<UploadFileDialog>("Upload a file", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: FileBatch batch })
        {
            Navigation.NavigateTo(BatchLinks.Of(batch));
        }
    }

    public void Dispose() => Notifications.Changed -= OnChanged;
}
