using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Profiles;

/// <summary>
/// What the explorer's header shows about one profile: who the person is (best name, e-mail and phone,
/// from identities or attributes, whatever the source called them), when they were first seen and last
/// active (event times), and when the studio last received data about them (processing time).
/// </summary>
public sealed record ProfileHeader(
    long Id,
    DateTime FirstSeenAt,
    DateTime LastActivityAt,
    DateTime? LastReceivedAt,
    string? DisplayName,
    ProfileContact Contact,
    ProfileIdentity? PrimaryIdentity,
    int Sources,
    long Events);

/// <summary>A person's e-mail address and phone number as the header shows them; null when none is known.</summary>
public sealed record ProfileContact(string? Email, string? Phone);

/// <summary>A profile's attributes through one policy, and a note when the policy reads one identity only.</summary>
public sealed record ProfileAttributes(MergePolicy Policy, UnifiedView View, string? ScopeNote);

/// <summary>Which events of the timeline to show: by event name, and from/to (UTC, <c>To</c> exclusive).</summary>
public sealed record TimelineFilter(string? Name = null, DateTime? FromUtc = null, DateTime? ToUtc = null)
{
    public bool IsEmpty => this == new TimelineFilter();
}

/// <summary>One merge on the way from a merged profile id to the live profile: <c>From</c> went into <c>Into</c>, at <c>At</c> when recorded.</summary>
public sealed record ProfileMerge(long From, long Into, DateTime? At);

/// <summary>
/// The explorer's view of one profile, on top of <see cref="ProfileReader"/>: a header with a display
/// name, attributes through a policy, timeline pages under the explorer's filter, plus the two small
/// reads the reader does not offer (the event names for the filter, and an event's lake message).
/// </summary>
public sealed class ProfileExplorerReader(ProfileReader reader, IDbContextFactory<ProfileStudioDbContext> dbFactory, ComputedAttributes.ComputedAttributeReader computed)
{
    /// <summary>The profile's computed values (active definitions), with computed-at and the definition, by name.</summary>
    public Task<IReadOnlyList<ComputedAttributes.ComputedValue>> ComputedAsync(long profileId, CancellationToken ct = default) =>
        computed.ValuesOfProfileAsync(profileId, ct);

    public async Task<ProfileHeader?> HeaderAsync(long profileId, MergePolicy defaultPolicy, CancellationToken ct = default)
    {
        if (await reader.MetadataAsync(profileId, ct) is not { } metadata)
        {
            return null;
        }
        var identities = await reader.IdentitiesAsync(profileId, ct);
        var view = await reader.TraitsAsync(profileId, defaultPolicy, ct: ct);
        var sources = identities.Select(i => i.SourceId)
            .Concat(view?.Attributes.SelectMany(a => a.Losers.Select(l => l.Fragment.SourceId).Append(a.Winner?.SourceId ?? 0)) ?? [])
            .Concat(new[] { metadata.FirstMessage?.SourceId ?? 0, metadata.LastMessage?.SourceId ?? 0 })
            .Where(id => id != 0).Distinct().Count();
        // Profiles.CreatedAt is the earliest event time of the person's messages; LastActivityAt the latest timeline event (first seen while there is none).
        return new ProfileHeader(metadata.ProfileId, metadata.CreatedAt, metadata.LastActivityAt ?? metadata.CreatedAt, metadata.LastMessage?.ReceivedAt,
            view is null ? null : DisplayName(view), ContactOf(identities, view), identities.FirstOrDefault(), sources, metadata.Events);
    }

    /// <summary>The unified view through <paramref name="policy"/>; a policy without stitching reads the primary identity's own data.</summary>
    public async Task<ProfileAttributes?> AttributesAsync(long profileId, MergePolicy policy, CancellationToken ct = default)
    {
        if (await reader.TraitsAsync(profileId, policy, ct: ct) is not { } view)
        {
            return null;
        }
        var note = policy.Stitching == IdentityStitching.None && (await reader.IdentitiesAsync(profileId, ct)).FirstOrDefault() is { } primary
            ? $"This policy does not stitch identities: only the data that arrived with {primary.Namespace}:{primary.Value} is used."
            : null;
        return new ProfileAttributes(policy, view, note);
    }

