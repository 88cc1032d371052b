using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Accounts;

/// <summary>The name a studio user gave (or was given) to be called by; null when only the e-mail address is known.</summary>
public sealed class UserDisplayNames(IDbContextFactory<ProfileStudioDbContext> dbFactory)
{
    public async Task<string?> ForAsync(string? userName, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(userName))
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().Where(u => u.UserName == userName).Select(u => new { u.DisplayName, u.Email }).FirstOrDefaultAsync(ct);
        // Accounts created without a name carry the e-mail address as their display name.
        return user is null || string.IsNullOrWhiteSpace(user.DisplayName) || string.Equals(user.DisplayName, user.Email, StringComparison.OrdinalIgnoreCase)
            || string.Equals(user.DisplayName, userName, StringComparison.OrdinalIgnoreCase)
            ? null
            : user.DisplayName.Trim();
    }
}
