using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace ProfileStudio.Components.Navigation;

/// <summary>
/// Who may open a page, read from the page's own <c>[Authorize(Roles = ...)]</c>, so a menu entry or a link
/// and the page's refusal can never disagree.
/// </summary>
public static class PageAccess
{
    /// <summary>The roles that may open the page; empty means any signed-in user.</summary>
    public static IReadOnlyList<string> Roles(Type page) => page.GetCustomAttributes<AuthorizeAttribute>()
        .Select(a => a.Roles)
        .Where(r => !string.IsNullOrWhiteSpace(r))
        .SelectMany(r => r!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        .Distinct()
        .ToList();

    public static bool Allows(Type page, ClaimsPrincipal? user)
    {
        var roles = Roles(page);
        return user?.Identity?.IsAuthenticated == true && (roles.Count == 0 || roles.Any(user.IsInRole));
    }
}
