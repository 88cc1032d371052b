using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Unification;

/// <summary>A set-aside message with its lake row.</summary>
public sealed record PoisonMessage(RawMessage Message, SetAsideMessage SetAside);

public sealed record PoisonMessagePage(IReadOnlyList<PoisonMessage> Messages, int Total);

/// <summary>
/// The messages unification set aside (see <see cref="SetAsideMessage"/>), for Data › Rejected
/// messages: listed with their reasons, and retried on request once the cause is fixed (the worker
/// does the retry, as it owns every write to the profile store). Retry requests are audited.
/// </summary>
public sealed class PoisonMessages(IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    /// <summary>Raised when someone asks for a retry (wakes the worker).</summary>
    public event Action? RetryRequested;

    /// <summary>Raised by the worker when it set messages aside or retried some (open pages refresh).</summary>
    public event Action? Changed;

    public void NotifyChanged()
    {
        foreach (var subscriber in Changed?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action)subscriber)();
            }
            catch (Exception)
            {
                // A closed page must not stop unification.
            }
        }
    }

    public async Task<PoisonMessagePage> QueryAsync(LakeFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = from s in db.SetAsideMessages.AsNoTracking()
                    join m in db.RawMessages.AsNoTracking() on s.MessageId equals m.Id
                    select new { m, s };
        if (filter.SourceId is { } source)
        {
            query = query.Where(x => x.m.SourceId == source);
        }
        if (!string.IsNullOrWhiteSpace(filter.Type))
        {
            query = query.Where(x => x.m.Type == filter.Type);
        }
        if (!string.IsNullOrWhiteSpace(filter.Text))
        {
            var text = filter.Text.Trim();
            query = query.Where(x => x.s.Reason.Contains(text) || (x.m.MessageId != null && x.m.MessageId == text));
        }
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(x => x.s.MessageId).Skip(skip).Take(take).ToListAsync(ct);
        return new PoisonMessagePage([.. rows.Select(x => new PoisonMessage(x.m, x.s))], total);
    }

    public async Task<int> CountAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SetAsideMessages.CountAsync(ct);
    }

    /// <summary>Asks the worker to process these set-aside messages again (all of them when <paramref name="messageIds"/> is null).</summary>
    public async Task<int> RequestRetryAsync(AuditActor actor, IReadOnlyCollection<long>? messageIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.SetAsideMessages.Where(s => s.RetryRequestedAt == null);
        if (messageIds is not null)
        {
            query = query.Where(s => messageIds.Contains(s.MessageId));
        }
        var now = time.GetUtcNow().UtcDateTime;
        var count = await query.ExecuteUpdateAsync(u => u.SetProperty(s => s.RetryRequestedAt, now), ct);
        if (count > 0)
        {
            var which = messageIds is null ? "every set-aside message" : $"lake messages {string.Join(", ", messageIds.Order().Take(20))}{(messageIds.Count > 20 ? ", …" : "")}";
            await audit.RecordAsync(actor, AuditActions.SetAsideRetryRequested, "unification", $"{count:N0} to retry: {which}", ct);
            RetryRequested?.Invoke();
        }
        return count;
    }
}
