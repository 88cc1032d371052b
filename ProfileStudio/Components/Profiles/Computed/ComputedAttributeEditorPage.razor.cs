using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.ComputedAttributes.Expressions;
using ProfileStudio.Core.Schema;

namespace ProfileStudio.Components.Profiles.Computed;

/// <summary>
/// Creates, edits, previews, activates and disables one computed attribute. Problems from the Core
/// validator show as the fields change; after activation the backfill's progress updates every second.
/// Changes carry the revision the form was loaded from (<see cref="ComputedAttributeDefinition.Revision"/>): when someone
/// saved the definition since, the store refuses and the page says so, keeping the edits on screen until the person reloads.
/// </summary>
public sealed partial class ComputedAttributeEditorPage : IDisposable
{
    private ComputedAttributeForm _form = new();
    private ComputedAttributeDefinition? _definition;

    /// <summary>
    /// The revision the form was loaded from, or this page last saved; apart from <see cref="_definition"/>, which the backfill
    /// poll reads again (with whatever someone else saved meanwhile).
    /// </summary>
    private int? _revision;
    private string? _conflict;
    private BackfillProgress? _progress;
    private IReadOnlyList<string> _problems = [];
    private IReadOnlyList<string> _nameWarnings = [];
    private ExpressionValidation? _formula;

    /// <summary>
    /// The problems to list under the form: the formula editor already shows its formula's own (under the formula, as it is
    /// typed), so they are not listed a second time.
    /// </summary>
    private List<string> ProblemsBesideTheFormula
    {
        get
        {
            var shown = _form.Function == ComputedFunction.Expression && _formula is { IsValid: false } invalid && !string.IsNullOrWhiteSpace(_form.Formula)
                ? invalid.Problems.Select(p => p.ToString()).ToHashSet(StringComparer.Ordinal)
                : [];
            return _problems.Where(p => !shown.Contains(p)).ToList();
        }
    }
    private ComputedDistribution? _preview;
    private IReadOnlyList<(long ProfileId, string Error)> _previewErrors = [];
    private string? _previewNote;
    private List<BreadcrumbItem> _crumbs = [];
    private bool _canEdit;
    private bool _roleKnown;
    private bool _busy;
    private bool _missing;
    private bool _touched;
    private bool _polling;
    private int _pickerKey;
    private DateTime _now;
    private readonly CancellationTokenSource _stop = new();

    [Parameter] public int? Id { get; set; }

