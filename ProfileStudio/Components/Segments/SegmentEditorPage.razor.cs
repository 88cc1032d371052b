using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Segments.Builder;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Components.Segments;

/// <summary>
/// Creates or edits a segment: name, evaluation, the rule builder with inline problems, and the live estimate
/// (for an active segment: who would join and leave) before anything is saved. Saves carry the revision loaded
/// (<see cref="Segment.Revision"/>): when someone saved the segment since, the store refuses and the page says so,
/// keeping the edits on screen until the person reloads.
/// </summary>
public sealed partial class SegmentEditorPage
{
    /// <summary>The segment as loaded, or as this page last saved it (null: a new one).</summary>
    private Segment? _segment;
    private string? _conflict;
    private bool _missing;
    private bool _canEdit;
    private bool _roleKnown; // _canEdit is checked, not just false before the check
    private bool _busy;
    private bool _touched;
    private string? _name;
    private string? _description;
    private SegmentEvaluationMode _evaluation = SegmentEvaluationMode.Streaming;
    private int _batchHours = 24;
    private SegmentRule _rule = SegmentRuleEdits.NewRule();
    private IReadOnlyList<SegmentRuleProblem> _problems = [];
    private IReadOnlyList<string> _saveProblems = [];
    private bool _ruleValid;
    private IReadOnlyList<SegmentChoice> _otherSegments = [];
    private IReadOnlyDictionary<long, SegmentRule> _otherRules = new Dictionary<long, SegmentRule>();
    private IReadOnlyList<string> _namespaces = [];
    private List<BreadcrumbItem> _crumbs = [];

    [Parameter] public long? Id { get; set; }

