using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Profiles;

/// <summary>
/// The read side of the profile store, for the explorer, the Profile API and everything else that
/// shows a profile: find by any identifier, the unified view through a merge policy, identities,
/// the timeline, metadata and activity. Every read is a short no-tracking query on an index
/// (identities by (namespace, value), attributes by their (profile, …) key, events by
/// (profile, event time)), so a read costs the same at a million profiles as at ten. Identity rules
/// and source names are cached and reloaded when they change.
/// </summary>
public sealed class ProfileReader
{
    private static readonly TimeSpan SourceNamesLifetime = TimeSpan.FromSeconds(10);

    private readonly IDbContextFactory<ProfileStudioDbContext> _dbFactory;
    private readonly IdentityRulesStore _rulesStore;
    private readonly MergePolicyStore _policyStore;
    private readonly TimeProvider _time;
    private readonly IProfileLookupStore _lookup;
    private volatile IdentityRules? _rules;
    private volatile IReadOnlyList<MergePolicy>? _policies;
    private volatile SourceNames? _sourceNames;

    public ProfileReader(IDbContextFactory<ProfileStudioDbContext> dbFactory, IProfileLookupStore lookup, IdentityRulesStore rulesStore, MergePolicyStore policyStore, TimeProvider time)
    {
        _dbFactory = dbFactory;
        _lookup = lookup;
        _rulesStore = rulesStore;
        _policyStore = policyStore;
        _time = time;
        rulesStore.Changed += () => _rules = null;
        policyStore.Changed += () => _policies = null;
    }

