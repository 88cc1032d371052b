using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;

namespace ProfileStudio.Core.Unification.Stages;

/// <summary>
/// Writes the identity stage's changes: new profiles (with their last activity), merges (every
/// per-profile table moves its rows as <see cref="ProfileOwnedData"/> says, then the profile row
/// redirects), identifiers, links, last activity, and the decisions (insights).
/// </summary>
public sealed class IdentityWriter : StageWriter<IdentityChanges>
{
    private static readonly RowSql InsertProfile = new(t =>
        $"INSERT INTO {t.Profiles} (Id, CreatedAt, UpdatedAt, LastActivityAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES (?1, ?2, ?3, ?6, NULL, ?4, ?5)");

    private static readonly RowSql UpsertIdentity = new(t => $"""
        INSERT INTO {t.Identities} (Namespace, Value, ProfileId, SourceId, FirstMessageId, LastMessageId, FirstSeenAt, LastSeenAt)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        ON CONFLICT (Namespace, Value) DO UPDATE SET ProfileId = excluded.ProfileId, LastMessageId = excluded.LastMessageId,
            LastSeenAt = max(LastSeenAt, excluded.LastSeenAt)
        """);

    private static readonly RowSql UpsertLink = new(t => $"""
        INSERT INTO {t.IdentityLinks} (FromIdentityId, ToIdentityId, SourceId, FirstMessageId, FirstSeenAt, LastSeenAt)
        SELECT a.Id, b.Id, ?1, ?2, ?3, ?4 FROM {t.Identities} a, {t.Identities} b
        WHERE a.Namespace = ?5 AND a.Value = ?6 AND b.Namespace = ?7 AND b.Value = ?8
        ON CONFLICT (FromIdentityId, ToIdentityId) DO UPDATE SET LastSeenAt = max(LastSeenAt, excluded.LastSeenAt)
        """);

    private static readonly RowSql EarlierFirstSeen = new(t => $"UPDATE {t.Profiles} SET CreatedAt = ?1 WHERE Id = ?2 AND CreatedAt > ?1");

    private static readonly RowSql LaterActivity = new(t => $"""
        UPDATE {t.Profiles} SET LastActivityAt = ?1, UpdatedAt = ?1, LastMessageId = max(LastMessageId, ?2)
        WHERE Id = ?3 AND (LastActivityAt IS NULL OR LastActivityAt < ?1)
        """);

    private static readonly RowSql Updated = new(t =>
        $"UPDATE {t.Profiles} SET UpdatedAt = coalesce(LastActivityAt, CreatedAt), LastMessageId = max(LastMessageId, ?1) WHERE Id = ?2");

    private static readonly RowSql InsertInsight = new(t => $"""
        INSERT INTO {t.IdentityInsights} (At, Kind, ProfileId, OtherProfileId, Namespace, Value, MessageId, SourceId, Detail)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        """);

