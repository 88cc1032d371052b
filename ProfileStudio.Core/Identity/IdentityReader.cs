using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Identity;

public sealed record InsightFilter(string? Kind = null, string? Namespace = null, DateTime? FromUtc = null, DateTime? ToUtc = null, long? ProfileId = null);

public sealed record ProfileListItem(long Id, DateTime CreatedAt, DateTime UpdatedAt, int Identities, string? PrimaryIdentity);

public sealed record ProfileGraph(Profile Profile, IReadOnlyList<IdentityRecord> Identities, IReadOnlyList<IdentityLink> Links, IReadOnlyDictionary<int, string> SourceNames);

/// <summary>Reads the identity graph for the studio: profiles, their identities and links, and the insights log.</summary>
public sealed class IdentityReader(IDbContextFactory<ProfileStudioDbContext> dbFactory, IdentityRulesStore rulesStore)
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

    public async Task<IReadOnlyDictionary<string, int>> InsightCountsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IdentityInsights.AsNoTracking().GroupBy(i => i.Kind).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
    }

    /// <summary>Live profiles, newest first. <paramref name="search"/> is <c>namespace:value</c> (normalized like ingestion) or a profile id.</summary>
    public async Task<(IReadOnlyList<ProfileListItem> Items, int Total, string? Problem)> ProfilesAsync(string? search, int skip, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var profiles = db.Profiles.AsNoTracking().Where(p => p.MergedIntoId == null);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var found = await FindAsync(search, ct);
            if (found.Problem is not null || found.ProfileId is null)
            {
                return ([], 0, found.Problem ?? "No profile has this identifier.");
            }
            profiles = profiles.Where(p => p.Id == found.ProfileId);
        }
        var total = await profiles.CountAsync(ct);
        var page = await profiles.OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id).Skip(skip).Take(take)
            .Select(p => new
            {
                p.Id, p.CreatedAt, p.UpdatedAt,
                Identities = db.Identities.Count(i => i.ProfileId == p.Id),
            }).ToListAsync(ct);
        var ids = page.Select(p => p.Id).ToList();
        var identities = await db.Identities.AsNoTracking().Where(i => ids.Contains(i.ProfileId)).ToListAsync(ct);
        var rules = await rulesStore.LoadAsync(ct);
        return (page.Select(p => new ProfileListItem(p.Id, p.CreatedAt, p.UpdatedAt, p.Identities,
            identities.Where(i => i.ProfileId == p.Id)
                .OrderBy(i => rules.Find(i.Namespace)?.Priority ?? int.MaxValue).ThenBy(i => i.Value)
                .Select(i => $"{i.Namespace}:{i.Value}").FirstOrDefault())).ToList(), total, null);
    }

    /// <summary>
    /// The profile an identifier or id points at, following merges. Accepts <c>namespace:value</c>
    /// (the value normalized as ingestion does, so a phone can be typed in any format),
    /// <c>profile_id:123</c> or a bare number.
    /// </summary>
    public async Task<(long? ProfileId, string? Problem)> FindAsync(string search, CancellationToken ct = default)
    {
        search = search.Trim();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (long.TryParse(search.StartsWith("profile_id:", StringComparison.Ordinal) ? search["profile_id:".Length..] : search, out var id))
        {
            return (await CanonicalAsync(db, id, ct), null);
        }
        var colon = search.IndexOf(':');
        if (colon <= 0)
        {
            return (null, "Search by namespace:value (e.g. email:ada@example.com, phone:07700 900123) or by profile id.");
        }
        var rules = await rulesStore.LoadAsync(ct);
        if (rules.Find(search[..colon].Trim()) is not { } rule)
        {
            return (null, $"There is no namespace \"{search[..colon]}\"; use one of {string.Join(", ", rules.Namespaces.Select(n => n.Name))}.");
        }
        var (normalized, problem) = IdentityNormalizer.Normalize(rule, search[(colon + 1)..]);
        if (normalized is null)
        {
            return (null, problem);
        }
        var profile = await db.Identities.AsNoTracking().Where(i => i.Namespace == rule.Name && i.Value == normalized).Select(i => (long?)i.ProfileId).FirstOrDefaultAsync(ct);
        return (profile, null);
    }

    public async Task<ProfileGraph?> GraphAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = await CanonicalAsync(db, profileId, ct);
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
                return System.Text.Json.Nodes.JsonNode.Parse(m.Payload) is System.Text.Json.Nodes.JsonObject o
                    && IdentityExtractor.Extract(o, rules).Any(e => e.Key == key);
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }
        }).Take(take).ToList();
    }

    private static async Task<long?> CanonicalAsync(ProfileStudioDbContext db, long id, CancellationToken ct)
    {
        for (var hops = 0; hops < 64; hops++)
        {
            var row = await db.Profiles.AsNoTracking().Where(p => p.Id == id).Select(p => new { p.MergedIntoId }).FirstOrDefaultAsync(ct);
            if (row is null)
            {
                return null;
            }
            if (row.MergedIntoId is not { } into)
            {
                return id;
            }
            id = into;
        }
        return null;
    }
}