    [Inject] private ComputedAttributeStore Store { get; set; } = default!;
    [Inject] private ComputedAttributeReader Reader { get; set; } = default!;
    [Inject] private ExpressionAttributes Expressions { get; set; } = default!;
    [Inject] private CurrentActor Actor { get; set; } = default!;
    [Inject] private AuthenticationStateProvider AuthState { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;

    private IReadOnlyCollection<string> EventKeys => _form.EventNames.Select(n => "track:" + n).ToList();

    protected override async Task OnParametersSetAsync()
    {
        _canEdit = await ComputedEditors.CanEditAsync(AuthState);
        _roleKnown = true;
        _now = Time.GetUtcNow().UtcDateTime;
        if (Id is { } id)
        {
            await LoadAsync(id);
        }
        _crumbs = Crumbs();
        _ = PollAsync();
    }

    private List<BreadcrumbItem> Crumbs() => [new("Computed attributes", "/profiles/computed-attributes"), new(_definition?.Name ?? "New", null, disabled: true)];

    /// <summary>Shows the definition as stored, unsaved edits dropped.</summary>
    private async Task LoadAsync(int id)
    {
        _definition = await Store.GetAsync(id);
        _missing = _definition is null;
        if (_definition is not null)
        {
            _form = ComputedAttributeForm.From(_definition);
            _revision = _definition.Revision;
            _progress = await Store.BackfillAsync(_definition.Id);
            await CheckFormulaAsync();
            _nameWarnings = await Store.NameWarningsAsync(_form.Name);
        }
        (_touched, _conflict, _problems) = (false, null, []);
    }

    private async Task ReloadAsync()
    {
        if (_definition is { } d)
        {
            await LoadAsync(d.Id);
            _crumbs = Crumbs();
        }
    }

    /// <summary>Shows a change's outcome; true when it was refused because someone saved the definition after this page loaded it.</summary>
    private bool Stale(ComputedAttributeResult result)
    {
        if (result.Conflict is not null)
        {
            // Said once, beside Reload; the edits stay on screen.
            (_conflict, _problems) = (result.Problems.Single(), []);
            return true;
        }
        _problems = result.Problems;
        if (result is { Succeeded: true, Definition: { } saved })
        {
            _revision = saved.Revision;
        }
        return false;
    }

    private static string FunctionLabel(ComputedFunction f) => f switch
    {
        ComputedFunction.Count => "Count — how many events",
        ComputedFunction.Sum => "Sum of a number property",
        ComputedFunction.Avg => "Average of a number property",
        ComputedFunction.Min => "Minimum of a number property",
        ComputedFunction.Max => "Maximum of a number property",
        ComputedFunction.MostFrequent => "Most frequent value",
        ComputedFunction.CountDistinct => "Count of distinct values",
        ComputedFunction.Distinct => "Distinct values (a list)",
        ComputedFunction.First => "First value",
        ComputedFunction.Last => "Last value",
        _ => "Formula over other attributes",
    };

    /// <summary>Applies a field change and re-checks the definition with the Core validator.</summary>
    private async Task ChangedAsync(Action change)
    {
        change();
        _touched = true;
        await CheckFormulaAsync();
        _problems = await Store.ValidateAsync(_form.ToDraft(), _definition?.Id);
        _nameWarnings = await Store.NameWarningsAsync(_form.Name);
    }

    private async Task CheckFormulaAsync() =>
        _formula = _form.IsExpression ? await Expressions.ValidateAsync(_form.Formula, _form.Name) : null;

    private async Task AddEventAsync(EventSummary? e)
    {
        if (e is not null && !_form.EventNames.Contains(e.Name))
        {
            await ChangedAsync(() => _form.EventNames.Add(e.Name));
        }
        _pickerKey++; // a fresh, empty picker for the next event
    }

    private async Task PreviewAsync()
    {
        _busy = true;
        try
        {
            if (_form.IsExpression)
            {
                var preview = await Expressions.PreviewAsync(_form.Formula, _definition?.Name ?? _form.Name);
                (_preview, _previewErrors, _previewNote) = preview.Problems.Count > 0
                    ? (null, [], null)
                    : (preview.Distribution, preview.Errors, $"the most recently active profiles, up to {ExpressionAttributes.PreviewProfiles:N0}");
                _problems = preview.Problems.Select(p => p.ToString()).ToList();
            }
            else
            {
                var draft = _form.ToDraft();
                _problems = await Store.ValidateAsync(draft, _definition?.Id);
                // The name is needed to save, not to see what the definition gives: a problem with it alone still previews.
                if (ComputedAttributeValidator.ValidateComputation(draft).Count == 0)
                {
                    (_preview, _previewErrors, _previewNote) = (await Reader.PreviewAsync(draft), [], $"the profiles with the most recent matching events, up to {ComputedAttributeReader.PreviewProfiles:N0}");
                }
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task<bool> EnsureEditorAsync()
    {
        if (await ComputedEditors.CanEditAsync(AuthState))
        {
            return true;
        }
        Snackbar.Add(ComputedEditors.Refusal, Severity.Error);
        return false;
    }

    private async Task<ComputedAttributeDefinition?> SaveCoreAsync()
    {
        var result = await Store.SaveAsync(await Actor.GetAsync(), _definition?.Id, _form.ToDraft(), _revision);
        if (Stale(result) || !result.Succeeded)
        {
            return null;
        }
        _touched = false;
        return result.Definition;
    }

    private async Task SaveAsync()
    {
        if (!await EnsureEditorAsync())
        {
            return;
        }
        _busy = true;
        try
        {
            var version = _definition?.Version;
            if (await SaveCoreAsync() is { } saved)
            {
                Snackbar.Add(saved.Status == ComputedStatus.Active && version is { } before && saved.Version != before
                    ? $"Saved \"{saved.Name}\": what it computes changed, so it is being computed again for every profile."
                    : $"Saved \"{saved.Name}\".", Severity.Success);
                await ShowAsync(saved);
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task ActivateAsync()
    {
        if (!await EnsureEditorAsync())
        {
            return;
        }
        _busy = true;
        try
        {
            var saved = _definition is null || _touched ? await SaveCoreAsync() : _definition;
            if (saved is null)
            {
                return;
            }
            var result = await Store.ActivateAsync(await Actor.GetAsync(), saved.Id, _revision);
            if (Stale(result))
            {
                return;
            }
            if (result.Succeeded)
            {
                Snackbar.Add($"\"{saved.Name}\" is active: existing profiles are being computed.", Severity.Success);
            }
            await ShowAsync(result.Definition ?? saved);
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task DisableAsync()
    {
        if (!await EnsureEditorAsync() || _definition is null)
        {
            return;
        }
        var confirmed = await Dialogs.ShowMessageBox("Disable", $"\"{_definition.Name}\" stops being computed and its values are removed from profiles. Activating it again recomputes them.",
            yesText: "Disable", cancelText: "Cancel");
        if (confirmed == true)
        {
            var result = await Store.DisableAsync(await Actor.GetAsync(), _definition.Id, _revision);
            if (!Stale(result))
            {
                await ShowAsync(result.Definition ?? _definition);
            }
        }
    }

    private async Task DeleteAsync()
    {
        if (!await EnsureEditorAsync() || _definition is null)
        {
            return;
        }
        var confirmed = await Dialogs.ShowMessageBox("Delete", $"Delete \"{_definition.Name}\"? This cannot be undone.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed == true)
        {
            // Someone's edit saved since this page loaded is refused, not deleted unseen.
            var result = await Store.DeleteAsync(await Actor.GetAsync(), _definition.Id, _revision);
            if (Stale(result))
            {
                return;
            }
            if (result.Succeeded)
            {
                Snackbar.Add($"Deleted \"{_definition.Name}\".", Severity.Success);
                Navigation.NavigateTo("/profiles/computed-attributes");
            }
        }
    }

    private async Task ShowAsync(ComputedAttributeDefinition saved)
    {
        if (_definition?.Id != saved.Id)
        {
            Navigation.NavigateTo($"/profiles/computed-attributes/{saved.Id}");
            return;
        }
        _definition = await Store.GetAsync(saved.Id);
        _progress = await Store.BackfillAsync(saved.Id);
        _now = Time.GetUtcNow().UtcDateTime;
    }

    /// <summary>Updates the backfill bar every second while it runs, so it moves without a reload.</summary>
    private async Task PollAsync()
    {
        if (_polling || _stop.IsCancellationRequested)
        {
            return;
        }
        _polling = true;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (_definition is { Status: ComputedStatus.Active } d && _progress is not { State: BackfillState.Done })
                {
                    await InvokeAsync(async () =>
                    {
                        _progress = await Store.BackfillAsync(d.Id);
                        if (_progress?.State == BackfillState.Done)
                        {
                            _definition = await Store.GetAsync(d.Id);
                        }
                        StateHasChanged();
                    });
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
