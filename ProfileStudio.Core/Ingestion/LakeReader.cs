using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Ingestion;

public sealed record LakeFilter(int? SourceId = null, MessageStatus? Status = null, string? Type = null, string? Text = null);

public sealed record LakePage(IReadOnlyList<RawMessage> Messages, int Total);

/// <summary>Reads the lake for the studio: the live debugger and the Rejected messages view.</summary>
public sealed class LakeReader(IDbContextFactory<ProfileStudioDbContext> dbFactory)
{
    /// <summary>The newest messages of a source, newest first.</summary>
    public async Task<IReadOnlyList<RawMessage>> RecentAsync(int sourceId, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RawMessages.AsNoTracking()
            .Where(m => m.SourceId == sourceId)
            .OrderByDescending(m => m.Id)
            .Take(take)
            .ToListAsync(ct);
    }

    public async Task<LakePage> QueryAsync(LakeFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.RawMessages.AsNoTracking().AsQueryable();
        if (filter.SourceId is { } source)
        {
            query = query.Where(m => m.SourceId == source);
        }
        // Constants, not parameters: SQLite uses the partial index on rejected rows only for a literal "Status = 2".
        if (filter.Status == MessageStatus.Rejected)
        {
            query = query.Where(m => m.Status == MessageStatus.Rejected);
        }
        else if (filter.Status == MessageStatus.Accepted)
        {
            query = query.Where(m => m.Status == MessageStatus.Accepted);
        }
        if (!string.IsNullOrWhiteSpace(filter.Type))
        {
            query = query.Where(m => m.Type == filter.Type);
        }
        if (!string.IsNullOrWhiteSpace(filter.Text))
        {
            var text = filter.Text.Trim();
            query = query.Where(m => (m.Error != null && m.Error.Contains(text)) || (m.MessageId != null && m.MessageId == text));
        }
        var total = await query.CountAsync(ct);
        var messages = await query.OrderByDescending(m => m.Id).Skip(skip).Take(take).ToListAsync(ct);
        return new LakePage(messages, total);
    }
}
