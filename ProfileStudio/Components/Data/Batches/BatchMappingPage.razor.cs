using Microsoft.AspNetCore.Components;
using MudBlazor;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;

namespace ProfileStudio.Components.Data.Batches;

public sealed partial class BatchMappingPage
{
    private static readonly string[] IdentityNamespaces = ["user_id", "anonymous_id", "email", "phone", "crm_id", "loyalty_id"];

    private FileBatch? _batch;
    private CsvFiles.Preview? _preview;
    private List<ColumnRow> _columns = [];
    private IReadOnlyList<SavedFileMapping> _saved = [];
    private IReadOnlyList<IncomingMessage> _previewMessages = [];
    private IReadOnlyList<string> _problems = [];
    private FileKind _kind;
    private string _nullToken = "NULL";
    private string? _eventName;
    private string? _saveName;
    private List<BreadcrumbItem> _crumbs = [];

    [Parameter] public long Id { get; set; }

    [Inject] private FileBatches Batches { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _batch = await Batches.GetAsync(Id);
        _preview = await Batches.PreviewAsync(Id, 5);
        _crumbs = [new("Files", "/data/batches"), new(_batch?.FileName ?? $"#{Id}", null, disabled: true)];
        if (_batch is null || _preview is null)
        {
            return;
        }
        _kind = _batch.Kind;
        _saved = await Batches.SavedMappingsAsync(_batch.SourceId);
        await Apply(FileMapping.Suggest(_kind, _preview.Headers));
    }

    private async Task Apply(FileMapping mapping)
    {
        _kind = mapping.Kind;
        _nullToken = mapping.NullToken;
        _eventName = mapping.EventName;
        _columns = _preview!.Headers.Select((header, i) =>
        {
            var column = mapping.Columns.FirstOrDefault(c => c.Column == header) ?? new ColumnMapping(header, ColumnTarget.Ignore);
            return new ColumnRow
            {
                Column = header,
                Samples = _preview.Rows.Select(r => r.Count > i ? r[i] ?? "" : "").Where(v => v.Length > 0).Take(3).ToList(),
                Target = column.Target,
                Name = column.Name,
                Type = column.Type,
            };
        }).ToList();
        await RefreshPreview();
    }

    private FileMapping Current() => new(
        _kind,
        _columns.Select(c => new ColumnMapping(c.Column, c.Target, string.IsNullOrWhiteSpace(c.Name) ? null : c.Name.Trim(), c.Type)).ToList(),
        string.IsNullOrWhiteSpace(_nullToken) ? "NULL" : _nullToken.Trim(),
        string.IsNullOrWhiteSpace(_eventName) ? null : _eventName.Trim());

    private async Task RefreshPreview()
    {
        var mapping = Current();
        _problems = mapping.Problems(_preview!.Headers);
        _previewMessages = _problems.Count > 0 ? [] : await Batches.PreviewMessagesAsync(Id, mapping, 5);
    }

    private Task OnKindChanged(FileKind kind) => Apply(FileMapping.Suggest(kind, _preview!.Headers));

    private async Task ApplySavedAsync(int? id)
    {
        if (_saved.FirstOrDefault(m => m.Id == id) is { } saved)
        {
            await Apply(FileBatches.ReadMapping(saved.MappingJson));
            Snackbar.Add($"Applied \"{saved.Name}\".", Severity.Info);
        }
    }

    private async Task SaveAsync()
    {
        var saved = await Batches.SaveMappingAsync(_batch!.SourceId, _saveName!, Current());
        _saved = await Batches.SavedMappingsAsync(_batch.SourceId);
        Snackbar.Add($"Mapping saved as \"{saved.Name}\"; it can be applied to the next file, or named in the upload API (mapping={saved.Name}).", Severity.Success);
    }

    private async Task StartAsync()
    {
        var result = await Batches.StartAsync(Id, Current());
        if (!result.Succeeded)
        {
            _problems = result.Problems ?? [];
            return;
        }
        Navigation.NavigateTo($"/data/batches/{Id}");
    }

    private static IEnumerable<ColumnTarget> TargetsFor(FileKind kind) => kind == FileKind.Events
        ? [ColumnTarget.Ignore, ColumnTarget.Identity, ColumnTarget.EventName, ColumnTarget.EventTimestamp, ColumnTarget.EventProperty]
        : [ColumnTarget.Ignore, ColumnTarget.Identity, ColumnTarget.Attribute];

    private static string TargetText(ColumnTarget target) => target switch
    {
        ColumnTarget.Ignore => "ignore",
        ColumnTarget.Identity => "identity",
        ColumnTarget.Attribute => "profile attribute",
        ColumnTarget.EventName => "event name",
        ColumnTarget.EventTimestamp => "event time",
        _ => "event property",
    };

    private sealed class ColumnRow
    {
        public string Column { get; init; } = "";
        public IReadOnlyList<string> Samples { get; init; } = [];
        public ColumnTarget Target { get; set; }
        public string? Name { get; set; }
        public AttributeType Type { get; set; }
    }
}