    /// <summary>Events newest first, <paramref name="take"/> at a time, starting after <paramref name="after"/>.</summary>
    public Task<EventPage> TimelineAsync(long profileId, TimelineFilter filter, EventCursor? after, int take, CancellationToken ct = default) =>
        reader.EventsAsync(profileId, new EventQuery
        {
            IncludeNames = string.IsNullOrWhiteSpace(filter.Name) ? [] : [filter.Name],
            Start = filter.FromUtc,
            End = filter.ToUtc,
            After = after,
            Limit = take,
        }, ct);

    /// <summary>
    /// The part of the timeline a page shows, read again: every event from the newest down to <paramref name="oldestShown"/> (the cursor
    /// of the oldest event shown; null when the whole timeline was shown), however many pages that is, so events that arrived since are
    /// in their places and none shown before is dropped. <see cref="EventPage.Next"/> is <paramref name="oldestShown"/> while older
    /// events remain, so "older events" goes on where it was.
    /// </summary>
    public async Task<EventPage> TimelineThroughAsync(long profileId, TimelineFilter filter, EventCursor? oldestShown, CancellationToken ct = default)
    {
        var events = new List<ProfileEvent>();
        EventCursor? after = null;
        while (true)
        {
            var page = await TimelineAsync(profileId, filter, after, EventQuery.MaxLimit, ct);
            if (oldestShown is not { } oldest)
            {
                events.AddRange(page.Events);
            }
            else
            {
                events.AddRange(page.Events.Where(e => !IsOlder(e, oldest)));
                if (page.Events.Count > 0 && !IsOlder(oldest, page.Events[^1]))
                {
                    // This page reached the oldest event shown: older ones are left for "older events", as before.
                    return new EventPage(events, page.Next is null && !IsOlder(page.Events[^1], oldest) ? null : oldest);
                }
            }
            if (page.Next is null)
            {
                return new EventPage(events, null);
            }
            after = page.Next;
        }
    }

    /// <summary>Whether <paramref name="e"/> comes after <paramref name="cursor"/> in the timeline's newest-first order.</summary>
    private static bool IsOlder(ProfileEvent e, EventCursor cursor) => (e.EventAt, e.Id).CompareTo((cursor.EventAt, cursor.Id)) < 0;

    private static bool IsOlder(EventCursor cursor, ProfileEvent e) => (cursor.EventAt, cursor.Id).CompareTo((e.EventAt, e.Id)) < 0;

    public Task<IReadOnlyList<ActivityDay>> ActivityAsync(long profileId, CancellationToken ct = default) => reader.ActivityAsync(profileId, ct);

