using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Unification;
using ProfileStudio.Segments;

namespace ProfileStudio.Components.Segments;

/// <summary>
/// One segment: its sentence, size now and over time, entries and exits in the last 24 hours, members
/// (paged, searchable), export, overlap with the other active segments, and every saved version. Refreshes
/// while an evaluation runs and when profiles change.
/// </summary>
public sealed partial class SegmentPage : IDisposable
{
    private SegmentDetails? _details;
    private SegmentRecentChanges? _recent;
    private IReadOnlyList<SegmentSizePoint> _sizes = [];
    private IReadOnlyList<SegmentOverlapTable.OverlapRow> _overlap = [];
    private IReadOnlyDictionary<long, string> _names = new Dictionary<long, string>();
    private IReadOnlyList<string> _namespaces = [];
    private IReadOnlyList<string> _problems = [];
    private string? _conflict;
    private List<BreadcrumbItem> _crumbs = [];
    private SegmentMembersTable? _members;
    private bool _missing;
    private bool _canEdit;
    private bool _canExport;
    private bool _busy;
    private readonly CancellationTokenSource _stop = new();

    [Parameter] public long Id { get; set; }

    [Inject] private SegmentStore Store { get; set; } = default!;
    [Inject] private SegmentEstimator Estimator { get; set; } = default!;
    [Inject] private ISegmentMembershipSource Memberships { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private IdentityRulesStore IdentityRules { get; set; } = default!;
    [Inject] private UnificationNotifications Unification { get; set; } = default!;
    [Inject] private CurrentActor Actor { get; set; } = default!;
    [Inject] private AuthenticationStateProvider AuthState { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        var user = (await AuthState.GetAuthenticationStateAsync()).User;
        _canEdit = SegmentEditors.CanEdit(user);
        _canExport = SegmentExportEndpoints.ExportRoles.Any(user.IsInRole);
        _namespaces = (await IdentityRules.ListAsync()).Select(n => n.Name).ToList();
        await LoadAsync();
        Unification.ProfilesChanged -= OnProfilesChanged;
        Unification.ProfilesChanged += OnProfilesChanged;
        _ = PollAsync();
    }

    private async Task LoadAsync()
    {
        _details = await Store.GetAsync(Id);
        _missing = _details is null;
        if (_details is null)
        {
            return;
        }
        _names = await Store.NamesAsync();
        _crumbs = [new("Segments", "/profiles/segments"), new(_details.Segment.Name, null, disabled: true)];
        if (_details.Segment.Status == SegmentStatus.Active)
        {
            _recent = await Store.RecentChangesAsync(Id);
            _sizes = await Store.SizeHistoryAsync(Id);
            _overlap = await OverlapAsync();
        }
        else
        {
            // Disabled on this page, or elsewhere since: no members, so nothing of the active segment's figures stays.
            (_recent, _sizes, _overlap) = (null, [], []);
        }
    }

    /// <summary>This segment against up to <see cref="SegmentStore.MaxOverlapSegments"/> − 1 other active segments, the largest overlaps first.</summary>
    private async Task<IReadOnlyList<SegmentOverlapTable.OverlapRow>> OverlapAsync()
    {
        var others = (await Store.ListAsync()).Where(s => s.Status == SegmentStatus.Active && s.Id != Id)
            .OrderByDescending(s => s.MemberCount).Take(SegmentStore.MaxOverlapSegments - 1).ToList();
        if (others.Count == 0)
        {
            return [];
        }
        var cells = await Store.OverlapAsync([Id, .. others.Select(s => s.Id)]);
        return others.Select(s => new SegmentOverlapTable.OverlapRow(s.Id, s.Name, cells.FirstOrDefault(c => c.A == Id && c.B == s.Id)?.Shared ?? 0))
            .OrderByDescending(r => r.Shared).ThenBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    private string VersionSentence(SegmentVersion version) =>
        SegmentRuleJson.TryParse(version.RuleJson, out var rule, out var error)
            ? SegmentSentence.Describe(rule!, id => _names.GetValueOrDefault(id))
            : $"(this version's rule cannot be read: {error})";

    private static string Signed(char sign, long count) => count == 0 ? "0" : sign + count.ToString("N0");

    private static string EvaluationText(SegmentEvaluationProgress p) => p.State switch
    {
        SegmentEvaluationState.Waiting => "about to start",
        SegmentEvaluationState.Running => $"{p.Processed:N0} of {p.Total:N0} profiles",
        SegmentEvaluationState.Failed => $"failed, retrying: {p.Error}",
        SegmentEvaluationState.Done when p.LastEvaluatedAt is { } at => "done " + Core.Formatting.DisplayFormat.TimeUtc(at),
        SegmentEvaluationState.Done => "done",
        _ => "not evaluated",
    };

    private async Task<bool> EnsureEditorAsync()
    {
        if (await SegmentEditors.CanEditAsync(AuthState))
        {
            return true;
        }
        Snackbar.Add(SegmentEditors.Refusal, Severity.Error);
        return false;
    }

    private async Task RunAsync(Func<Core.Auditing.AuditActor, Task<SegmentResult>> change, string done)
    {
        if (!await EnsureEditorAsync())
        {
            return;
        }
        _busy = true;
        try
        {
            var result = await change(await Actor.GetAsync());
            if (result.Conflict is not null)
            {
                // The page keeps showing what the person acted on until they reload.
                (_conflict, _problems) = (result.Problems.Single().Message, []);
                return;
            }
            _problems = result.Problems.Select(p => p.Message).ToList();
            if (result.Succeeded)
            {
                Snackbar.Add(done, Severity.Success);
            }
            await ReloadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private Task EvaluateNowAsync() => RunAsync(a => Store.EvaluateNowAsync(a, Id), "Evaluation started.");

    /// <summary>Reads the segment again, as Reload after a refused change does.</summary>
    private async Task ReloadAsync()
    {
        _conflict = null;
        await LoadAsync();
        await (_members?.ReloadAsync() ?? Task.CompletedTask);
    }

    /// <summary>The revision shown: a status change is refused if someone saved the segment since the page read it.</summary>
    private int? Revision => _details?.Segment.Revision;

    private Task ActivateAsync() => RunAsync(a => Store.ActivateAsync(a, Id, Revision), "Activated: everyone is being evaluated.");

    private async Task DisableAsync()
    {
        // What is disabled is what the person saw when they clicked: a refresh while the confirmation is open must not move it.
        var revision = Revision;
        string alsoEmptied;
        _busy = true; // the figures can take a moment (the index's first load): no second click meanwhile
        try
        {
            alsoEmptied = await ReferrersChangeAsync();
        }
        finally
        {
            _busy = false;
        }
        var confirmed = await Dialogs.ShowMessageBox("Disable", $"\"{_details?.Segment.Name}\" stops being evaluated and its members are removed (their exits are recorded).{alsoEmptied} Activating it again evaluates everyone.",
            yesText: "Disable", cancelText: "Cancel");
        if (confirmed == true)
        {
            await RunAsync(a => Store.DisableAsync(a, Id, revision), "Disabled.");
        }
    }

    /// <summary>
    /// What disabling does to the active segments that refer to this one: they read its members, and a disabled segment has
    /// none, so "is in" it empties and "is not in" it takes in everyone. Said with the exact figures of each (the estimate
    /// with this segment empty); in general terms if they cannot be computed now.
    /// </summary>
    private async Task<string> ReferrersChangeAsync()
    {
        var referrers = (await Store.ReferrersAsync(Id)).Where(s => s.Status == SegmentStatus.Active).ToList();
        if (referrers.Count == 0)
        {
            return "";
        }
        var opening = $" Once it is disabled nobody is in it, and {(referrers.Count == 1 ? "the active segment" : "the active segments")} that {(referrers.Count == 1 ? "refers" : "refer")} to it change with it:";
        // At most a few seconds: a referrer that reads a computed attribute waits for the segment index's first load after a start.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        limit.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            var effects = new List<string>();
            foreach (var referrer in referrers)
            {
                if (!SegmentRuleJson.TryParse(referrer.RuleJson, out var rule, out _))
                {
                    throw new InvalidOperationException("unreadable rule");
                }
                var change = await Estimator.EstimateChangeWithoutAsync(rule!, await Memberships.MembersAsync(referrer.Id, limit.Token), Id, limit.Token);
                var parts = new List<string>();
                if (change.Leaving > 0)
                {
                    parts.Add($"lose {change.Leaving:N0} {(change.Leaving == 1 ? "member" : "members")}");
                }
                if (change.Joining > 0)
                {
                    parts.Add($"gain {change.Joining:N0} {(change.Joining == 1 ? "person" : "people")}");
                }
                effects.Add($"\"{referrer.Name}\" would {(parts.Count == 0 ? "not change" : string.Join(" and ", parts))}");
            }
            return $"{opening} {string.Join("; ", effects)}.";
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            return $"{opening} {string.Join(", ", referrers.Select(r => $"\"{r.Name}\""))} (\"is in\" it leaves everyone, \"is not in\" it takes in everyone).";
        }
    }

    /// <summary>A segment that is not active (a draft, a disabled one) can be deleted, with its versions; the store refuses one that others refer to.</summary>
    private async Task DeleteAsync()
    {
        // What is deleted is what the person saw when they clicked: someone's edit saved since is refused, not deleted unseen.
        var revision = Revision;
        if (await Store.DeleteBlockedAsync(Id) is { } blocked)
        {
            _problems = [blocked]; // said now, rather than after a confirmation that promised the deletion
            return;
        }
        var confirmed = await Dialogs.ShowMessageBox("Delete", $"\"{_details?.Segment.Name}\" and its versions are deleted for good (recorded in the audit log). Its name and audience key become free.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true || !await EnsureEditorAsync())
        {
            return;
        }
        _busy = true;
        try
        {
            var result = await Store.DeleteAsync(await Actor.GetAsync(), Id, revision);
            if (result.Conflict is not null)
            {
                (_conflict, _problems) = (result.Problems.Single().Message, []);
                return;
            }
            _problems = result.Problems.Select(p => p.Message).ToList();
            if (result.Succeeded)
            {
                Snackbar.Add($"Deleted \"{_details?.Segment.Name}\".", Severity.Success);
                Navigation.NavigateTo("/profiles/segments");
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private int _refreshQueued;

    /// <summary>At most one refresh a second however busy unification is: the counts and members are read again.</summary>
    private void OnProfilesChanged(IReadOnlyCollection<long> profiles)
    {
        if (Interlocked.Exchange(ref _refreshQueued, 1) == 1)
        {
            return;
        }
        _ = InvokeAsync(async () =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
                Volatile.Write(ref _refreshQueued, 0);
                await RefreshAsync();
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
                // The page closed while waiting.
            }
        });
    }

    private async Task RefreshAsync()
    {
        // While a refused change is shown, the page keeps showing what the person acted on (the message says to reload).
        if (_stop.IsCancellationRequested || _conflict is not null)
        {
            return;
        }
        await LoadAsync();
        await (_members?.ReloadAsync() ?? Task.CompletedTask);
        StateHasChanged();
    }

    /// <summary>Every 2 seconds while a full evaluation waits or runs (its bar moves, the members fill in).</summary>
    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (_details?.Progress.State is SegmentEvaluationState.Waiting or SegmentEvaluationState.Running)
                {
                    await InvokeAsync(RefreshAsync);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        Unification.ProfilesChanged -= OnProfilesChanged;
        _stop.Cancel();
        _stop.Dispose();
    }
}
