using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Formatting;

namespace ProfileStudio.Components.Profiles.Computed;

/// <summary>
/// Who may change computed attributes: Admins and Marketers; Support and Data engineers read them.
/// Checked again on the server before every change, not only by hiding the buttons.
/// </summary>
internal static class ComputedEditors
{
    public const string ReadRoles = $"{Core.Accounts.Roles.Admin},{Core.Accounts.Roles.Marketer},{Core.Accounts.Roles.Support},{Core.Accounts.Roles.DataEngineer}";

    public static IReadOnlyList<string> Roles { get; } = [Core.Accounts.Roles.Admin, Core.Accounts.Roles.Marketer];

    public const string Refusal = "Only administrators and marketers can change computed attributes.";

    public static bool CanEdit(ClaimsPrincipal user) => Roles.Any(user.IsInRole);

    public static async Task<bool> CanEditAsync(AuthenticationStateProvider authState) =>
        CanEdit((await authState.GetAuthenticationStateAsync()).User);
}

/// <summary>How the computed-attribute pages word definitions.</summary>
internal static class ComputedText
{
    public static string Function(ComputedAttributeDefinition d) => d.Function == ComputedFunction.Expression
        ? "formula"
        : ComputedFunctions.Describe(d.Function, d.PropertyPath) + (d.EventNames.Count > 0 ? $" · {string.Join(", ", d.EventNames)}" : "");

    public static string Window(ComputedAttributeDefinition d) => d.Function == ComputedFunction.Expression ? "—" : d.Window.ToString();

    public static string Eta(TimeSpan? eta) => eta switch
    {
        null => "estimating…",
        { TotalSeconds: < 1 } => "less than a second left",
        { TotalMinutes: < 1 } e => $"about {Math.Ceiling(e.TotalSeconds):0} s left",
        { TotalHours: < 1 } e => $"about {Math.Ceiling(e.TotalMinutes):0} min left",
        var e => $"about {e.Value.TotalHours:0.#} h left",
    };

    /// <summary>A stored value (JSON) for people, or a dash when there is none.</summary>
    public static string Value(string? json) => json is null or "null" ? "—" : DisplayFormat.Value(json);
}