    /// <summary>
    /// How <paramref name="mergedId"/> came to redirect to the live profile: each merge on the way, oldest first, with its time from
    /// the identity decisions (kept through merges and splits). Redirects are one hop (a profile merged into one that was merged later
    /// points at the last survivor), so the merges are found among the decisions of the survivor and the profiles merged into it,
    /// by their (indexed) profile id. Empty when the id is not a merged one.
    /// </summary>
    public async Task<IReadOnlyList<ProfileMerge>> MergesAsync(long mergedId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Profiles.AsNoTracking().Where(p => p.Id == mergedId).Select(p => p.MergedIntoId).FirstOrDefaultAsync(ct) is not { } survivor)
        {
            return [];
        }
        var candidates = await db.Profiles.AsNoTracking().Where(p => p.MergedIntoId == survivor).Select(p => p.Id).ToListAsync(ct);
        candidates.Add(survivor);
        var decisions = await db.IdentityInsights.AsNoTracking()
            .Where(i => i.ProfileId != null && candidates.Contains(i.ProfileId.Value) && i.Kind == Identity.InsightKinds.Merged && i.OtherProfileId != null)
            .Select(i => new { i.Id, Into = i.ProfileId!.Value, From = i.OtherProfileId!.Value, i.At })
            .ToListAsync(ct);
        var merges = new List<ProfileMerge>();
        for (var from = mergedId; from != survivor && merges.Count < candidates.Count;)
        {
            // The latest decision about it: a profile split off again and merged later has its last merge.
            var merge = decisions.Where(d => d.From == from).MaxBy(d => d.Id);
            if (merge is null)
            {
                merges.Add(new ProfileMerge(from, survivor, null)); // merged before the decision was kept (or by a split's recompute)
                break;
            }
            merges.Add(new ProfileMerge(from, merge.Into, merge.At));
            from = merge.Into;
        }
        return merges;
    }

    /// <summary>The record of <paramref name="profileId"/>'s deletion (its id is kept so no one else gets it); null when it was not deleted.</summary>
    public async Task<DeletedProfile?> DeletionAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.DeletedProfiles.AsNoTracking().FirstOrDefaultAsync(d => d.Id == profileId, ct);
    }

    /// <summary>The event names on the profile's timeline, for the filter.</summary>
    public async Task<IReadOnlyList<string>> EventNamesAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ProfileEvents.AsNoTracking().Where(e => e.ProfileId == profileId).Select(e => e.Name).Distinct().OrderBy(n => n).Take(500).ToListAsync(ct);
    }

    /// <summary>The lake message an event came from.</summary>
    public async Task<RawMessage?> MessageAsync(long messageId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RawMessages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == messageId, ct);
    }

    /// <summary>The identity that speaks for the profile: the one whose namespace has the highest priority.</summary>
    public async Task<ProfileIdentity?> PrimaryIdentityAsync(long profileId, CancellationToken ct = default) =>
        (await reader.IdentitiesAsync(profileId, ct)).FirstOrDefault();

    /// <summary>The identity an attribute edit is sent with (<see cref="Ingestion.StudioEdits.EditableIdentity"/>); null when the profile cannot be edited.</summary>
    public async Task<Identity.IdentityKey?> EditableIdentityAsync(long profileId, CancellationToken ct = default) =>
        Ingestion.StudioEdits.EditableIdentity((await reader.IdentitiesAsync(profileId, ct)).Select(i => i.Key));

    /// <summary>
    /// <c>name</c> (or <c>full_name</c>, <c>Customer Name</c>…), else first and last name (<c>firstName</c>,
    /// <c>first_name</c>, <c>First Name</c>…): keys are compared without case, spaces, dots or underscores.
    /// </summary>
    public static string? DisplayName(UnifiedView view)
    {
        if (Find(view, k => k is "name" or "fullname" or "customername" or "contactname") is { } name)
        {
            return name;
        }
        var full = $"{Find(view, k => k is "firstname" or "givenname")} {Find(view, k => k is "lastname" or "surname" or "familyname")}".Trim();
        return full.Length > 0 ? full : null;
    }

    /// <summary>
    /// The e-mail address and phone number to show: an identity of the <c>email</c> / <c>phone</c> namespace
    /// first (the normalized identifier, in namespace priority order), else an attribute whose key names one
    /// (<c>email</c>, <c>Customer Email</c>, <c>contact.email</c>, <c>mobile_phone</c>…).
    /// </summary>
    public static ProfileContact ContactOf(IReadOnlyList<ProfileIdentity> identities, UnifiedView? view)
    {
        var email = identities.FirstOrDefault(i => i.Namespace.Contains("email", StringComparison.OrdinalIgnoreCase))?.Value
            ?? (view is null ? null : Find(view, k => k.EndsWith("email", StringComparison.Ordinal)));
        var phone = identities.FirstOrDefault(i => i.Namespace.Contains("phone", StringComparison.OrdinalIgnoreCase) || i.Namespace.Contains("mobile", StringComparison.OrdinalIgnoreCase))?.Value
            ?? (view is null ? null : Find(view, k => k.EndsWith("phone", StringComparison.Ordinal) || k.EndsWith("mobile", StringComparison.Ordinal) || k.EndsWith("phonenumber", StringComparison.Ordinal)));
        return new ProfileContact(email, phone);
    }

    /// <summary>The first non-empty text value whose key (last dotted part, lower case, letters and digits only) matches.</summary>
    private static string? Find(UnifiedView view, Func<string, bool> matches)
    {
        foreach (var (key, value) in view.Values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!matches(Simplify(key)))
            {
                continue;
            }
            var text = value.ValueKind == JsonValueKind.String ? value.GetString() : value.ValueKind is JsonValueKind.Number ? value.GetRawText() : null;
            if (!string.IsNullOrWhiteSpace(text))
            {
                return text.Trim();
            }
        }
        return null;
    }

    private static string Simplify(string key)
    {
        var last = key[(key.LastIndexOf('.') + 1)..];
        return string.Concat(last.Where(char.IsLetterOrDigit)).ToLowerInvariant();
    }
}
