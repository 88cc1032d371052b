using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Identity;

public sealed record InsightFilter(string? Kind = null, string? Namespace = null, DateTime? FromUtc = null, DateTime? ToUtc = null, long? ProfileId = null);

public sealed record ProfileGraph(Profile Profile, IReadOnlyList<IdentityRecord> Identities, IReadOnlyList<IdentityLink> Links, IReadOnlyDictionary<int, string> SourceNames);

/// <summary>Reads the identity graph for the studio: a profile's identities and links, the messages that carried one, and the insights log.</summary>
public sealed class IdentityReader(IDbContextFactory<ProfileStudioDbContext> dbFactory, IProfileLookupStore lookup, IdentityRulesStore rulesStore)
{
    public async Task<(IReadOnlyList<IdentityInsight> Items, int Total)> InsightsAsync(InsightFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.IdentityInsights.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Kind))
        {
            query = query.Where(i => i.Kind == filter.Kind);
        }
        if (!string.IsNullOrWhiteSpace(filter.Namespace))
        {
            query = query.Where(i => i.Namespace == filter.Namespace);
        }
        if (filter.FromUtc is { } from)
        {
            query = query.Where(i => i.At >= from);
        }
        if (filter.ToUtc is { } to)
        {
            query = query.Where(i => i.At < to);
        }
        if (filter.ProfileId is { } profile)
        {
            query = query.Where(i => i.ProfileId == profile || i.OtherProfileId == profile);
        }
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(i => i.Id).Skip(skip).Take(take).ToListAsync(ct);
        return (items, total);
    }

    /// <summary>The event times of lake messages (insights record when a message was received; people ask when it happened).</summary>
    public async Task<IReadOnlyDictionary<long, DateTime>> EventTimesAsync(IReadOnlyCollection<long> messageIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RawMessages.AsNoTracking().Where(m => messageIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.EventAt, ct);
    }

    public async Task<IReadOnlyDictionary<string, int>> InsightCountsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IdentityInsights.AsNoTracking().GroupBy(i => i.Kind).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
    }

    public async Task<ProfileGraph?> GraphAsync(long profileId, CancellationToken ct = default)
    {
        var id = await lookup.CanonicalAsync(profileId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (id is null || await db.Profiles.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct) is not { } profile)
        {
            return null;
        }
        var identities = await db.Identities.AsNoTracking().Where(i => i.ProfileId == id).OrderBy(i => i.Namespace).ThenBy(i => i.Value).ToListAsync(ct);
        var identityIds = identities.Select(i => i.Id).ToList();
        var links = await db.IdentityLinks.AsNoTracking().Where(l => identityIds.Contains(l.FromIdentityId) && identityIds.Contains(l.ToIdentityId)).ToListAsync(ct);
        var sources = await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        return new ProfileGraph(profile, identities, links, sources);
    }

    /// <summary>The lake messages that carried an identifier, newest first (the graph view's click-through).</summary>
    public async Task<IReadOnlyList<RawMessage>> MessagesWithAsync(IdentityRecord identity, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Every message that carried it lies between its first and last message; the payload holds the raw value.
        var candidates = await db.RawMessages.AsNoTracking()
            .Where(m => m.Id >= identity.FirstMessageId && m.Id <= identity.LastMessageId && m.Status == MessageStatus.Accepted)
            .OrderByDescending(m => m.Id).Take(5000).ToListAsync(ct);
        var rules = await rulesStore.LoadAsync(ct);
        var key = new IdentityKey(identity.Namespace, identity.Value);
        return candidates.Where(m =>
        {
            try
            {
                return System.Text.Json.Nodes.JsonNode.Parse(m.Payload, documentOptions: ProfileStudio.Core.Ingestion.StoredJson.DocumentOptions) is System.Text.Json.Nodes.JsonObject o
                    && IdentityExtractor.Extract(o, rules).Any(e => e.Key == key);
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }
        }).Take(take).ToList();
    }
}
