using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;

namespace ProfileStudio.Core.Unification.Stages;

/// <summary>
/// Writes the identity stage's changes: new profiles (with their last change and activity), merges (every
/// per-profile table moves its rows as <see cref="ProfileOwnedData"/> says, then the profile row
/// redirects), identifiers, links, last change and activity, and the decisions (insights).
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
        UPDATE {t.Profiles} SET LastActivityAt = ?1, UpdatedAt = max(UpdatedAt, ?4), LastMessageId = max(LastMessageId, ?2)
        WHERE Id = ?3 AND (LastActivityAt IS NULL OR LastActivityAt < ?1)
        """);

    private static readonly RowSql Updated = new(t =>
        $"UPDATE {t.Profiles} SET UpdatedAt = max(UpdatedAt, ?1), LastMessageId = max(LastMessageId, ?2) WHERE Id = ?3");

    private static readonly RowSql InsertInsight = new(t => $"""
        INSERT INTO {t.IdentityInsights} (At, Kind, ProfileId, OtherProfileId, Namespace, Value, MessageId, SourceId, Detail)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        """);

    protected override void Write(IdentityChanges changes, StageWriteContext context)
    {
        var t = context.T;
        // A profile created in this run is inserted with its first seen, last change and last activity, which saves an UPDATE
        // per new profile. CreatedAt is first seen (earliest event time), UpdatedAt the latest event time of any message about
        // the person (traits, identifiers or events: the last change), LastActivityAt the latest timeline event (null while
        // there is none).
        var insertedTouched = new HashSet<long>();
        var mergedInto = changes.Merges.Select(m => m.Into).ToHashSet();
        foreach (var p in changes.CreatedProfiles)
        {
            var (createdAt, updatedAt, activityAt, lastMessage) = (p.CreatedAt, p.UpdatedAt, DateTime.MinValue, p.FirstMessageId);
            if (changes.Touched.TryGetValue(p.Id, out var touched))
            {
                (createdAt, updatedAt, activityAt, lastMessage) = (touched.FirstAt < createdAt ? touched.FirstAt : createdAt,
                    touched.LastAt > updatedAt ? touched.LastAt : updatedAt, touched.ActivityAt, Math.Max(lastMessage, touched.MessageId));
                if (!mergedInto.Contains(p.Id))
                {
                    insertedTouched.Add(p.Id); // all its messages are in this run: its last change and activity are known here
                }
            }
            context.Statement(InsertProfile)
                .Bind(1, p.Id).Bind(2, createdAt).Bind(3, updatedAt > createdAt ? updatedAt : createdAt).Bind(4, p.FirstMessageId).Bind(5, lastMessage)
                .Bind(6, activityAt == DateTime.MinValue ? (DateTime?)null : activityAt).Execute();
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
            // The survivor's last change and last activity are the later of the two (the merged profile's data moved to it);
            // max() of a null is null.
            context.Execute($"""
                UPDATE {t.Profiles} SET
                    CreatedAt = min({t.Profiles}.CreatedAt, f.CreatedAt),
                    UpdatedAt = max({t.Profiles}.UpdatedAt, f.UpdatedAt),
                    FirstMessageId = min({t.Profiles}.FirstMessageId, f.FirstMessageId),
                    LastActivityAt = coalesce(max({t.Profiles}.LastActivityAt, f.LastActivityAt), {t.Profiles}.LastActivityAt, f.LastActivityAt)
                FROM (SELECT CreatedAt, UpdatedAt, FirstMessageId, LastActivityAt FROM {t.Profiles} WHERE Id = $from) AS f
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
        foreach (var (profile, touched) in changes.Touched)
        {
            if (insertedTouched.Contains(profile))
            {
                continue;
            }
            // Last change and last activity only grow (a merge above took the later of two profiles'), so they are kept
            // without reading the profile's data. CreatedAt and LastActivityAt are indexed (the explorer's sorts): they are
            // written only when they move, which saves two index updates per touched profile; UpdatedAt and LastMessageId are
            // not indexed, so the last change rides along with whichever of the two statements below runs (no statement of its own).
            if (context.Statement(EarlierFirstSeen).Bind(1, touched.FirstAt).Bind(2, profile).Execute() > 0)
            {
                context.Marks?.Mark(profile, ProfileChangeKinds.FirstSeen);
            }
            var grew = touched.ActivityAt != DateTime.MinValue && context.Statement(LaterActivity)
                .Bind(1, touched.ActivityAt).Bind(2, touched.MessageId).Bind(3, profile).Bind(4, touched.LastAt).Execute() > 0;
            if (!grew)
            {
                context.Statement(Updated)
                    .Bind(1, touched.LastAt).Bind(2, touched.MessageId).Bind(3, profile).Execute();
            }
        }
        foreach (var i in changes.Insights)
        {
            context.Statement(InsertInsight).Bind(1, i.At).Bind(2, i.Kind).Bind(3, i.ProfileId).Bind(4, i.OtherProfileId).Bind(5, i.Namespace).Bind(6, i.Value)
                .Bind(7, i.MessageId).Bind(8, i.SourceId).Bind(9, i.Detail).Execute();
        }
    }
}
