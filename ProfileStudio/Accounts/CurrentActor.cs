using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using ProfileStudio.Core.Auditing;

namespace ProfileStudio.Accounts;

/// <summary>The signed-in user of this circuit, as the audit log names them.</summary>
internal sealed class CurrentActor(AuthenticationStateProvider authState)
{
    public async Task<AuditActor> GetAsync()
    {
        var user = (await authState.GetAuthenticationStateAsync()).User;
        return FromPrincipal(user);
    }

    public static AuditActor FromPrincipal(ClaimsPrincipal user, string? ipAddress = null) =>
        new(user.FindFirstValue(ClaimTypes.NameIdentifier), user.Identity?.Name ?? "anonymous", ipAddress);
}
