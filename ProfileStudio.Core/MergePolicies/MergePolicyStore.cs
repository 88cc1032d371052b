using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.MergePolicies;

/// <summary>A policy as a person wants it saved; <see cref="MergePolicyStore"/> checks it first.</summary>
public sealed record MergePolicyDraft(
    string Name,
    string? Description,
    IdentityStitching Stitching,
    AttributeMergeRule AttributeMerge,
    IReadOnlyList<int> SourcePrecedence,
    IReadOnlyList<AttributeOverrideDraft> Overrides,
    bool IsDefault = false);

public sealed record AttributeOverrideDraft(string Key, AttributeMergeRule Merge, IReadOnlyList<int> SourcePrecedence);

/// <summary>The outcome of a create or update: the saved policy, or the problems to fix (nothing saved).</summary>
public sealed record MergePolicyResult(bool Succeeded, IReadOnlyList<string> Problems, MergePolicy? Policy = null)
{
    public static MergePolicyResult Fail(params string[] problems) => new(false, problems);
}

/// <summary>
/// The merge policies as stored. Every change is checked and audited; exactly one policy is the
/// default (making another one the default unsets the old one; the default cannot be deleted), and
/// "Most recent" (graph stitching, most recent value wins) is created as the default on first use.
/// </summary>
public sealed class MergePolicyStore(IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public const int MaxOverrides = 50;

    // One writer at a time: checks (unique name, one default) and the writes that rely on them stay together.
    private readonly SemaphoreSlim _writes = new(1, 1);
    private volatile bool _defaultEnsured;

    /// <summary>Raised after a policy is created, changed, deleted or made the default.</summary>
    public event Action? Changed;

    /// <summary>Every policy, the default first, then by name.</summary>
    public async Task<IReadOnlyList<MergePolicy>> ListAsync(CancellationToken ct = default)
    {
        await EnsureDefaultAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var policies = await db.MergePolicies.AsNoTracking().ToListAsync(ct);
        return policies.OrderByDescending(p => p.IsDefault).ThenBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public async Task<MergePolicy?> GetAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.MergePolicies.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
    }

    /// <summary>A policy by its id or its name (names are matched without regard to case).</summary>
    public async Task<MergePolicy?> FindAsync(string idOrName, CancellationToken ct = default)
    {
        var text = idOrName.Trim();
        var all = await ListAsync(ct);
        return int.TryParse(text, out var id) && all.FirstOrDefault(p => p.Id == id) is { } byId
            ? byId
            : all.FirstOrDefault(p => string.Equals(p.Name, text, StringComparison.OrdinalIgnoreCase));
    }

    public async Task<MergePolicy> GetDefaultAsync(CancellationToken ct = default)
    {
        await EnsureDefaultAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.MergePolicies.AsNoTracking().SingleAsync(p => p.IsDefault, ct);
    }

    public async Task<MergePolicyResult> CreateAsync(AuditActor actor, MergePolicyDraft draft, CancellationToken ct = default)
    {
        await EnsureDefaultAsync(ct);
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var sources = await SourceNamesAsync(db, ct);
            var problems = await CheckAsync(db, draft, null, sources, ct);
            if (problems.Count > 0)
            {
                return new MergePolicyResult(false, problems);
            }
            var now = time.GetUtcNow().UtcDateTime;
            var policy = new MergePolicy { CreatedAt = now };
            Apply(policy, draft, now);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var previousDefault = draft.IsDefault ? await UnsetDefaultAsync(db, ct) : null;
            policy.IsDefault = draft.IsDefault;
            db.MergePolicies.Add(policy);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);

            await audit.RecordAsync(actor, AuditActions.MergePolicyCreated, policy.Name, Describe(policy, sources), ct);
            if (previousDefault is not null)
            {
                await audit.RecordAsync(actor, AuditActions.MergePolicyDefaultChanged, policy.Name, $"was \"{previousDefault}\"", ct);
            }
            Changed?.Invoke();
            return new MergePolicyResult(true, [], policy);
        }
        finally
        {
            _writes.Release();
        }
    }

    public async Task<MergePolicyResult> UpdateAsync(AuditActor actor, int id, MergePolicyDraft draft, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await db.MergePolicies.FirstOrDefaultAsync(p => p.Id == id, ct) is not { } policy)
            {
                return MergePolicyResult.Fail("The policy no longer exists.");
            }
            if (policy.IsDefault && !draft.IsDefault)
            {
                return MergePolicyResult.Fail($"\"{policy.Name}\" is the default policy; make another policy the default instead.");
            }
            var sources = await SourceNamesAsync(db, ct);
            var problems = await CheckAsync(db, draft, id, sources, ct);
            if (problems.Count > 0)
            {
                return new MergePolicyResult(false, problems);
            }
            var before = Describe(policy, sources);
            var beforeName = policy.Name;
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var previousDefault = draft.IsDefault && !policy.IsDefault ? await UnsetDefaultAsync(db, ct) : null;
            Apply(policy, draft, time.GetUtcNow().UtcDateTime);
            policy.IsDefault = draft.IsDefault;
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);

            var renamed = beforeName == policy.Name ? "" : $"renamed from \"{beforeName}\"; ";
            await audit.RecordAsync(actor, AuditActions.MergePolicyUpdated, policy.Name, $"{renamed}from {before} to {Describe(policy, sources)}", ct);
            if (previousDefault is not null)
            {
                await audit.RecordAsync(actor, AuditActions.MergePolicyDefaultChanged, policy.Name, $"was \"{previousDefault}\"", ct);
            }
            Changed?.Invoke();
            return new MergePolicyResult(true, [], policy);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Deletes a policy that is not the default; returns the problem, or null when deleted.</summary>
    public async Task<string?> DeleteAsync(AuditActor actor, int id, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await db.MergePolicies.FirstOrDefaultAsync(p => p.Id == id, ct) is not { } policy)
            {
                return "The policy no longer exists.";
            }
            if (policy.IsDefault)
            {
                return $"\"{policy.Name}\" is the default policy and cannot be deleted; make another policy the default first.";
            }
            var description = Describe(policy, await SourceNamesAsync(db, ct));
            db.MergePolicies.Remove(policy);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(actor, AuditActions.MergePolicyDeleted, policy.Name, description, ct);
            Changed?.Invoke();
            return null;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Makes a policy the default (the old default stops being it); returns the problem, or null when done.</summary>
    public async Task<string?> MakeDefaultAsync(AuditActor actor, int id, CancellationToken ct = default)
    {
        await EnsureDefaultAsync(ct);
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await db.MergePolicies.FirstOrDefaultAsync(p => p.Id == id, ct) is not { } policy)
            {
                return "The policy no longer exists.";
            }
            if (policy.IsDefault)
            {
                return null;
            }
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var previous = await UnsetDefaultAsync(db, ct);
            policy.IsDefault = true;
            policy.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            await audit.RecordAsync(actor, AuditActions.MergePolicyDefaultChanged, policy.Name, previous is null ? "" : $"was \"{previous}\"", ct);
            Changed?.Invoke();
            return null;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Creates "Most recent" as the default when there is no policy (run at start-up and before the
    /// first read); if policies exist without a default, the oldest becomes it. Running it again changes nothing.
    /// </summary>
    public async Task EnsureDefaultAsync(CancellationToken ct = default)
    {
        if (_defaultEnsured)
        {
            return;
        }
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (!await db.MergePolicies.AnyAsync(ct))
            {
                var now = time.GetUtcNow().UtcDateTime;
                var policy = new MergePolicy
                {
                    Name = MergePolicy.DefaultName,
                    Description = "Uses the identity graph; for every attribute, the value with the most recent event time wins.",
                    Stitching = IdentityStitching.Graph,
                    AttributeMerge = AttributeMergeRule.Timestamp,
                    IsDefault = true,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                db.MergePolicies.Add(policy);
                await db.SaveChangesAsync(ct);
                await audit.RecordAsync(AuditActor.System, AuditActions.MergePolicyCreated, policy.Name, "the default policy, created at first start", ct);
                Changed?.Invoke();
            }
            else if (!await db.MergePolicies.AnyAsync(p => p.IsDefault, ct))
            {
                var oldest = await db.MergePolicies.OrderBy(p => p.Id).FirstAsync(ct);
                oldest.IsDefault = true;
                await db.SaveChangesAsync(ct);
                await audit.RecordAsync(AuditActor.System, AuditActions.MergePolicyDefaultChanged, oldest.Name, "no policy was the default", ct);
                Changed?.Invoke();
            }
            _defaultEnsured = true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>The problems of a draft, with every source it names known; empty when it can be saved.</summary>
    internal static IReadOnlyList<string> Validate(MergePolicyDraft draft, IReadOnlyDictionary<int, string> sources)
    {
        var problems = new List<string>();
        var name = draft.Name?.Trim() ?? "";
        if (name.Length == 0)
        {
            problems.Add("Give the policy a name.");
        }
        else if (name.Length > MergePolicy.MaxNameLength)
        {
            problems.Add($"A name has at most {MergePolicy.MaxNameLength} characters.");
        }
        if ((draft.Description?.Trim().Length ?? 0) > MergePolicy.MaxDescriptionLength)
        {
            problems.Add($"A description has at most {MergePolicy.MaxDescriptionLength} characters.");
        }
        if (!Enum.IsDefined(draft.Stitching))
        {
            problems.Add("Choose whether the policy uses the identity graph.");
        }
        if (!Enum.IsDefined(draft.AttributeMerge))
        {
            problems.Add("Choose how attribute values merge: most recent, or source precedence.");
        }
        else if (draft.AttributeMerge == AttributeMergeRule.SourcePrecedence)
        {
            problems.AddRange(CheckSources(draft.SourcePrecedence, sources, "The policy"));
        }

        var overrides = draft.Overrides ?? [];
        if (overrides.Count > MaxOverrides)
        {
            problems.Add($"A policy has at most {MaxOverrides} overrides.");
        }
        foreach (var o in overrides)
        {
            var key = o.Key?.Trim() ?? "";
            if (key.Length == 0)
            {
                problems.Add("Each override needs an attribute key, e.g. email or address.");
                continue;
            }
            if (key.Length > AttributeOverride.MaxKeyLength || key.Split('.').Any(s => s.Length == 0 || s != s.Trim()))
            {
                problems.Add($"\"{key}\" is not an attribute key: use trait names joined by dots, e.g. address.city (at most {AttributeOverride.MaxKeyLength} characters).");
            }
            if (!Enum.IsDefined(o.Merge))
            {
                problems.Add($"Choose how {key} merges.");
            }
            else if (o.Merge == AttributeMergeRule.SourcePrecedence)
            {
                problems.AddRange(CheckSources(o.SourcePrecedence, sources, $"The override for {key}"));
            }
        }
        foreach (var duplicate in overrides.Select(o => o.Key?.Trim() ?? "").Where(k => k.Length > 0)
                     .GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"There are {duplicate.Count()} overrides for {duplicate.Key}; keep one.");
        }
        return problems;
    }

    private static IEnumerable<string> CheckSources(IReadOnlyList<int>? order, IReadOnlyDictionary<int, string> sources, string owner)
    {
        order ??= [];
        if (order.Count == 0)
        {
            yield return $"{owner} uses source precedence: list at least one source (sources not listed are left out).";
        }
        foreach (var missing in order.Where(id => !sources.ContainsKey(id)).Distinct())
        {
            yield return $"{owner} lists source #{missing}, which does not exist.";
        }
        foreach (var twice in order.Where(sources.ContainsKey).GroupBy(id => id).Where(g => g.Count() > 1))
        {
            yield return $"{owner} lists {sources[twice.Key]} more than once.";
        }
    }

    private static async Task<IReadOnlyList<string>> CheckAsync(
        ProfileStudioDbContext db, MergePolicyDraft draft, int? id, IReadOnlyDictionary<int, string> sources, CancellationToken ct)
    {
        var problems = Validate(draft, sources).ToList();
        var name = draft.Name?.Trim() ?? "";
        var taken = await db.MergePolicies.AsNoTracking().Where(p => p.Id != id).Select(p => p.Name).ToListAsync(ct);
        if (taken.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            problems.Add($"A policy named \"{name}\" already exists.");
        }
        return problems;
    }

    private static void Apply(MergePolicy policy, MergePolicyDraft draft, DateTime now)
    {
        policy.Name = draft.Name.Trim();
        policy.Description = draft.Description?.Trim() ?? "";
        policy.Stitching = draft.Stitching;
        policy.AttributeMerge = draft.AttributeMerge;
        // A list only means something with source precedence; a timestamp rule keeps none.
        policy.SourcePrecedence = draft.AttributeMerge == AttributeMergeRule.SourcePrecedence ? [.. draft.SourcePrecedence] : [];
        policy.Overrides = (draft.Overrides ?? []).Select(o => new AttributeOverride
        {
            Key = o.Key.Trim(),
            Merge = o.Merge,
            SourcePrecedence = o.Merge == AttributeMergeRule.SourcePrecedence ? [.. o.SourcePrecedence] : [],
        }).ToList();
        policy.UpdatedAt = now;
    }

    /// <summary>Clears the current default (saved, inside the caller's transaction); returns its name.</summary>
    private static async Task<string?> UnsetDefaultAsync(ProfileStudioDbContext db, CancellationToken ct)
    {
        // Saved before the new default is set: the unique index allows one default row at any moment.
        if (await db.MergePolicies.FirstOrDefaultAsync(p => p.IsDefault, ct) is not { } current)
        {
            return null;
        }
        current.IsDefault = false;
        await db.SaveChangesAsync(ct);
        return current.Name;
    }

    private static async Task<IReadOnlyDictionary<int, string>> SourceNamesAsync(ProfileStudioDbContext db, CancellationToken ct) =>
        await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);

    /// <summary>The policy in one line for the audit log, sources by name.</summary>
    public static string Describe(MergePolicy policy, IReadOnlyDictionary<int, string> sources)
    {
        string Rule(AttributeMergeRule merge, IEnumerable<int> order) => merge == AttributeMergeRule.Timestamp
            ? "most recent"
            : "source precedence " + string.Join(" › ", order.Select(id => sources.TryGetValue(id, out var n) ? n : $"#{id}"));
        var text = $"[{(policy.Stitching == IdentityStitching.Graph ? "graph" : "no")} stitching, {Rule(policy.AttributeMerge, policy.SourcePrecedence)}";
        if (policy.Overrides.Count > 0)
        {
            text += "; overrides: " + string.Join(", ", policy.Overrides.Select(o => $"{o.Key} by {Rule(o.Merge, o.SourcePrecedence)}"));
        }
        return text + "]";
    }
}
