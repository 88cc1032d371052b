using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Identity;

/// <summary>The namespaces as stored; the built-in ones are created on first use with their defaults.</summary>
public sealed class IdentityRulesStore(IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit)
{
    public const int MaxIdentitiesPerProfile = 50;

    /// <summary>Raised after a namespace is saved or deleted; the unification worker applies the new rules to new messages.</summary>
    public event Action? Changed;

    public async Task<IReadOnlyList<IdentityNamespace>> ListAsync(CancellationToken ct = default)
    {
        await LoadAsync(ct); // seeds the built-in namespaces on first use
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IdentityNamespaces.AsNoTracking().OrderBy(n => n.Priority).ThenBy(n => n.Name).ToListAsync(ct);
    }

    /// <summary>Creates or updates a namespace after checking it; returns the problems, empty when saved.</summary>
    public async Task<IReadOnlyList<string>> SaveAsync(AuditActor actor, IdentityNamespace edited, CancellationToken ct = default)
    {
        var problems = Validate(edited);
        if (problems.Count > 0)
        {
            return problems;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.IdentityNamespaces.FirstOrDefaultAsync(n => n.Id == edited.Id, ct);
        if (existing is null && await db.IdentityNamespaces.AnyAsync(n => n.Name == edited.Name, ct))
        {
            return [$"A namespace named \"{edited.Name}\" already exists."];
        }
        var before = existing is null ? "" : Describe(existing);
        var target = existing ?? new IdentityNamespace { Name = edited.Name, BuiltIn = false };
        target.Normalization = edited.Normalization;
        target.Priority = edited.Priority;
        target.Limit = edited.Limit;
        target.BlockedValues = edited.BlockedValues.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct().ToList();
        target.BlockedPatterns = edited.BlockedPatterns.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct().ToList();
        target.DefaultCountry = string.IsNullOrWhiteSpace(edited.DefaultCountry) ? null : edited.DefaultCountry.Trim().ToUpperInvariant();
        target.IsDevice = edited.IsDevice;
        target.TraitKeys = edited.TraitKeys.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct().ToList();
        if (existing is null)
        {
            db.IdentityNamespaces.Add(target);
        }
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, existing is null ? AuditActions.NamespaceCreated : AuditActions.NamespaceUpdated, target.Name,
            existing is null ? Describe(target) : $"from {before} to {Describe(target)}", ct);
        Changed?.Invoke();
        return [];
    }

    public async Task<string?> DeleteAsync(AuditActor actor, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.IdentityNamespaces.FirstOrDefaultAsync(n => n.Id == id, ct) is not { } ns)
        {
            return "The namespace no longer exists.";
        }
        if (ns.BuiltIn)
        {
            return $"\"{ns.Name}\" is built in; change its rules instead.";
        }
        db.IdentityNamespaces.Remove(ns);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.NamespaceDeleted, ns.Name, "new messages no longer read this namespace; stored identities stay until a rebuild", ct);
        Changed?.Invoke();
        return null;
    }

    internal static IReadOnlyList<string> Validate(IdentityNamespace n)
    {
        var problems = new List<string>();
        if (!Regex.IsMatch(n.Name ?? "", "^[a-z][a-z0-9_]{1,63}$"))
        {
            problems.Add("A name is 2–64 lower-case letters, digits or _, starting with a letter (e.g. member_id).");
        }
        if (n.Priority is < 1 or > 99)
        {
            problems.Add("Priority is between 1 (strongest) and 99.");
        }
        if (n.Limit is < 0 or > MaxIdentitiesPerProfile)
        {
            problems.Add($"The limit per profile is between 0 (no limit) and {MaxIdentitiesPerProfile}.");
        }
        foreach (var pattern in n.BlockedPatterns.Where(p => p.Trim().Length > 0))
        {
            try
            {
                _ = new Regex(pattern);
            }
            catch (ArgumentException ex)
            {
                problems.Add($"\"{pattern}\" is not a valid regular expression: {ex.Message}");
            }
        }
        if (n.Normalization == Normalization.Phone && !string.IsNullOrWhiteSpace(n.DefaultCountry)
            && !PhoneNumbers.PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(n.DefaultCountry.Trim().ToUpperInvariant()))
        {
            problems.Add($"\"{n.DefaultCountry}\" is not a country code libphonenumber knows (use two letters, e.g. GB, FR, US).");
        }
        return problems;
    }

    private static string Describe(IdentityNamespace n) =>
        $"[{n.Normalization}, priority {n.Priority}, limit {(n.Limit == 0 ? "none" : n.Limit)}, {n.BlockedValues.Count} blocked values, {n.BlockedPatterns.Count} patterns{(n.IsDevice ? ", device" : "")}]";

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
