using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Components.Profiles.Explorer;

/// <summary>
/// One profile read through a merge policy: header, attributes with lineage, identities, timeline,
/// policy comparison; attribute edits (Admin, DataEngineer) and deletion (Admin). Updates live.
/// </summary>
public sealed partial class ProfilePage : IDisposable
{
    private ProfileHeader? _header;
    private ProfileAttributes? _attributes;
    private IReadOnlyList<MergePolicy> _policies = [];
    private IReadOnlyDictionary<int, string> _sourceNames = new Dictionary<int, string>();
    private List<BreadcrumbItem> _crumbs = [];
    private int _policyId;
    private int _tab;
    private int _version;
    private bool _loaded;
    private bool _canEdit;
    private bool _canDelete;
    private bool _deleteOpen;
    private string? _deleted;
    private long _shownId;
    private long? _redirectedFrom;

    [Parameter] public long Id { get; set; }

    /// <summary>The tab to open with (attributes, computed, segments, identities, timeline, compare), so links can point at one.</summary>
    [SupplyParameterFromQuery(Name = "tab")] public string? InitialTab { get; set; }

    /// <summary>The merged profile whose address led here (?merged=12): the page says so.</summary>
    [SupplyParameterFromQuery(Name = "merged")] public long? MergedFrom { get; set; }

    private static readonly string[] TabNames = ["attributes", "computed", "segments", "identities", "timeline", "compare"];

    [Inject] private ProfileExplorerReader Reader { get; set; } = default!;
    [Inject] private ProfileReader Profiles { get; set; } = default!;
    [Inject] private MergePolicyStore Policies { get; set; } = default!;
    [Inject] private SourceRegistry Sources { get; set; } = default!;
    [Inject] private UnificationNotifications Unification { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState>? AuthState { get; set; }

    /// <summary>Who may edit attributes; checked again where the edit is made.</summary>
    public static readonly string[] EditRoles = [Roles.Admin, Roles.DataEngineer];

    protected override async Task OnParametersSetAsync()
    {
        if (_shownId != Id)
        {
            _shownId = Id;
            // Another profile in the same page instance (a link from this one): nothing of the last one's state carries over.
            (_deleted, _deleteOpen) = (null, false);
        }
        Unification.ProfilesChanged -= OnChanged;
        Unification.ProfilesChanged += OnChanged;
        Unification.Rebuilt -= OnRebuilt;
        Unification.Rebuilt += OnRebuilt;
        Policies.Changed -= OnPoliciesChanged;
        Policies.Changed += OnPoliciesChanged;
        var user = AuthState is null ? null : (await AuthState).User;
        _canEdit = user is not null && EditRoles.Any(user.IsInRole);
        _canDelete = user?.IsInRole(Roles.Admin) == true;
        if (InitialTab is not null && Array.IndexOf(TabNames, InitialTab.ToLowerInvariant()) is >= 0 and var tab)
        {
            _tab = tab;
        }
        _policies = await Policies.ListAsync();
        _policyId = _policies.FirstOrDefault(p => p.IsDefault)?.Id ?? _policies.FirstOrDefault()?.Id ?? 0;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        // A merged id redirects to the profile it was merged into, which says so (and which tab was asked for stays open).
        if (_redirectedFrom != Id && await Profiles.FindAsync($"profile_id:{Id}") is { Found: true, ProfileId: var current } && current != Id)
        {
            _redirectedFrom = Id; // once per id: a redirect never repeats itself, whatever reaches this instance before the new page
            var tab = InitialTab is null ? "" : $"&tab={Uri.EscapeDataString(InitialTab)}";
            Navigation.NavigateTo($"/profiles/{current}?merged={Id}{tab}", replace: true);
            return;
        }
        var defaultPolicy = _policies.FirstOrDefault(p => p.IsDefault) ?? await Policies.GetDefaultAsync();
        _header = await Reader.HeaderAsync(Id, defaultPolicy);
        _sourceNames = await Sources.NamesAsync();
        _attributes = _header is not null && _policies.FirstOrDefault(p => p.Id == _policyId) is { } policy ? await Reader.AttributesAsync(Id, policy) : null;
        _crumbs = [new("Profiles", "/profiles"), new(_header?.DisplayName ?? $"#{Id}", null, disabled: true)];
        _loaded = true;
    }

    private async Task OnPolicyChangedAsync(int id)
    {
        _policyId = id;
        if (_policies.FirstOrDefault(p => p.Id == id) is { } policy && _header is not null)
        {
            _attributes = await Reader.AttributesAsync(Id, policy);
        }
    }

    private void OnDeleted(string outcome)
    {
        _deleteOpen = false;
        _deleted = outcome;
        _header = null;
    }

    private void OnChanged(IReadOnlyCollection<long> profiles)
    {
        if (profiles.Contains(Id) && _deleted is null)
        {
            _ = InvokeAsync(async () =>
            {
                await LoadAsync();
                _version++;
                StateHasChanged();
            });
        }
    }

    private void OnRebuilt() => OnChanged([Id]);

    private void OnPoliciesChanged() => _ = InvokeAsync(async () =>
    {
        _policies = await Policies.ListAsync();
        if (_policies.All(p => p.Id != _policyId))
        {
            _policyId = _policies.FirstOrDefault(p => p.IsDefault)?.Id ?? 0;
        }
        await LoadAsync();
        StateHasChanged();
    });

    public void Dispose()
    {
        Unification.ProfilesChanged -= OnChanged;
        Unification.Rebuilt -= OnRebuilt;
        Policies.Changed -= OnPoliciesChanged;
    }
}
