using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Components.Profiles;

/// <summary>
/// Profiles › Explorer: the people (or, under a policy without stitching, the identifiers), searched, filtered, sorted and paged.
/// The address holds all of it (<see cref="ListAddress"/> and the filters), so Back from a profile and a shared link show the same list.
/// </summary>
public sealed partial class ProfilesPage : IDisposable
{
    private MudDataGrid<ProfileSummary>? _grid;
    private int _gridKey;
    private ListAddress _address = ListAddress.Default;
    private (ListAddress Address, string Filters)? _listedFor; // what the grid was made for: a different address makes a new one
    private string? _search; // the text in the box, searched on Enter
    private string? _problem;
    private IReadOnlyList<IdentifierSuggestion> _didYouMean = [];
    private string? _shownFor; // the search whose results are shown (tests wait for it)
    private int _total;
    private ProfileSort _sort = ProfileSort.LastActivityNewest;
    private IReadOnlyList<string> _segmentNames = [];
    private string? _unstitchedPolicy;
    private int? _policyFor; // the ?policy= that _unstitchedPolicy was looked up for
    private IdentifierList? _identifiers;

    [Inject] private ProfileDirectory Directory { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private SegmentStore SegmentStore { get; set; } = default!;
    [Inject] private MergePolicyStore Policies { get; set; } = default!;
    [Inject] private UnificationNotifications Unification { get; set; } = default!;

    /// <summary>Only profiles with an identity in each of these namespaces (?namespace=email&amp;namespace=phone; the dashboard links here).</summary>
    [SupplyParameterFromQuery(Name = "namespace")] public string[]? Namespaces { get; set; }

    /// <summary>Only the members of every one of these segments (?segment=3&amp;segment=5; the dashboard's audiences and their overlap link here).</summary>
    [SupplyParameterFromQuery(Name = "segment")] public long[]? Segments { get; set; }

    /// <summary>
    /// The merge policy the linking dashboard counted under (?policy=2). Under one that does not stitch, every identifier is a
    /// profile of its own: the page lists identifiers then (segment members are people, so with ?segment= it says so instead).
    /// </summary>
    [SupplyParameterFromQuery(Name = "policy")] public int? Policy { get; set; }

    /// <summary>The search (?q=ada).</summary>
    [SupplyParameterFromQuery(Name = "q")] public string? Query { get; set; }

    /// <summary>The sort (?sort=first-seen-oldest); the list's first sort when absent.</summary>
    [SupplyParameterFromQuery(Name = "sort")] public string? SortKey { get; set; }

    /// <summary>The page, from 1 (?page=3).</summary>
    [SupplyParameterFromQuery(Name = "page")] public int? PageNumber { get; set; }

    /// <summary>Rows per page (?size=50).</summary>
    [SupplyParameterFromQuery(Name = "size")] public int? PageSize { get; set; }

    /// <summary>The sorts by their names in the address; the first is the default, left out of it.</summary>
    private static readonly (ProfileSort Sort, string Key)[] SortKeys =
    [
        (ProfileSort.LastActivityNewest, "last-activity"),
        (ProfileSort.LastActivityOldest, "last-activity-oldest"),
        (ProfileSort.CreatedNewest, "first-seen"),
        (ProfileSort.CreatedOldest, "first-seen-oldest"),
    ];

    protected override void OnInitialized() => Unification.Rebuilt += OnRebuilt;

    protected override async Task OnParametersSetAsync()
    {
        if (Policy != _policyFor)
        {
            // The lists wait for the policy's lookup (the loading bar replaces them): neither is there to reload meanwhile.
            (_grid, _identifiers) = (null, null);
        }
        var names = Segments is { Length: > 0 } ? await SegmentStore.NamesAsync() : null;
        _segmentNames = ProfileDirectory.SegmentsFiltered(Segments ?? []).Select(id => names!.GetValueOrDefault(id) ?? $"segment {id}").ToList();
        _unstitchedPolicy = Policy is { } policyId && await Policies.GetAsync(policyId) is { Stitching: IdentityStitching.None } unstitched ? unstitched.Name : null;
        _policyFor = Policy;
        var address = ListAddress.From(Query, SortKey, PageNumber, PageSize);
        if (_listedFor != (address, Filters))
        {
            // Opened, or the address changed (Back, a link, a new search): the list it asks for, in a new grid.
            _listedFor = (address, Filters);
            _address = address;
            _search = address.Query;
            _sort = SortKeys.FirstOrDefault(s => s.Key == address.Sort, SortKeys[0]).Sort;
            _gridKey++;
        }
        if (IdentifierMode)
        {
            _grid = null; // the people grid is not shown (the identifier list loads itself)
        }
    }

    /// <summary>The filters of the address, compared to know whether it asks for another list.</summary>
    private string Filters => $"{string.Join(',', Namespaces ?? [])}|{string.Join(',', Segments ?? [])}|{Policy}";

    private async Task<GridData<ProfileSummary>> LoadAsync(GridState<ProfileSummary> state)
    {
        // Noted before the wait: a render meanwhile passes the grid the page it is on, not the one it left.
        var asked = _address;
        _address = _address with { Page = state.Page, Size = state.PageSize };
        _listedFor = (_address, Filters);
        var page = await Directory.PageAsync(_address.Query, _sort, state.Page * state.PageSize, state.PageSize, Namespaces ?? [], Segments ?? []);
        if (state.Page > 0 && state.Page * state.PageSize >= page.Total)
        {
            // Past the end (a link from when there were more): the grid goes back to the first page, so the rows are that page's.
            _address = _address with { Page = 0 };
            _listedFor = (_address, Filters);
            page = await Directory.PageAsync(_address.Query, _sort, 0, state.PageSize, Namespaces ?? [], Segments ?? []);
        }
        var problemBefore = (_problem, _didYouMean);
        (_problem, _didYouMean, _total, _shownFor) = (page.Problem, page.DidYouMean ?? [], page.Total, _address.Query);
        if (problemBefore != (_problem, _didYouMean))
        {
            StateHasChanged(); // the problem is shown above the grid, which redraws only itself
        }
        if (_address != asked)
        {
            // The pager moved: the address follows, in place (Back leaves the list rather than stepping through its pages).
            Navigation.NavigateTo(_address.UriOn(Navigation), replace: true);
        }
        return new GridData<ProfileSummary> { Items = page.Items, TotalItems = page.Total };
    }

    /// <summary>Searches for the text in the box: a new entry in the browser's history, so Back returns to the search before.</summary>
    private Task SearchAsync()
    {
        var wanted = _address with { Query = string.IsNullOrWhiteSpace(_search) ? null : _search, Page = 0 };
        if (wanted == _address)
        {
            // The same search again: the people may have arrived since (unification runs in the background).
            return _grid?.ReloadServerData() ?? Task.CompletedTask;
        }
        Navigation.NavigateTo(wanted.UriOn(Navigation));
        return Task.CompletedTask;
    }

    private Task ClearSearchAsync()
    {
        _search = null;
        return SearchAsync();
    }

    private void OnSortChanged(ProfileSort sort)
    {
        _sort = sort;
        var key = sort == SortKeys[0].Sort ? null : SortKeys.First(s => s.Sort == sort).Key;
        Navigation.NavigateTo((_address with { Sort = key, Page = 0 }).UriOn(Navigation), replace: true);
    }

    /// <summary>Shows everyone again: the filters go, the search and sort stay.</summary>
    private void ClearNamespaces() => Navigation.NavigateTo(Navigation.GetUriWithQueryParameters((_address with { Page = 0 }).UriOn(Navigation),
        new Dictionary<string, object?> { ["namespace"] = null, ["segment"] = null, ["policy"] = null }));

    /// <summary>Identifiers rather than people: a policy without stitching, and no segment (whose members are people).</summary>
    private bool IdentifierMode => _unstitchedPolicy is not null && Segments is not { Length: > 0 };

    private string PeopleLink => Navigation.GetUriWithQueryParameter("policy", (int?)null);

    /// <summary>The sort's name, also in the prerendered page (before the select knows its items).</summary>
    private static string SortName(ProfileSort sort) => sort switch
    {
        ProfileSort.LastActivityOldest => "Last activity, oldest first",
        ProfileSort.CreatedNewest => "First seen, newest first",
        ProfileSort.CreatedOldest => "First seen, oldest first",
        _ => "Last activity, newest first",
    };

    private Task OnKeyUpAsync(KeyboardEventArgs e) => e.Key == "Enter" ? SearchAsync() : Task.CompletedTask;

    private void OnRebuilt() => _ = InvokeAsync(() => IdentifierMode ? _identifiers?.ReloadAsync() ?? Task.CompletedTask : _grid?.ReloadServerData() ?? Task.CompletedTask);

    public void Dispose() => Unification.Rebuilt -= OnRebuilt;
}
