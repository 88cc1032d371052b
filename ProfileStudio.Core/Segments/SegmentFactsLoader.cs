using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// Loads <see cref="SegmentProfileFacts"/> for many profiles at once, reading only what the active segments
/// read: every attribute fragment when some segment reads attributes (the "most recent" rule needs a key's
/// neighbours), the events of the names segments read, the identities of the namespaces they read, current
/// memberships, and the values of active computed attributes under their names (a windowed value whose oldest
/// bucket has left the window is computed afresh from its state, as <see cref="ComputedAttributeReader"/> does).
/// Profiles that are not live (merged away, deleted, never existed) are left out.
/// </summary>
public static class SegmentFactsLoader
{
    /// <summary>Profiles per query (SQLite's parameter limit is far above; the point is bounded memory).</summary>
    public const int Chunk = 500;

    public static async Task<Dictionary<long, SegmentProfileFacts>> LoadAsync(
        ProfileStudioDbContext db, IReadOnlyCollection<long> profileIds, SegmentCatalogSnapshot segments, DateTime now, CancellationToken ct = default)
    {
        var facts = new Dictionary<long, SegmentProfileFacts>();
        // One connection for all the queries below: EF connections are not pooled (StorageOptions), and a context
        // left to itself opens a new one, with its pragmas and functions, around every query.
        await db.Database.OpenConnectionAsync(ct);
        foreach (var chunk in profileIds.Distinct().Chunk(Chunk))
        {
            var ids = chunk.ToList();
            var live = await db.Profiles.AsNoTracking().Where(p => EF.Parameter(ids).Contains(p.Id) && p.MergedIntoId == null).Select(p => p.Id).ToListAsync(ct);
            if (live.Count == 0)
            {
                continue;
            }
            var attributes = segments.AttributeKeys.Count == 0 ? [] : await db.ProfileAttributes.AsNoTracking().Where(a => EF.Parameter(live).Contains(a.ProfileId)).ToListAsync(ct);
            var names = segments.EventNames.ToList();
            // Only the columns a rule reads (an event's ids, source and type, an identity's times and messages are not).
            var events = names.Count == 0 ? [] : await db.ProfileEvents.AsNoTracking().Where(e => EF.Parameter(live).Contains(e.ProfileId) && EF.Parameter(names).Contains(e.Name))
                .Select(e => new ProfileEvent { ProfileId = e.ProfileId, Name = e.Name, EventAt = e.EventAt, PropertiesJson = e.PropertiesJson }).ToListAsync(ct);
            var namespaces = segments.Namespaces.ToList();
            // By profile only, namespaces filtered here: with the namespaces in the query SQLite searches the
            // (Namespace, Value) index and reads every identity of those namespaces (all e-mails) per chunk.
            var identities = namespaces.Count == 0 ? [] : (await db.Identities.AsNoTracking().Where(i => EF.Parameter(live).Contains(i.ProfileId))
                    .Select(i => new IdentityRecord { ProfileId = i.ProfileId, Namespace = i.Namespace, Value = i.Value }).ToListAsync(ct))
                .Where(i => segments.Namespaces.Contains(i.Namespace)).ToList();
            var memberships = await db.SegmentMemberships.AsNoTracking().Where(m => EF.Parameter(live).Contains(m.ProfileId)).Select(m => new { m.ProfileId, m.SegmentId }).ToListAsync(ct);
            var computed = await ComputedAsync(db, live, segments.AttributeKeys, now, ct);

            var attributesBy = attributes.ToLookup(a => a.ProfileId);
            var eventsBy = events.ToLookup(e => e.ProfileId);
            var identitiesBy = identities.ToLookup(i => i.ProfileId);
            var membershipsBy = memberships.ToLookup(m => m.ProfileId, m => m.SegmentId);
            foreach (var id in live)
            {
                facts[id] = SegmentProfileFacts.FromStored(id, attributesBy[id], eventsBy[id], identitiesBy[id], membershipsBy[id],
                    computed.GetValueOrDefault(id));
            }
        }
        return facts;
    }

    /// <summary>The values of active (aggregate) computed attributes whose names some segment reads, by profile then name.</summary>
    private static async Task<Dictionary<long, IReadOnlyDictionary<string, JsonElement>>> ComputedAsync(
        ProfileStudioDbContext db, List<long> profiles, IReadOnlySet<string> keys, DateTime now, CancellationToken ct)
    {
        var result = new Dictionary<long, IReadOnlyDictionary<string, JsonElement>>();
        if (keys.Count == 0)
        {
            return result;
        }
        var wanted = keys.ToList();
        var rows = await (
            from s in db.ComputedAttributeStates.AsNoTracking()
            join d in db.ComputedAttributeDefinitions.AsNoTracking() on s.DefinitionId equals d.Id
            where EF.Parameter(profiles).Contains(s.ProfileId) && s.MergedFromId == 0 && d.Status == ComputedStatus.Active && s.Version == d.Version && EF.Parameter(wanted).Contains(d.Name)
            select new { s, d }).ToListAsync(ct);
        foreach (var row in rows)
        {
            var valueJson = row.s.NextExpiryAt is { } expiry && expiry <= now
                ? new ComputedAggregator(row.d.ToSpec()).Value(AggregateState.FromJson(row.s.StateJson), now)
                : row.s.ValueJson;
            if (valueJson is null)
            {
                continue;
            }
            if (!result.TryGetValue(row.s.ProfileId, out var values))
            {
                result[row.s.ProfileId] = values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            }
            using var document = JsonDocument.Parse(valueJson);
            ((Dictionary<string, JsonElement>)values)[row.d.Name] = document.RootElement.Clone();
        }
        return result;
    }
}
