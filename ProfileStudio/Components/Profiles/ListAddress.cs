using Microsoft.AspNetCore.Components;

namespace ProfileStudio.Components.Profiles;

/// <summary>
/// What a list of the explorer shows, as its address keeps it: <c>?q=ada&amp;sort=first-seen&amp;page=3&amp;size=50</c>. The page
/// reads it from the address and writes every change back, so Back from a profile and a shared link show the same list.
/// Defaults are left out of the address (no search, the first sort, page 1, 25 rows).
/// </summary>
/// <param name="Query">The search as typed; null for none.</param>
/// <param name="Sort">The sort's name in the address; null for the list's first sort.</param>
/// <param name="Page">The page, counted from 0 as the grid counts.</param>
/// <param name="Size">Rows per page, one of <see cref="Sizes"/>.</param>
public sealed record ListAddress(string? Query, string? Sort, int Page, int Size)
{
    public const int DefaultSize = 25;

    /// <summary>The page sizes the pager offers; another size in an address is read as the default.</summary>
    public static readonly int[] Sizes = [25, 50, 100];

    public static ListAddress Default { get; } = new(null, null, 0, DefaultSize);

    /// <summary>The list an address asks for (<c>page</c> counts from 1 there, as people count).</summary>
    public static ListAddress From(string? query, string? sort, int? page, int? size) => new(
        string.IsNullOrWhiteSpace(query) ? null : query,
        string.IsNullOrWhiteSpace(sort) ? null : sort,
        page is > 1 ? page.Value - 1 : 0,
        size is { } s && Sizes.Contains(s) ? s : DefaultSize);

    /// <summary>The address of <paramref name="navigation"/>'s page showing this list; its other parameters (filters) are kept.</summary>
    public string UriOn(NavigationManager navigation) => navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
    {
        ["q"] = Query,
        ["sort"] = Sort,
        ["page"] = Page > 0 ? Page + 1 : null,
        ["size"] = Size != DefaultSize ? Size : null,
    });
}
