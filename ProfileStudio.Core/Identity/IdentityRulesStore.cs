using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Identity;

/// <summary>The namespaces as stored; the built-in ones are created on first use with their defaults.</summary>
public sealed class IdentityRulesStore(IDbContextFactory<ProfileStudioDbContext> dbFactory)
{
    public const int MaxIdentitiesPerProfile = 50;

    public async Task<IdentityRules> LoadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.IdentityNamespaces.AnyAsync(ct))
        {
            db.IdentityNamespaces.AddRange(IdentityRules.Default.Namespaces.Select(rule => new IdentityNamespace
            {
                Name = rule.Name,
                Normalization = rule.Normalization,
                Priority = rule.Priority,
                Limit = rule.Limit,
                BlockedValues = [.. rule.BlockedValues],
                BlockedPatterns = [.. rule.BlockedPatterns],
                DefaultCountry = rule.DefaultCountry,
                IsDevice = rule.IsDevice,
                TraitKeys = [.. rule.Keys],
                BuiltIn = true,
            }));
            await db.SaveChangesAsync(ct);
        }
        var namespaces = await db.IdentityNamespaces.AsNoTracking().ToListAsync(ct);
        return new IdentityRules(namespaces.Select(n => n.ToRule()), MaxIdentitiesPerProfile);
    }
}