    [Inject] private SegmentStore Store { get; set; } = default!;
    [Inject] private ISegmentMembershipSource Memberships { get; set; } = default!;
    [Inject] private IdentityRulesStore IdentityRules { get; set; } = default!;
    [Inject] private CurrentActor Actor { get; set; } = default!;
    [Inject] private AuthenticationStateProvider AuthState { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>For an active segment, its members, so the estimate says who would join and leave; null otherwise.</summary>
    private Func<CancellationToken, Task<IReadOnlySet<long>>>? CurrentMembers =>
        _segment is { Status: SegmentStatus.Active } s ? ct => MemberIdsAsync(s.Id, ct) : null;

    private Task<IReadOnlySet<long>> MemberIdsAsync(long segmentId, CancellationToken ct) => Memberships.MembersAsync(segmentId, ct);

    protected override async Task OnParametersSetAsync()
    {
        _canEdit = await SegmentEditors.CanEditAsync(AuthState);
        _roleKnown = true;
        _namespaces = (await IdentityRules.ListAsync()).Select(n => n.Name).ToList();
        await LoadAsync();
        if (_keep is { } kept)
        {
            (_problems, _saveProblems, _keep) = (kept.Rule, kept.Save, null);
        }
    }

    /// <summary>What a refused activation of a just-created draft said, kept across the move to the draft's address.</summary>
    private (IReadOnlyList<SegmentRuleProblem> Rule, IReadOnlyList<string> Save)? _keep;

    /// <summary>Reads the segment (and the other segments a rule may refer to) and shows it as stored, unsaved edits dropped.</summary>
    private async Task LoadAsync()
    {
        var self = Id ?? _segment?.Id; // a new segment this page saved is read again too
        // With their status: the builder says which choices nobody is in (drafts, disabled ones).
        var others = (await Store.ListAsync()).Where(s => s.Id != self).ToList();
        _otherSegments = others.Select(s => new SegmentChoice(s.Id, s.Name, s.Status)).ToList();
        // Their rules, so a reference that closes a cycle is marked as it is picked, not only when saving.
        _otherRules = others.Select(s => (s.Id, Rule: SegmentRuleJson.TryParse(s.RuleJson, out var r, out _) ? r : null))
            .Where(o => o.Rule is not null).ToDictionary(o => o.Id, o => o.Rule!);
        if (self is { } id)
        {
            var details = await Store.GetAsync(id);
            _missing = details is null;
            if (details is not null)
            {
                _segment = details.Segment;
                (_name, _description, _evaluation, _batchHours) = (_segment.Name, _segment.Description, _segment.Evaluation, _segment.BatchIntervalHours);
                _rule = details.Rule ?? SegmentRuleEdits.NewRule();
            }
        }
        (_touched, _conflict, _saveProblems) = (false, null, []);
        Validate();
        _crumbs = [new("Segments", "/profiles/segments")];
        if (_segment is not null)
        {
            _crumbs.Add(new(_segment.Name, $"/profiles/segments/{_segment.Id}"));
        }
        _crumbs.Add(new(_segment is null ? "New" : "Edit", null, disabled: true));
    }

    private void OnRuleChanged(SegmentRule rule)
    {
        _rule = rule;
        _touched = true;
        Validate();
    }

    private void Validate()
    {
        _problems = SegmentRuleValidator.Validate(_rule);
        // Only a saved segment can close a cycle (nothing refers to a new one yet); no estimate for a rule that cannot be saved.
        if (_segment is { } segment && SegmentCycles.Check(segment.Id, _rule, _otherRules, id => _otherSegments.FirstOrDefault(o => o.Id == id)?.Name ?? (id == segment.Id ? segment.Name : null)) is { } cycle)
        {
            _problems = [.. _problems, cycle];
        }
        _ruleValid = _problems.Count == 0;
    }

    private SegmentDraft Draft() => new(_name?.Trim() ?? "", string.IsNullOrWhiteSpace(_description) ? null : _description.Trim(),
        SegmentRuleJson.Serialize(_rule), _evaluation, _batchHours);

    private async Task<bool> EnsureEditorAsync()
    {
        if (await SegmentEditors.CanEditAsync(AuthState))
        {
            return true;
        }
        Snackbar.Add(SegmentEditors.Refusal, Severity.Error);
        return false;
    }

    /// <summary>Saves the form; the store's problems about a node join the validator's inline, the others show above.</summary>
    private async Task<Segment?> SaveCoreAsync()
    {
        var actor = await Actor.GetAsync();
        var result = _segment is null ? await Store.CreateAsync(actor, Draft()) : await Store.UpdateAsync(actor, _segment.Id, Draft(), _segment.Revision);
        Show(result);
        if (result.Succeeded)
        {
            // Its revision is the one the next change carries (activating, should the page stay).
            (_segment, _touched) = (result.Segment, false);
        }
        return result.Succeeded ? result.Segment : null;
    }

    private void Show(SegmentResult result)
    {
        // Said once, beside Reload; the edits stay on screen.
        _conflict = result.Conflict is null ? null : result.Problems.Single().Message;
        _saveProblems = result.Conflict is not null ? [] : result.Problems.Where(p => p.NodeId.Length == 0).Select(p => p.Message).ToList();
        _problems = [.. SegmentRuleValidator.Validate(_rule), .. result.Problems.Where(p => p.NodeId.Length > 0)];
        _problems = _problems.Distinct().ToList();
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
            if (await SaveCoreAsync() is { } saved)
            {
                Snackbar.Add($"Saved \"{saved.Name}\".", Severity.Success);
                Navigation.NavigateTo($"/profiles/segments/{saved.Id}");
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
            var created = _segment is null;
            var saved = _segment is null || _touched ? await SaveCoreAsync() : _segment;
            if (saved is null)
            {
                return;
            }
            var result = await Store.ActivateAsync(await Actor.GetAsync(), saved.Id, saved.Revision);
            Show(result);
            if (result.Succeeded)
            {
                Snackbar.Add($"\"{saved.Name}\" is active: its members are being evaluated.", Severity.Success);
                Navigation.NavigateTo($"/profiles/segments/{saved.Id}");
            }
            else if (created)
            {
                // Saved as a draft before activation was refused (a reference to a segment nobody is in): the page becomes the
                // draft's editor (its address, breadcrumbs, a reload finds it), still saying why it is not active.
                Snackbar.Add($"Saved \"{saved.Name}\" as a draft; it is not active.", Severity.Info);
                _keep = (_problems, _saveProblems);
                Navigation.NavigateTo($"/profiles/segments/{saved.Id}/edit", replace: true);
            }
        }
        finally
        {
            _busy = false;
        }
    }
}
