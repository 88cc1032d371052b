using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Auditing;

public sealed record AuditFilter(string? Actor = null, string? Action = null, DateTime? FromUtc = null, DateTime? ToUtc = null);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, int Total);

/// <summary>Records who changed what, and reads it back for the Audit log page.</summary>
public sealed class AuditLog(IDbContextFactory<ProfileStudioDbContext> dbFactory, TimeProvider time)
{
    public async Task RecordAsync(AuditActor actor, string action, string target, string details = "", CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.AuditEntries.Add(new AuditEntry
        {
            At = time.GetUtcNow().UtcDateTime,
            ActorId = actor.UserId,
            ActorName = actor.Name,
            IpAddress = actor.IpAddress,
            Action = action,
            Target = target,
            Details = details,
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<AuditPage> QueryAsync(AuditFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.AuditEntries.AsNoTracking().AsQueryable();
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            // Case-insensitive: sign-ins record the email as it was typed (SQLite's instr() is case-sensitive).
            var actor = filter.Actor.Trim().ToLowerInvariant();
            query = query.Where(e => e.ActorName.ToLower().Contains(actor) || e.Target.ToLower().Contains(actor));
        }
        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            query = query.Where(e => e.Action == filter.Action);
        }
        if (filter.FromUtc is { } from)
        {
            query = query.Where(e => e.At >= from);
        }
        if (filter.ToUtc is { } to)
        {
            query = query.Where(e => e.At < to);
        }
        var total = await query.CountAsync(ct);
        var entries = await query.OrderByDescending(e => e.Id).Skip(skip).Take(take).ToListAsync(ct);
        return new AuditPage(entries, total);
    }

    public async Task<IReadOnlyList<string>> ActionsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AuditEntries.AsNoTracking().Select(e => e.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
    }
}
