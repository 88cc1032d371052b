using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Profiles;

/// <summary>What the explorer's header shows about one profile.</summary>
public sealed record ProfileHeader(long Id, DateTime CreatedAt, DateTime UpdatedAt, string? DisplayName, string? PrimaryIdentity, int Sources, int Events);

/// <summary>A profile's attributes through one policy, with the source names the lineage refers to.</summary>
public sealed record ProfileAttributes(MergePolicy Policy, UnifiedView View, string? ScopeNote);

/// <summary>Which events of the timeline to show: by event name, and from/to (UTC, <c>To</c> exclusive).</summary>
public sealed record TimelineFilter(string? Name = null, DateTime? FromUtc = null, DateTime? ToUtc = null);

/// <summary>Where the next timeline page starts: the last event shown (newest-first order).</summary>
public sealed record TimelineCursor(DateTime EventAt, long Id);

public sealed record TimelinePage(IReadOnlyList<ProfileEvent> Events, TimelineCursor? Next, int Total);

/// <summary>
/// The explorer's reads for one profile: header, attributes through a merge policy with lineage, the
/// timeline with keyset paging, and activity per day. Short-lived contexts; nothing here writes.
/// </summary>
public sealed class ProfileExplorerReader(IDbContextFactory<ProfileStudioDbContext> dbFactory, IdentityRulesStore rulesStore, IdentityReader identities)
{
    public const int MaxPageSize = 200;

