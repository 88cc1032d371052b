using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace ProfileStudio.Components.Profiles.MergePolicies;

/// <summary>
/// Who may change merge policies: Admins and Marketers. Everyone who may open the page may read them.
/// Checked again on the server before every change, not only by hiding the buttons.
/// </summary>
internal static class MergePolicyEditors
{
    public static IReadOnlyList<string> Roles { get; } = [Core.Accounts.Roles.Admin, Core.Accounts.Roles.Marketer];

    public const string Refusal = "Only administrators and marketers can change merge policies.";

    public static bool CanEdit(ClaimsPrincipal user) => Roles.Any(user.IsInRole);

    public static async Task<bool> CanEditAsync(AuthenticationStateProvider authState) =>
        CanEdit((await authState.GetAuthenticationStateAsync()).User);
}
