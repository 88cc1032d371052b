using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Components.Profiles.MergePolicies;

/// <summary>Creates a policy, or edits <see cref="Existing"/>; closes with the saved policy.</summary>
public sealed partial class MergePolicyDialog
{
    private MergePolicyForm _form = new();
    private IReadOnlyDictionary<int, string> _sources = new Dictionary<int, string>();
    private IReadOnlyList<string> _problems = [];
    private bool _busy;

    [CascadingParameter] private IMudDialogInstance MudDialog { get; set; } = default!;
    [Parameter] public MergePolicy? Existing { get; set; }
    [Inject] private MergePolicyStore Policies { get; set; } = default!;
    [Inject] private SourceRegistry Sources { get; set; } = default!;
    [Inject] private CurrentActor Actor { get; set; } = default!;
    [Inject] private AuthenticationStateProvider AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _sources = await Sources.NamesAsync();
        if (Existing is not null)
        {
            _form = MergePolicyForm.From(Existing);
        }
    }

    private async Task SaveAsync()
    {
        if (!await MergePolicyEditors.CanEditAsync(AuthState))
        {
            _problems = [MergePolicyEditors.Refusal];
            return;
        }
        _busy = true;
        try
        {
            var actor = await Actor.GetAsync();
            var result = Existing is null
                ? await Policies.CreateAsync(actor, _form.ToDraft())
                : await Policies.UpdateAsync(actor, Existing.Id, _form.ToDraft());
            _problems = result.Problems;
            if (result.Succeeded)
            {
                MudDialog.Close(DialogResult.Ok(result.Policy));
            }
        }
        finally
        {
            _busy = false;
        }
    }
}
