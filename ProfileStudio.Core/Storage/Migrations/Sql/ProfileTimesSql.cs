namespace ProfileStudio.Core.Storage.Migrations.Sql;

/// <summary>
/// Hand-written SQL of the migration that gives profiles their event times (kept out of the generated
/// migration, which is regenerated when branches merge).
/// </summary>
public static class ProfileTimesSql
{
    /// <summary>
    /// Recomputes first seen (<c>CreatedAt</c>), last activity (<c>LastActivityAt</c>) and <c>UpdatedAt</c> of every
    /// live profile from the stored data, by the rule the identity writer applies as it unifies: last activity is
    /// the latest event time on the timeline (null when there is none); <c>UpdatedAt</c> is last activity, else
    /// first seen; first seen is the earliest event time of the person's messages. Databases unified before
    /// session 4 hold import times there. The messages a profile keeps a trace of give first seen: each
    /// identifier's first message, every timeline event, the latest value of each attribute and the profile's
    /// own first message. It is only ever moved earlier (an import time is later than the events it brought),
    /// so a correct database is left as it is; a rebuild recomputes everything from the whole lake.
    /// Each subquery is an index seek by profile (Identities(ProfileId), ProfileEvents(ProfileId, EventAt),
    /// the ProfileAttributes key, the RawMessages key).
    /// </summary>
    public static string RecomputeProfileTimes() => """
        UPDATE Profiles SET
            LastActivityAt = (SELECT max(EventAt) FROM ProfileEvents e WHERE e.ProfileId = Profiles.Id),
            CreatedAt = min(CreatedAt,
                coalesce((SELECT min(FirstSeenAt) FROM Identities i WHERE i.ProfileId = Profiles.Id), CreatedAt),
                coalesce((SELECT min(EventAt) FROM ProfileEvents e WHERE e.ProfileId = Profiles.Id), CreatedAt),
                coalesce((SELECT min(EventAt) FROM ProfileAttributes a WHERE a.ProfileId = Profiles.Id), CreatedAt),
                coalesce((SELECT EventAt FROM RawMessages r WHERE r.Id = Profiles.FirstMessageId), CreatedAt))
        WHERE MergedIntoId IS NULL;
        UPDATE Profiles SET UpdatedAt = coalesce(LastActivityAt, CreatedAt) WHERE MergedIntoId IS NULL;
        """;
}