    protected override void Write(IdentityChanges changes, StageWriteContext context)
    {
        var t = context.T;
        // A profile created in this run is inserted with its first seen and last activity, which saves an UPDATE per new profile.
        // CreatedAt is first seen (earliest event time), LastActivityAt the latest timeline event (null while there is none),
        // UpdatedAt last activity, else first seen.
        var insertedTouched = new HashSet<long>();
        var mergedInto = changes.Merges.Select(m => m.Into).ToHashSet();
        foreach (var p in changes.CreatedProfiles)
        {
            var (createdAt, updatedAt, lastMessage) = (p.CreatedAt, DateTime.MinValue, p.FirstMessageId);
            if (changes.Touched.TryGetValue(p.Id, out var touched))
            {
                (createdAt, updatedAt, lastMessage) = (touched.FirstAt < createdAt ? touched.FirstAt : createdAt, touched.At, Math.Max(lastMessage, touched.MessageId));
                if (!mergedInto.Contains(p.Id))
                {
                    insertedTouched.Add(p.Id); // all its events are in this run: its last activity is known here
                }
            }
            context.Statement(InsertProfile)
                .Bind(1, p.Id).Bind(2, createdAt).Bind(3, updatedAt > createdAt ? updatedAt : createdAt).Bind(4, p.FirstMessageId).Bind(5, lastMessage)
                .Bind(6, updatedAt == DateTime.MinValue ? (DateTime?)null : updatedAt).Execute();
            context.Marks?.Mark(p.Id, ProfileChangeKinds.FirstSeen | ProfileChangeKinds.Created);
        }
        foreach (var (from, into) in changes.Merges)
        {
            // Every per-profile table moves its rows as the register says; the profile row itself is this store's.
            foreach (var table in ProfileOwnedData.Tables)
            {
                if (table.Merge is { } merge)
                {
                    context.Execute(merge(t), ("$from", from), ("$into", into));
                }
            }
            // The survivor's last activity is the later of the two (the merged profile's events moved to it); max() of a null is null.
            context.Execute($"""
                UPDATE {t.Profiles} SET
                    CreatedAt = min({t.Profiles}.CreatedAt, f.CreatedAt),
                    FirstMessageId = min({t.Profiles}.FirstMessageId, f.FirstMessageId),
                    LastActivityAt = coalesce(max({t.Profiles}.LastActivityAt, f.LastActivityAt), {t.Profiles}.LastActivityAt, f.LastActivityAt)
                FROM (SELECT CreatedAt, FirstMessageId, LastActivityAt FROM {t.Profiles} WHERE Id = $from) AS f
                WHERE Id = $into
                """, ("$from", from), ("$into", into));
            // Redirects stay one hop: profiles merged into "from" earlier now point at "into" (two statements, so both use an index).
            context.Execute($"UPDATE {t.Profiles} SET MergedIntoId = $into WHERE MergedIntoId = $from", ("$from", from), ("$into", into));
            context.Execute($"UPDATE {t.Profiles} SET MergedIntoId = $into WHERE Id = $from", ("$from", from), ("$into", into));
        }
        foreach (var (key, i) in changes.Identities)
        {
            context.Statement(UpsertIdentity).Bind(1, key.Namespace).Bind(2, key.Value).Bind(3, i.ProfileId).Bind(4, i.SourceId).Bind(5, i.FirstMessageId)
                .Bind(6, i.LastMessageId).Bind(7, i.FirstSeenAt).Bind(8, i.LastSeenAt).Execute();
        }
        foreach (var ((from, to), link) in changes.Links)
        {
            context.Statement(UpsertLink).Bind(1, link.SourceId).Bind(2, link.FirstMessageId).Bind(3, link.FirstSeenAt).Bind(4, link.LastSeenAt)
                .Bind(5, from.Namespace).Bind(6, from.Value).Bind(7, to.Namespace).Bind(8, to.Value).Execute();
        }
        foreach (var (profile, (first, lastEvent, messageId)) in changes.Touched)
        {
            if (insertedTouched.Contains(profile))
            {
                continue;
            }
            // Last activity only grows (a merge above took the later of two profiles'), so it is kept without reading the
            // timeline. CreatedAt and LastActivityAt are indexed (the explorer's sorts): they are written only when they
            // move, which saves two index updates per touched profile; UpdatedAt and LastMessageId are not indexed.
            if (context.Statement(EarlierFirstSeen).Bind(1, first).Bind(2, profile).Execute() > 0)
            {
                context.Marks?.Mark(profile, ProfileChangeKinds.FirstSeen);
            }
            var grew = lastEvent != DateTime.MinValue && context.Statement(LaterActivity).Bind(1, lastEvent).Bind(2, messageId).Bind(3, profile).Execute() > 0;
            if (!grew)
            {
                context.Statement(Updated)
                    .Bind(1, messageId).Bind(2, profile).Execute();
            }
        }
        foreach (var i in changes.Insights)
        {
            context.Statement(InsertInsight).Bind(1, i.At).Bind(2, i.Kind).Bind(3, i.ProfileId).Bind(4, i.OtherProfileId).Bind(5, i.Namespace).Bind(6, i.Value)
                .Bind(7, i.MessageId).Bind(8, i.SourceId).Bind(9, i.Detail).Execute();
        }
    }
}
