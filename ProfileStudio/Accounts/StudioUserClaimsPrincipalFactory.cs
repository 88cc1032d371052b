using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Accounts;

/// <summary>
/// The signed-in user's claims, plus <see cref="MustChangePasswordClaim"/> while their password is one an
/// administrator (or the bootstrap) generated. The cookie carries it, so the <see cref="PasswordChangeGate"/>
/// needs no database read per request; the security-stamp check rebuilds the claims every minute, so a
/// reset by an administrator reaches a signed-in session within that minute.
/// </summary>
internal sealed class StudioUserClaimsPrincipalFactory(
    UserManager<ApplicationUser> userManager,
    RoleManager<IdentityRole> roleManager,
    IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<ApplicationUser, IdentityRole>(userManager, roleManager, options)
{
    public const string MustChangePasswordClaim = "profilestudio:must_change_password";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ApplicationUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.MustChangePassword)
        {
            identity.AddClaim(new Claim(MustChangePasswordClaim, "true"));
        }
        return identity;
    }

    public static bool MustChangePassword(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && user.HasClaim(c => c.Type == MustChangePasswordClaim);
}