    /// <summary>
    /// The merge policy to read through: the default when <paramref name="idOrName"/> is empty, else the
    /// policy with that id or name (case-insensitive); null when there is none. Cached until policies change.
    /// </summary>
    public async Task<MergePolicy?> PolicyAsync(string? idOrName, CancellationToken ct = default)
    {
        var policies = _policies ??= await _policyStore.ListAsync(ct);
        if (string.IsNullOrWhiteSpace(idOrName))
        {
            return policies.FirstOrDefault(p => p.IsDefault) ?? await _policyStore.GetDefaultAsync(ct);
        }
        var text = idOrName.Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && policies.FirstOrDefault(p => p.Id == id) is { } byId
            ? byId
            : policies.FirstOrDefault(p => string.Equals(p.Name, text, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The live profile an identifier points at: <c>namespace:value</c> with the value normalized as
    /// ingestion does (a phone typed in any format), or <c>profile_id:N</c> (merged ids redirect to the
    /// survivor). The text is taken as it is: URL-decoding is the caller's.
    /// </summary>
    public async Task<ProfileLookup> FindAsync(string namespaceColonValue, CancellationToken ct = default)
    {
        var text = namespaceColonValue.Trim();
        var colon = text.IndexOf(':');
        if (colon <= 0)
        {
            return ProfileLookup.Invalid("Identify the profile as namespace:value, e.g. email:ada@example.com, or as profile_id:123.");
        }
        var ns = text[..colon].Trim();
        var raw = text[(colon + 1)..];
        if (ns == "profile_id")
        {
            if (!long.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return ProfileLookup.Invalid($"\"{raw}\" is not a profile id; a profile id is a whole number.");
            }
            return await _lookup.CanonicalAsync(id, ct) is { } live ? ProfileLookup.Of(live, null) : ProfileLookup.NotFound;
        }
        var rules = await RulesAsync(ct);
        if (rules.Find(ns) is not { } rule)
        {
            return ProfileLookup.Invalid(
                $"There is no namespace \"{ns}\"; use one of {string.Join(", ", rules.Namespaces.Select(n => n.Name).Append("profile_id"))}.");
        }
        var (normalized, problem) = IdentityNormalizer.Normalize(rule, raw);
        if (normalized is null || normalized.Length == 0)
        {
            return ProfileLookup.Invalid(problem ?? $"Give a value after \"{ns}:\".");
        }
        // What ingestion refuses as an identifier (too long, a control character) is no
        // profile's: a reason, not a "not found" that reads as if the person might exist.
        if (Ingestion.MessageShape.IdentifierProblem(ns, normalized) is { } unusable)
        {
            return ProfileLookup.Invalid($"{unusable} No profile can have it.");
        }

        // Identities always point at the live profile (a merge moves them), so no redirect to follow.
        var key = new IdentityKey(rule.Name, normalized);
        return await _lookup.ProfileOfAsync(key, ct) is { } profileId ? ProfileLookup.Of(profileId, key) : ProfileLookup.NotFound;
    }

    /// <summary>The live profile an id stands for (merged ids redirect to the survivor); null when there is none.</summary>
    public Task<long?> CanonicalAsync(long profileId, CancellationToken ct = default) => _lookup.CanonicalAsync(profileId, ct);

    /// <summary>
    /// The profile's attributes through <paramref name="policy"/>, with the lineage of every key; null
    /// when the profile does not exist.
    /// </summary>
    /// <remarks>
    /// A policy without stitching reads only the data of one identity: <paramref name="identity"/> (the
    /// identifier the profile was looked up by), or, when none is given (e.g. looked up by profile id),
    /// the profile's primary identity (highest-priority namespace, then value). That identity's messages
    /// are the lake messages behind the profile's fragments that carried it: a fragment's message counts
    /// when it lies in the identity's first..last message range and its payload holds the identity.
    /// Stored fragments keep the latest value per source and key, so a value the identity sent that a
    /// later message without it overwrote is not recovered (see <see cref="MergePolicyEvaluator"/>).
    /// </remarks>
    public async Task<UnifiedView?> TraitsAsync(long profileId, MergePolicy policy, IdentityKey? identity = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (await _lookup.FragmentsAsync(profileId, ct) is not { } fragments)
        {
            return null;
        }
        var sources = await SourceNamesAsync(null, ct);
        if (fragments.Any(f => !sources.ContainsKey(f.SourceId)))
        {
            // A source created since the names were cached (e.g. "Studio edits" on its first edit): its name is shown at once.
            _sourceNames = null;
            sources = await SourceNamesAsync(null, ct);
        }
        IdentityScope? scope = null;
        if (policy.Stitching == IdentityStitching.None)
        {
            await using var db = await _dbFactory.CreateDbContextAsync(ct);
            scope = await ScopeAsync(db, profileId, identity, fragments, ct);
        }
        return MergePolicyEvaluator.Evaluate(fragments, policy, sources, scope);
    }

    /// <summary>The profile's identifiers, by namespace priority then value.</summary>
    public async Task<IReadOnlyList<ProfileIdentity>> IdentitiesAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Identities.AsNoTracking().Where(i => i.ProfileId == profileId)
            .Select(i => new
            {
                i.Id, i.Namespace, i.Value, i.SourceId, i.FirstSeenAt, i.LastSeenAt, i.FirstMessageId,
                ClientMessageId = db.RawMessages.Where(m => m.Id == i.FirstMessageId).Select(m => m.MessageId).FirstOrDefault(),
            })
            .ToListAsync(ct);
        var rules = await RulesAsync(ct);
        var sources = await SourceNamesAsync(db, ct);
        return rules.InPriorityOrder(rows, i => i.Namespace, i => i.Value)
            .Select(i => new ProfileIdentity(i.Id, i.Namespace, i.Value, i.SourceId, sources.GetValueOrDefault(i.SourceId, $"source {i.SourceId}"),
                i.FirstSeenAt, i.LastSeenAt, i.FirstMessageId, i.ClientMessageId))
            .ToList();
    }

    /// <summary>
    /// One page of the profile's timeline, in (event time, id) order, newest first unless asked
    /// otherwise. Keyset paging on the (profile, event time) index: page 1,000 costs what page 1 does.
    /// </summary>
    public async Task<EventPage> EventsAsync(long profileId, EventQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, EventQuery.MaxLimit);
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var events = db.ProfileEvents.AsNoTracking().Where(e => e.ProfileId == profileId);
        if (query.Start is { } start)
        {
            events = events.Where(e => e.EventAt >= start);
        }
        if (query.End is { } end)
        {
            events = events.Where(e => e.EventAt < end);
        }
        if (query.IncludeNames.Count > 0)
        {
            var names = query.IncludeNames.ToList();
            events = events.Where(e => names.Contains(e.Name));
        }
        if (query.ExcludeNames.Count > 0)
        {
            var names = query.ExcludeNames.ToList();
            events = events.Where(e => !names.Contains(e.Name));
        }
        if (query.Types.Count > 0)
        {
            var types = query.Types.ToList();
            events = events.Where(e => types.Contains(e.Type));
        }
        if (query.After is { } after)
        {
            if (after.Ascending != query.Ascending)
            {
                // "After" an event means the other side of it in the other direction: the page would repeat or skip events.
                throw new ArgumentException($"The cursor pages {(after.Ascending ? "oldest" : "newest")} first; read on in its own order.", nameof(query));
            }
            var (at, id) = (after.EventAt, after.Id);
            events = query.Ascending
                ? events.Where(e => e.EventAt > at || (e.EventAt == at && e.Id > id))
                : events.Where(e => e.EventAt < at || (e.EventAt == at && e.Id < id));
        }
        events = query.Ascending
            ? events.OrderBy(e => e.EventAt).ThenBy(e => e.Id)
            : events.OrderByDescending(e => e.EventAt).ThenByDescending(e => e.Id);
        var page = await events.Take(limit + 1).ToListAsync(ct);
        if (page.Count <= limit)
        {
            return new EventPage(page, null);
        }
        page.RemoveAt(limit);
        return new EventPage(page, new EventCursor(page[^1].EventAt, page[^1].Id, query.Ascending));
    }

    /// <summary>When the profile was first seen, last changed and last active, and its first and last messages; null when it does not exist.</summary>
    public async Task<ProfileMetadata?> MetadataAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var profile = await db.Profiles.AsNoTracking().FirstOrDefaultAsync(p => p.Id == profileId && p.MergedIntoId == null, ct);
        if (profile is null)
        {
            return null;
        }
        var messages = await db.RawMessages.AsNoTracking()
            .Where(m => m.Id == profile.FirstMessageId || m.Id == profile.LastMessageId)
            .Select(m => new { m.Id, m.MessageId, m.SourceId, m.ReceivedAt })
            .ToListAsync(ct);
        var sources = await SourceNamesAsync(db, ct);
        ProfileMessageRef? Ref(long id) => messages.FirstOrDefault(m => m.Id == id) is { } m
            ? new ProfileMessageRef(m.Id, m.MessageId, m.SourceId, sources.GetValueOrDefault(m.SourceId, $"source {m.SourceId}"), m.ReceivedAt)
            : null;
        var identities = await db.Identities.CountAsync(i => i.ProfileId == profileId, ct);
        var events = await db.ProfileEvents.LongCountAsync(e => e.ProfileId == profileId, ct);
        return new ProfileMetadata(profile.Id, profile.CreatedAt, profile.UpdatedAt, profile.LastActivityAt, Ref(profile.FirstMessageId), Ref(profile.LastMessageId), identities, events);
    }

