using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using ProfileStudio.Core.Auditing;

namespace ProfileStudio.Accounts;

/// <summary>The signed-in user of this circuit, as the audit log names them, and where they are (the audit's "from where").</summary>
internal sealed class CurrentActor(AuthenticationStateProvider authState)
{
    /// <summary>
    /// The address of the browser this circuit serves. A circuit has no request of its own once it runs, so the page request
    /// that started it hands the address over (<c>App.razor</c> → <c>Routes</c>, a parameter Blazor protects from tampering).
    /// </summary>
    public string? ClientAddress { get; set; }

    public async Task<AuditActor> GetAsync()
    {
        var user = (await authState.GetAuthenticationStateAsync()).User;
        return FromPrincipal(user, ClientAddress);
    }

    public static AuditActor FromPrincipal(ClaimsPrincipal user, string? ipAddress = null) =>
        new(user.FindFirstValue(ClaimTypes.NameIdentifier), user.Identity?.Name ?? "anonymous", ipAddress);
}