    public async Task<ProfileHeader?> HeaderAsync(long profileId, MergePolicy defaultPolicy, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Profiles.AsNoTracking().FirstOrDefaultAsync(p => p.Id == profileId && p.MergedIntoId == null, ct) is not { } profile)
        {
            return null;
        }
        var fragments = await db.ProfileAttributes.AsNoTracking().Where(a => a.ProfileId == profileId).ToListAsync(ct);
        var eventSources = await db.ProfileEvents.AsNoTracking().Where(e => e.ProfileId == profileId).Select(e => e.SourceId).Distinct().ToListAsync(ct);
        var identitySources = await db.Identities.AsNoTracking().Where(i => i.ProfileId == profileId).Select(i => i.SourceId).Distinct().ToListAsync(ct);
        var events = await db.ProfileEvents.AsNoTracking().CountAsync(e => e.ProfileId == profileId, ct);
        var sources = fragments.Select(f => f.SourceId).Concat(eventSources).Concat(identitySources).Distinct().Count();
        var name = defaultPolicy.Stitching == IdentityStitching.Graph ? DisplayName(MergePolicyEvaluator.Evaluate(fragments, defaultPolicy)) : DisplayName(fragments);
        return new ProfileHeader(profile.Id, profile.CreatedAt, profile.UpdatedAt, name, await PrimaryIdentityAsync(db, profileId, ct), sources, events);
    }

    /// <summary>
    /// The unified view through <paramref name="policy"/>. A policy without stitching reads the profile's
    /// primary identity's own data (the messages that carried it), and says so in <see cref="ProfileAttributes.ScopeNote"/>.
    /// </summary>
    public async Task<ProfileAttributes> AttributesAsync(long profileId, MergePolicy policy, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var fragments = await db.ProfileAttributes.AsNoTracking().Where(a => a.ProfileId == profileId).ToListAsync(ct);
        var names = await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        IdentityScope? scope = null;
        string? note = null;
        if (policy.Stitching == IdentityStitching.None && await PrimaryAsync(db, profileId, ct) is { } primary)
        {
            var messages = await identities.MessagesWithAsync(primary, 5000, ct);
            scope = new IdentityScope($"{primary.Namespace}:{primary.Value}", messages.Select(m => m.Id).ToHashSet());
            note = $"This policy does not stitch identities: only the data that arrived with {scope.Identity} is used.";
        }
        else if (policy.Stitching == IdentityStitching.None)
        {
            scope = new IdentityScope("no identity", new HashSet<long>());
        }
        return new ProfileAttributes(policy, MergePolicyEvaluator.Evaluate(fragments, policy, names, scope), note);
    }

    /// <summary>Events newest first, <paramref name="take"/> at a time from <paramref name="after"/>.</summary>
    public async Task<TimelinePage> TimelineAsync(long profileId, TimelineFilter filter, TimelineCursor? after, int take, CancellationToken ct = default)
    {
        take = Math.Clamp(take, 1, MaxPageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = Filtered(db, profileId, filter);
        var total = await query.CountAsync(ct);
        if (after is { } cursor)
        {
            query = query.Where(e => e.EventAt < cursor.EventAt || (e.EventAt == cursor.EventAt && e.Id < cursor.Id));
        }
        var events = await query.OrderByDescending(e => e.EventAt).ThenByDescending(e => e.Id).Take(take + 1).ToListAsync(ct);
        var next = events.Count > take ? new TimelineCursor(events[take - 1].EventAt, events[take - 1].Id) : null;
        return new TimelinePage(events.Take(take).ToList(), next, total);
    }

    /// <summary>The event names on the profile's timeline, for the filter.</summary>
    public async Task<IReadOnlyList<string>> EventNamesAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ProfileEvents.AsNoTracking().Where(e => e.ProfileId == profileId).Select(e => e.Name).Distinct().OrderBy(n => n).Take(500).ToListAsync(ct);
    }

    /// <summary>Events per UTC day under the filter, oldest day first (days without events are left out).</summary>
    public async Task<IReadOnlyList<(DateOnly Day, int Events)>> ActivityPerDayAsync(long profileId, TimelineFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Grouped here rather than in SQL: the times go through a value converter, and one profile's timeline is small.
        var times = await Filtered(db, profileId, filter).Select(e => e.EventAt).ToListAsync(ct);
        return times.GroupBy(t => DateOnly.FromDateTime(t)).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())).ToList();
    }

    /// <summary>The lake message an event came from.</summary>
    public async Task<RawMessage?> MessageAsync(long messageId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RawMessages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == messageId, ct);
    }

    /// <summary>The identity that speaks for the profile: the one whose namespace has the highest priority.</summary>
    public async Task<IdentityRecord?> PrimaryIdentityRecordAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await PrimaryAsync(db, profileId, ct);
    }

    /// <summary><c>name</c>, else <c>firstName lastName</c> (also <c>first_name</c>/<c>last_name</c>).</summary>
    public static string? DisplayName(UnifiedView view)
    {
        string? Text(string key) => view.Values.TryGetValue(key, out var v) ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;
        if (Text("name") is { Length: > 0 } name)
        {
            return name;
        }
        var full = $"{Text("firstName") ?? Text("first_name")} {Text("lastName") ?? Text("last_name")}".Trim();
        return full.Length > 0 ? full : null;
    }

    private static string? DisplayName(IReadOnlyList<ProfileAttribute> fragments) =>
        DisplayName(MergePolicyEvaluator.Evaluate(fragments, new MergePolicy { Name = "display name" }));

    private static IQueryable<ProfileEvent> Filtered(ProfileStudioDbContext db, long profileId, TimelineFilter filter)
    {
        var query = db.ProfileEvents.AsNoTracking().Where(e => e.ProfileId == profileId);
        if (!string.IsNullOrWhiteSpace(filter.Name))
        {
            query = query.Where(e => e.Name == filter.Name);
        }
        if (filter.FromUtc is { } from)
        {
            query = query.Where(e => e.EventAt >= from);
        }
        if (filter.ToUtc is { } to)
        {
            query = query.Where(e => e.EventAt < to);
        }
        return query;
    }

    private async Task<IdentityRecord?> PrimaryAsync(ProfileStudioDbContext db, long profileId, CancellationToken ct)
    {
        var rules = await rulesStore.LoadAsync(ct);
        var all = await db.Identities.AsNoTracking().Where(i => i.ProfileId == profileId).ToListAsync(ct);
        return all.OrderBy(i => rules.Find(i.Namespace)?.Priority ?? int.MaxValue).ThenBy(i => i.Value, StringComparer.Ordinal).FirstOrDefault();
    }

    private async Task<string?> PrimaryIdentityAsync(ProfileStudioDbContext db, long profileId, CancellationToken ct) =>
        await PrimaryAsync(db, profileId, ct) is { } i ? $"{i.Namespace}:{i.Value}" : null;
}
