using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// Asks the unification worker for a rebuild or a split and follows its progress. Removing an
/// identity and ruling two identities never to link are recorded as never-link rules (so a rebuild
/// reproduces the split) and then recompute the profile's component in the worker, which owns every
/// write to the profile store. All of it is audited.
/// </summary>
public sealed class UnificationJobs(IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    /// <summary>Raised when a job is queued (wakes the worker) and whenever one progresses or ends (refreshes pages).</summary>
    public event Action<UnificationJob>? Changed;

    public async Task<UnificationJob> RequestRebuildAsync(AuditActor actor, string reason, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pending = await db.UnificationJobs.AsNoTracking()
            .FirstOrDefaultAsync(j => j.Kind == UnificationJobKinds.Rebuild && j.Status == UnificationJobStatus.Queued, ct);
        if (pending is not null)
        {
            return pending; // one queued rebuild already covers every rule change made before it starts
        }
        var job = await QueueAsync(db, actor, UnificationJobKinds.Rebuild, null, $"Rebuild every profile from the lake: {reason}", ct);
        await audit.RecordAsync(actor, AuditActions.RebuildRequested, "unification", job.Description, ct);
        return job;
    }

    /// <summary>Takes an identity out of a profile: it may never link with the profile's other identities again.</summary>
    public async Task<(UnificationJob? Job, string? Problem)> RemoveIdentityAsync(AuditActor actor, long profileId, IdentityKey identity, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var members = await MembersAsync(db, profileId, ct);
        if (!members.Contains(identity))
        {
            return (null, $"{identity} is not an identity of profile {profileId}.");
        }
        if (members.Count < 2)
        {
            return (null, $"{identity} is the profile's only identity; delete the profile instead.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var other in members.Where(m => m != identity))
        {
            AddRule(db, identity, other, actor, now);
        }
        var job = await QueueAsync(db, actor, UnificationJobKinds.Split, profileId, $"Remove {identity} from profile {profileId}", ct, identity);
        await audit.RecordAsync(actor, AuditActions.IdentityRemoved, $"profile {profileId}",
            $"{identity} removed; it may no longer link with {string.Join(", ", members.Where(m => m != identity))}", ct);
        return (job, null);
    }

    /// <summary>Rules that two identities of a profile are different people and splits the profile accordingly.</summary>
    public async Task<(UnificationJob? Job, string? Problem)> NeverLinkAsync(AuditActor actor, long profileId, IdentityKey a, IdentityKey b, CancellationToken ct = default)
    {
        if (a == b)
        {
            return (null, "Choose two different identities.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var members = await MembersAsync(db, profileId, ct);
        if (!members.Contains(a) || !members.Contains(b))
        {
            return (null, $"Both identities must belong to profile {profileId}.");
        }
        AddRule(db, a, b, actor, time.GetUtcNow().UtcDateTime);
        var job = await QueueAsync(db, actor, UnificationJobKinds.Split, profileId, $"Never link {a} and {b} (profile {profileId})", ct);
        await audit.RecordAsync(actor, AuditActions.NeverLinkAdded, $"profile {profileId}", $"{a} and {b} may never be one profile", ct);
        return (job, null);
    }

    /// <summary>
    /// Queues the deletion of a live profile (and, with <paramref name="eraseFromLake"/>, of the lake messages
    /// that carried its identities). The worker does it, so its identity graph forgets the profile; the audit
    /// entry is written when it is done.
    /// </summary>
    public async Task<UnificationJob> RequestDeletionAsync(AuditActor actor, long profileId, bool eraseFromLake, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await QueueAsync(db, actor, eraseFromLake ? UnificationJobKinds.Erase : UnificationJobKinds.Delete, profileId,
            eraseFromLake ? $"Delete profile {profileId} and erase its messages from the lake" : $"Delete profile {profileId}", ct);
    }

    public async Task<IReadOnlyList<NeverLinkRule>> NeverLinkRulesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.NeverLinkRules.AsNoTracking().OrderByDescending(r => r.Id).ToListAsync(ct);
    }

    /// <summary>Deletes a never-link rule. New messages may link the pair again; a rebuild applies it to the past.</summary>
    public async Task<bool> DeleteNeverLinkRuleAsync(AuditActor actor, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.NeverLinkRules.FirstOrDefaultAsync(r => r.Id == id, ct) is not { } rule)
        {
            return false;
        }
        db.NeverLinkRules.Remove(rule);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.NeverLinkDeleted, "never-link rules",
            $"{rule.NamespaceA}:{rule.ValueA} and {rule.NamespaceB}:{rule.ValueB} may link again", ct);
        RulesChanged?.Invoke();
        return true;
    }

    /// <summary>Raised when never-link rules change outside a split (the worker reloads its graph).</summary>
    public event Action? RulesChanged;

    /// <summary>How far the worker is: lake size, unified up to, when it last wrote, live profiles.</summary>
    public async Task<UnificationStatus> StatusAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var lakeEnd = await db.RawMessages.MaxAsync(m => (long?)m.Id, ct) ?? 0;
        var checkpoint = await db.UnificationCheckpoints.AsNoTracking().FirstOrDefaultAsync(ct);
        var profiles = await db.Profiles.CountAsync(p => p.MergedIntoId == null, ct);
        return new UnificationStatus(lakeEnd, checkpoint?.LastMessageId ?? 0, checkpoint?.UpdatedAt, profiles);
    }

    public async Task<IReadOnlyList<UnificationJob>> RecentAsync(int take = 20, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UnificationJobs.AsNoTracking().OrderByDescending(j => j.Id).Take(take).ToListAsync(ct);
    }

    public async Task<UnificationJob?> FindAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UnificationJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);
    }

    /// <summary>The worker's side: the oldest queued job, marked running.</summary>
    public async Task<UnificationJob?> StartNextAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.UnificationJobs.Where(j => j.Status == UnificationJobStatus.Queued).OrderBy(j => j.Id).FirstOrDefaultAsync(ct);
        if (job is null)
        {
            return null;
        }
        job.Status = UnificationJobStatus.Running;
        job.StartedAt = time.GetUtcNow().UtcDateTime;
        job.Processed = 0;
        await db.SaveChangesAsync(ct);
        Changed?.Invoke(job);
        return job;
    }

    /// <summary>Jobs a stopped server left running start over.</summary>
    public async Task RequeueInterruptedAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.UnificationJobs.Where(j => j.Status == UnificationJobStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, UnificationJobStatus.Queued).SetProperty(j => j.Processed, 0), ct);
    }

    public async Task ReportProgressAsync(UnificationJob job, long processed, long total, CancellationToken ct = default)
    {
        job.Processed = processed;
        job.Total = total;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.UnificationJobs.Where(j => j.Id == job.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Processed, processed).SetProperty(j => j.Total, total), ct);
        Changed?.Invoke(job);
    }

    public async Task FinishAsync(UnificationJob job, bool succeeded, string outcome, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.UnificationJobs.FirstAsync(j => j.Id == job.Id, ct);
        stored.Status = succeeded ? UnificationJobStatus.Succeeded : UnificationJobStatus.Failed;
        stored.FinishedAt = time.GetUtcNow().UtcDateTime;
        stored.Outcome = outcome;
        if (succeeded)
        {
            stored.Processed = Math.Max(stored.Processed, stored.Total);
        }
        await db.SaveChangesAsync(ct);
        var actor = new AuditActor(stored.RequestedByUserId, stored.RequestedBy, stored.RequestedFromIp);
        if (UnificationJobKinds.IsDeletion(stored.Kind))
        {
            await audit.RecordAsync(actor, AuditActions.ProfileDeleted, $"profile {stored.ProfileId}", succeeded ? outcome : $"failed: {outcome}", ct);
        }
        else if (stored.Kind == UnificationJobKinds.Split)
        {
            await audit.RecordAsync(actor, AuditActions.ProfileSplit, $"profile {stored.ProfileId}", succeeded ? outcome : $"failed: {outcome}", ct);
        }
        else
        {
            await audit.RecordAsync(actor, AuditActions.RebuildFinished, "unification", succeeded ? outcome : $"failed: {outcome}", ct);
        }
        Changed?.Invoke(stored);
    }

    private async Task<UnificationJob> QueueAsync(ProfileStudioDbContext db, AuditActor actor, string kind, long? profileId, string description,
        CancellationToken ct, IdentityKey? splitOff = null)
    {
        var job = new UnificationJob
        {
            SplitOff = splitOff?.ToString(),
            Kind = kind, Status = UnificationJobStatus.Queued, ProfileId = profileId, Description = description,
            RequestedBy = actor.Name, RequestedByUserId = actor.UserId, RequestedFromIp = actor.IpAddress, RequestedAt = time.GetUtcNow().UtcDateTime,
        };
        db.UnificationJobs.Add(job);
        await db.SaveChangesAsync(ct); // saves the never-link rules added with it in the same transaction
        Changed?.Invoke(job);
        return job;
    }

    private static void AddRule(ProfileStudioDbContext db, IdentityKey a, IdentityKey b, AuditActor actor, DateTime now) =>
        db.NeverLinkRules.Add(new NeverLinkRule
        {
            NamespaceA = a.Namespace, ValueA = a.Value, NamespaceB = b.Namespace, ValueB = b.Value, CreatedAt = now, CreatedBy = actor.Name,
        });

    private static async Task<HashSet<IdentityKey>> MembersAsync(ProfileStudioDbContext db, long profileId, CancellationToken ct) =>
        (await db.Identities.AsNoTracking().Where(i => i.ProfileId == profileId).Select(i => new { i.Namespace, i.Value }).ToListAsync(ct))
            .Select(i => new IdentityKey(i.Namespace, i.Value)).ToHashSet();
}

public sealed record UnificationStatus(long LakeEnd, long UnifiedUpTo, DateTime? LastRunAt, int Profiles)
{
    public long Behind => Math.Max(0, LakeEnd - UnifiedUpTo);
}
