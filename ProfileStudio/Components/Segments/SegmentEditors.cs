using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Components.Segments;

/// <summary>
/// Who may change segments: Admins and Marketers (<see cref="SegmentStore.EditorRoles"/>); Support and Data
/// engineers read them. Checked again on the server before every change, not only by hiding the buttons.
/// </summary>
internal static class SegmentEditors
{
    public const string ReadRoles = $"{Core.Accounts.Roles.Admin},{Core.Accounts.Roles.Marketer},{Core.Accounts.Roles.Support},{Core.Accounts.Roles.DataEngineer}";

    public const string Refusal = "Only administrators and marketers can change segments.";

    public static bool CanEdit(ClaimsPrincipal user) => SegmentStore.EditorRoles.Any(user.IsInRole);

    public static async Task<bool> CanEditAsync(AuthenticationStateProvider authState) =>
        CanEdit((await authState.GetAuthenticationStateAsync()).User);
}

/// <summary>How the segment pages word a segment's state.</summary>
internal static class SegmentText
{
    public static string Evaluation(Segment s) => s.Evaluation == SegmentEvaluationMode.Streaming
        ? "streaming"
        : s.BatchIntervalHours == 1 ? "batch, every hour" : $"batch, every {s.BatchIntervalHours} h";

    public static string Status(SegmentStatus status) => status.ToString().ToLowerInvariant();
}