    /// <summary>Events per day (UTC) over the profile's whole timeline, oldest first; days without events are left out.</summary>
    public async Task<IReadOnlyList<ActivityDay>> ActivityAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        // Event times are stored as 'yyyy-MM-dd HH:mm:ss…' text: the first ten characters are the day.
        var days = await db.Database
            .SqlQuery<ActivityRow>($"SELECT substr(EventAt, 1, 10) AS Day, COUNT(*) AS Events FROM ProfileEvents WHERE ProfileId = {profileId} GROUP BY 1 ORDER BY 1")
            .ToListAsync(ct);
        return days.Select(d => new ActivityDay(DateOnly.ParseExact(d.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture), d.Events)).ToList();
    }

    private sealed record ActivityRow(string Day, int Events);

    private async Task<IdentityScope> ScopeAsync(ProfileStudioDbContext db, long profileId, IdentityKey? asked, List<ProfileAttribute> fragments, CancellationToken ct)
    {
        var rules = await RulesAsync(ct);
        var candidates = await db.Identities.AsNoTracking().Where(i => i.ProfileId == profileId).ToListAsync(ct);
        var identity = asked is { } key
            ? candidates.FirstOrDefault(i => i.Namespace == key.Namespace && i.Value == key.Value)
            : rules.InPriorityOrder(candidates, i => i.Namespace, i => i.Value).FirstOrDefault();
        if (identity is null)
        {
            return new IdentityScope(asked?.ToString() ?? $"profile {profileId}", new HashSet<long>());
        }
        var identityKey = new IdentityKey(identity.Namespace, identity.Value);
        var inRange = fragments.Select(f => f.MessageId)
            .Where(id => id >= identity.FirstMessageId && id <= identity.LastMessageId)
            .Distinct().ToList();
        var carried = new HashSet<long>();
        foreach (var chunk in inRange.Chunk(500))
        {
            var payloads = await db.RawMessages.AsNoTracking().Where(m => chunk.Contains(m.Id)).Select(m => new { m.Id, m.Payload }).ToListAsync(ct);
            foreach (var message in payloads)
            {
                if (Carries(message.Payload, identityKey, rules))
                {
                    carried.Add(message.Id);
                }
            }
        }
        return new IdentityScope(identityKey.ToString(), carried);
    }

    internal static bool Carries(string payload, IdentityKey identity, IdentityRules rules)
    {
        try
        {
            return JsonNode.Parse(payload, documentOptions: StoredJson.DocumentOptions) is JsonObject message && IdentityExtractor.Extract(message, rules).Any(e => e.Key == identity);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async ValueTask<IdentityRules> RulesAsync(CancellationToken ct) => _rules ??= await _rulesStore.LoadAsync(ct);

    private async ValueTask<IReadOnlyDictionary<int, string>> SourceNamesAsync(ProfileStudioDbContext? db, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_sourceNames is { } cached && now - cached.LoadedAt < SourceNamesLifetime)
        {
            return cached.Names;
        }
        // Sources are few and renamed rarely: a name may lag a rename by a few seconds.
        await using var own = db is null ? await _dbFactory.CreateDbContextAsync(ct) : null;
        var names = await (db ?? own!).Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        _sourceNames = new SourceNames(names, now);
        return names;
    }

    private sealed record SourceNames(IReadOnlyDictionary<int, string> Names, DateTimeOffset LoadedAt);
}
