using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Formatting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Identity;

/// <summary>
/// The outcome of a change to a namespace: the saved namespace, or the problems (nothing saved). <see cref="Conflict"/>: the
/// change was refused because someone saved the namespace after the editor loaded it (its one problem says who and when).
/// </summary>
public sealed record IdentityNamespaceResult(bool Succeeded, IReadOnlyList<string> Problems, IdentityNamespace? Namespace = null, EditConflict? Conflict = null)
{
    public static IdentityNamespaceResult Fail(params string[] problems) => new(false, problems);

    public static IdentityNamespaceResult Conflicted(EditConflict conflict) => new(false, [conflict.Describe("this namespace")], Conflict: conflict);
}

/// <summary>
/// The namespaces as stored; the built-in ones are created on first use with their defaults. A change made from what an
/// editor loaded carries its <see cref="IdentityNamespace.Revision"/> and is refused when someone saved or deleted the
/// namespace since: the second of two administrators would otherwise undo the first one's rules, or bring back a
/// namespace the first one deleted.
/// </summary>
public sealed class IdentityRulesStore(IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time)
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

    /// <summary>A namespace as stored now (null: there is none with this id).</summary>
    public async Task<IdentityNamespace?> GetAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IdentityNamespaces.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id, ct);
    }

    /// <summary>
    /// Creates (<see cref="IdentityNamespace.Id"/> 0) or updates a namespace after checking it. <paramref name="expectedRevision"/>:
    /// the <see cref="IdentityNamespace.Revision"/> the editor loaded; an update is refused if another change was saved since
    /// (null: not checked, for callers that showed nobody the namespace). An update of a namespace deleted meanwhile is refused
    /// whatever the revision: saving it would create it again.
    /// </summary>
    public async Task<IdentityNamespaceResult> SaveAsync(AuditActor actor, IdentityNamespace edited, int? expectedRevision = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        IdentityNamespace? existing = null;
        if (edited.Id != 0)
        {
            existing = await db.IdentityNamespaces.FirstOrDefaultAsync(n => n.Id == edited.Id, ct);
            if (existing is null)
            {
                return await GoneAsync(db, edited.Name, ct);
            }
            // Before the draft's problems: after a reload there may be none, or others.
            if (Stale(existing, expectedRevision) is { } stale)
            {
                return stale;
            }
        }
        var problems = Validate(edited);
        if (problems.Count > 0)
        {
            return new(false, problems);
        }
        if (existing is null && await db.IdentityNamespaces.AnyAsync(n => n.Name == edited.Name, ct))
        {
            return IdentityNamespaceResult.Fail($"A namespace named \"{edited.Name}\" already exists.");
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
        (target.UpdatedAt, target.UpdatedBy) = (time.GetUtcNow().UtcDateTime, actor.Name);
        if (existing is null)
        {
            db.IdentityNamespaces.Add(target);
        }
        else
        {
            target.Revision++;
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Saved or deleted by someone else between the read above and this write.
            return await RefusedSinceAsync(edited.Id, edited.Name, ct);
        }
        await audit.RecordAsync(actor, existing is null ? AuditActions.NamespaceCreated : AuditActions.NamespaceUpdated, target.Name,
            existing is null ? Describe(target) : $"from {before} to {Describe(target)}", ct);
        Changed?.Invoke();
        return new(true, [], target);
    }

    /// <summary>
    /// Deletes a custom namespace. <paramref name="expectedRevision"/>: as for <see cref="SaveAsync"/> (what is deleted is what the
    /// person saw: someone's change saved since is not deleted unseen).
    /// </summary>
    public async Task<IdentityNamespaceResult> DeleteAsync(AuditActor actor, int id, int? expectedRevision = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.IdentityNamespaces.FirstOrDefaultAsync(n => n.Id == id, ct) is not { } ns)
        {
            return IdentityNamespaceResult.Fail("The namespace no longer exists.");
        }
        if (Stale(ns, expectedRevision) is { } stale)
        {
            return stale;
        }
        if (ns.BuiltIn)
        {
            return IdentityNamespaceResult.Fail($"\"{ns.Name}\" is built in; change its rules instead.");
        }
        db.IdentityNamespaces.Remove(ns);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return await RefusedSinceAsync(id, ns.Name, ct);
        }
        await audit.RecordAsync(actor, AuditActions.NamespaceDeleted, ns.Name, "new messages no longer read this namespace; stored identities stay until a rebuild", ct);
        Changed?.Invoke();
        return new(true, [], ns);
    }

    /// <summary>The refusal of a change made from <paramref name="expectedRevision"/> when the namespace was saved since (null: it was not, or no revision was given).</summary>
    private static IdentityNamespaceResult? Stale(IdentityNamespace stored, int? expectedRevision) =>
        expectedRevision is { } expected && stored.Revision != expected ? IdentityNamespaceResult.Conflicted(new EditConflict(stored.UpdatedBy, stored.UpdatedAt)) : null;

    /// <summary>Why a write that met a newer row (or none) was refused: the change saved since, or the deletion.</summary>
    private async Task<IdentityNamespaceResult> RefusedSinceAsync(int id, string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IdentityNamespaces.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id, ct) is { } now
            ? IdentityNamespaceResult.Conflicted(new EditConflict(now.UpdatedBy, now.UpdatedAt))
            : await GoneAsync(db, name, ct);
    }

    /// <summary>The refusal of a change to a namespace deleted since the editor loaded it, naming who deleted it and when (the audit log knows).</summary>
    private static async Task<IdentityNamespaceResult> GoneAsync(ProfileStudioDbContext db, string name, CancellationToken ct)
    {
        var deleted = await db.AuditEntries.AsNoTracking()
            .Where(e => e.Action == AuditActions.NamespaceDeleted && e.Target == name)
            .OrderByDescending(e => e.Id).FirstOrDefaultAsync(ct);
        var who = deleted is null ? "Someone deleted this namespace" : $"{deleted.ActorName} deleted this namespace at {DisplayFormat.TimeUtc(deleted.At)}";
        return IdentityNamespaceResult.Fail(
            $"{who}, after you opened it. Your edits are not saved; add \"{name}\" again (Add namespace) if it is still needed.");
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
                UpdatedAt = time.GetUtcNow().UtcDateTime,
                UpdatedBy = AuditActor.System.Name,
            }));
            await db.SaveChangesAsync(ct);
        }
        var namespaces = await db.IdentityNamespaces.AsNoTracking().ToListAsync(ct);
        return new IdentityRules(namespaces.Select(n => n.ToRule()), MaxIdentitiesPerProfile);
    }
}
