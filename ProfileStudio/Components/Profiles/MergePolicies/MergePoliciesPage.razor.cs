using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Components.Profiles.MergePolicies;

public sealed partial class MergePoliciesPage
{
    private IReadOnlyList<MergePolicy>? _policies;
    private IReadOnlyDictionary<int, string> _sources = new Dictionary<int, string>();
    private bool _canEdit;

    [Inject] private MergePolicyStore Policies { get; set; } = default!;
    [Inject] private SourceRegistry Sources { get; set; } = default!;
    [Inject] private CurrentActor Actor { get; set; } = default!;
    [Inject] private AuthenticationStateProvider AuthState { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _canEdit = await MergePolicyEditors.CanEditAsync(AuthState);
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        _sources = await Sources.NamesAsync();
        _policies = await Policies.ListAsync();
    }

    /// <summary>Re-checks the role on the server: hidden buttons are not the only guard.</summary>
    private async Task<bool> EnsureEditorAsync()
    {
        if (await MergePolicyEditors.CanEditAsync(AuthState))
        {
            return true;
        }
        Snackbar.Add(MergePolicyEditors.Refusal, Severity.Error);
        return false;
    }

    private async Task EditAsync(MergePolicy? policy)
    {
        if (!await EnsureEditorAsync())
        {
            return;
        }
        var parameters = new DialogParameters<MergePolicyDialog> { { d => d.Existing, policy } };
        var options = new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true };
        var dialog = await Dialogs.ShowAsync<MergePolicyDialog>(policy is null ? "New merge policy" : $"Edit {policy.Name}", parameters, options);
        if (await dialog.Result is { Canceled: false, Data: MergePolicy saved })
        {
            Snackbar.Add($"Saved \"{saved.Name}\".", Severity.Success);
            await ReloadAsync();
        }
    }

    private async Task MakeDefaultAsync(MergePolicy policy)
    {
        if (!await EnsureEditorAsync())
        {
            return;
        }
        var confirmed = await Dialogs.ShowMessageBox("Make default",
            $"Profiles will be read through \"{policy.Name}\" wherever no other policy is chosen: the explorer, the Profile API and segments.",
            yesText: "Make default", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }
        await ReportAsync(await Policies.MakeDefaultAsync(await Actor.GetAsync(), policy.Id), $"\"{policy.Name}\" is now the default policy.");
    }

    private async Task DeleteAsync(MergePolicy policy)
    {
        if (!await EnsureEditorAsync())
        {
            return;
        }
        var confirmed = await Dialogs.ShowMessageBox("Delete merge policy",
            $"Delete \"{policy.Name}\"? No data is lost: every source's values stay, and profiles can be read through the other policies.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }
        await ReportAsync(await Policies.DeleteAsync(await Actor.GetAsync(), policy.Id), $"Deleted \"{policy.Name}\".");
    }

    private async Task ReportAsync(string? problem, string success)
    {
        Snackbar.Add(problem ?? success, problem is null ? Severity.Success : Severity.Error);
        await ReloadAsync();
    }
}
