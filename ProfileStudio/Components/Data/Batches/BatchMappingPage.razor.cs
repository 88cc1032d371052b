using Microsoft.AspNetCore.Components;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Components.Data.Batches;

public sealed partial class BatchMappingPage
{
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
    private IReadOnlyList<string> _namespaces = [];
    private KnownAttributeKeys _known = KnownAttributeKeys.None;

    [Parameter] public long Id { get; set; }

    [Inject] private FileBatches Batches { get; set; } = default!;
    [Inject] private FileMappingSuggester Suggester { get; set; } = default!;
    [Inject] private AttributeKeyCatalog Keys { get; set; } = default!;
    [Inject] private IdentityRulesStore Rules { get; set; } = default!;
    [Inject] private CurrentActor Actor { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _batch = await Batches.GetAsync(Id);
        _crumbs = [new("Files", "/data/batches"), new(_batch?.FileName ?? $"#{Id}", null, disabled: true)];
        if (_batch is not { Status: FileBatchStatus.AwaitingMapping })
        {
            return; // a processed file's upload is deleted: there is nothing to preview, and nothing to map
        }
        _preview = await Batches.PreviewAsync(Id, 5);
        if (_preview is null)
        {
            return;
        }
        _kind = _batch.Kind;
        _saved = await Batches.SavedMappingsAsync(_batch.SourceId);
        _namespaces = (await Rules.LoadAsync()).Namespaces.Select(n => n.Name).ToList();
        _known = await Keys.GetAsync();
        await Apply(await Suggester.SuggestAsync(Id, _kind) ?? FileMapping.Suggest(_kind, _preview.Headers));
    }

    private sealed record ColumnLanding(string Text, bool Existing);

    /// <summary>Where the column's values end up: an identity, an attribute profiles already have (and how many), or a new one.</summary>
    private ColumnLanding? Landing(ColumnRow row) => row.Target switch
    {
        ColumnTarget.Identity when !string.IsNullOrWhiteSpace(row.Name) => new($"→ identity {row.Name}", true),
        ColumnTarget.Attribute when !string.IsNullOrWhiteSpace(row.Name) => _known.Profiles(row.Name) is { } profiles
            ? new($"→ {row.Name.Trim()} (existing, {profiles:N0} {(profiles == 1 ? "profile" : "profiles")})", true)
            : new($"→ {row.Name.Trim()} (new attribute)", false),
        _ => null,
    };

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

    private async Task OnKindChanged(FileKind kind) => await Apply(await Suggester.SuggestAsync(Id, kind) ?? FileMapping.Suggest(kind, _preview!.Headers));

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
        var saved = await Batches.SaveMappingAsync(await Actor.GetAsync(), _batch!.SourceId, _saveName!, Current());
        _saved = await Batches.SavedMappingsAsync(_batch.SourceId);
        Snackbar.Add($"Mapping saved as \"{saved.Name}\"; it can be applied to the next file, or named in the upload API (mapping={saved.Name}).", Severity.Success);
    }

    private async Task StartAsync()
    {
        var result = await Batches.StartAsync(await Actor.GetAsync(), Id, Current());
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
