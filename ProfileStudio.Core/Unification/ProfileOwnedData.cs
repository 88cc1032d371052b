namespace ProfileStudio.Core.Unification;

/// <summary>
/// One table of per-profile rows and how they follow their profile. SQL is written against the
/// table name handed in (the live table, or a rebuild's shadow copy); <c>$from</c>, <c>$into</c> and
/// <c>$p</c> are the profile ids, <c>{ids}</c> a list of profile ids.
/// </summary>
public sealed record ProfileOwnedTable(string Name)
{
    /// <summary>The placeholder for a list of profile ids in <see cref="Delete"/> and <see cref="Erase"/>.</summary>
    public const string Ids = "{ids}";

    /// <summary>On a merge, what happens to the merged profile's rows (null: they stay where they are, e.g. history).</summary>
    public Func<ProfileTables, string>? Merge { get; init; }

    /// <summary>
    /// On a split, the rows of the profiles being recomputed that are removed before the replay writes
    /// them again (null: they stay, e.g. history).
    /// </summary>
    public Func<ProfileTables, string>? ClearForSplit { get; init; }

    /// <summary>On a delete, the rows removed ({ids}: the profile and the ids merged into it).</summary>
    public Func<ProfileTables, string>? Delete { get; init; }

    /// <summary>
    /// On a delete, what the rows' feature records before <see cref="Delete"/> removes them, in the same transaction
    /// ({ids} as there; <c>$now</c> the delete's time, <c>$day</c> its UTC day): e.g. the exits of the segments a deleted
    /// profile was in, which no later evaluation can see once its memberships are gone.
    /// </summary>
    public Func<ProfileTables, string>? RecordDelete { get; init; }

    /// <summary>On an erase (delete from the lake too), rows removed on top of <see cref="Delete"/>.</summary>
    public Func<ProfileTables, string>? Erase { get; init; }

    /// <summary>Rebuilt from the lake by a rebuild (copied empty into the shadow store, then swapped in).</summary>
    public bool Rebuilt { get; init; } = true;

    /// <summary>Why the table is listed (shown when the register's completeness test fails).</summary>
    public string Why { get; init; } = "";

    /// <summary>Moves rows whose <paramref name="column"/> is the merged profile to the survivor.</summary>
    public static Func<ProfileTables, string> Reassign(string table, string column = "ProfileId") =>
        t => $"UPDATE {t.Name(table)} SET {column} = $into WHERE {column} = $from";

    /// <summary>Removes the rows of one profile (<c>$p</c>).</summary>
    public static Func<ProfileTables, string> RowsOf(string table, string column = "ProfileId") =>
        t => $"DELETE FROM {t.Name(table)} WHERE {column} = $p";

    /// <summary>Removes the rows of a list of profiles (<c>{ids}</c>).</summary>
    public static Func<ProfileTables, string> RowsOfAll(string table, string column = "ProfileId") =>
        t => $"DELETE FROM {t.Name(table)} WHERE {column} IN ({ProfileOwnedTable.Ids})";
}

/// <summary>
/// The one register of what a profile owns: every table with per-profile rows, with how its rows move
/// on a merge, split off on a split, disappear on a delete and are rebuilt. Merge (the unification
/// store), split (<see cref="Storage.Sqlite.SqliteComponentSplit"/>), delete (<see cref="Storage.Sqlite.SqliteProfileDeletion"/>) and rebuild
/// (<see cref="Storage.Sqlite.SqliteUnificationRebuild"/>) are driven from this list alone; a feature that adds a
/// per-profile table adds one entry here, beside its tables. A test reads the EF model and fails when
/// an entity with a profile-id column is neither listed nor explicitly left out with a reason.
/// </summary>
public static class ProfileOwnedData
{
    /// <summary>The profiles themselves: created, merged (redirects), split and deleted by unification, which owns their rows.</summary>
    public const string ProfilesTable = "Profiles";

    /// <summary>Where each run records how far it got: rebuilt with the profile store, not owned by a profile.</summary>
    public const string CheckpointsTable = "UnificationCheckpoints";

    /// <summary>In the order their rows are removed (links before the identities they join).</summary>
    public static IReadOnlyList<ProfileOwnedTable> Tables { get; } =
    [
        new("IdentityLinks")
        {
            // Links join identities; they follow the identities (which are reassigned on a merge).
            ClearForSplit = t => $"""
                DELETE FROM {t.Name("IdentityLinks")} WHERE FromIdentityId IN (SELECT Id FROM {t.Name("Identities")} WHERE ProfileId = $p)
                    OR ToIdentityId IN (SELECT Id FROM {t.Name("Identities")} WHERE ProfileId = $p)
                """,
            Delete = t => $"""
                DELETE FROM {t.Name("IdentityLinks")} WHERE FromIdentityId IN (SELECT Id FROM {t.Name("Identities")} WHERE ProfileId IN ({ProfileOwnedTable.Ids}))
                    OR ToIdentityId IN (SELECT Id FROM {t.Name("Identities")} WHERE ProfileId IN ({ProfileOwnedTable.Ids}))
                """,
            Why = "edges between a profile's identities",
        },
        new("Identities")
        {
            Merge = ProfileOwnedTable.Reassign("Identities"),
            ClearForSplit = ProfileOwnedTable.RowsOf("Identities"),
            Delete = ProfileOwnedTable.RowsOfAll("Identities"),
            Why = "the identifiers resolved to a profile",
        },
        new("ProfileAttributes")
        {
            // Where both profiles had a value from the same source, the newer fragment wins.
            Merge = t => $"""
                INSERT INTO {t.Name("ProfileAttributes")} (ProfileId, SourceId, Key, ValueJson, EventAt, MessageId)
                SELECT $into, SourceId, Key, ValueJson, EventAt, MessageId FROM {t.Name("ProfileAttributes")} WHERE ProfileId = $from
                ON CONFLICT (ProfileId, SourceId, Key) DO UPDATE SET ValueJson = excluded.ValueJson, EventAt = excluded.EventAt, MessageId = excluded.MessageId
                WHERE excluded.EventAt > {t.Name("ProfileAttributes")}.EventAt OR (excluded.EventAt = {t.Name("ProfileAttributes")}.EventAt AND excluded.MessageId > {t.Name("ProfileAttributes")}.MessageId);
                DELETE FROM {t.Name("ProfileAttributes")} WHERE ProfileId = $from
                """,
            ClearForSplit = ProfileOwnedTable.RowsOf("ProfileAttributes"),
            Delete = ProfileOwnedTable.RowsOfAll("ProfileAttributes"),
            Why = "attribute fragments per source",
        },
        new("ProfileEvents")
        {
            Merge = ProfileOwnedTable.Reassign("ProfileEvents"),
            ClearForSplit = ProfileOwnedTable.RowsOf("ProfileEvents"),
            Delete = ProfileOwnedTable.RowsOfAll("ProfileEvents"),
            Why = "the profile's timeline",
        },
        new("ComputedProfileStates")
        {
            // The merged profile's row goes beside the survivor's as a part (its id kept apart); the computed-attributes writer
            // combines the parts in the same transaction and removes them (ComputedAttributeWriter).
            Merge = t => $"""
                INSERT INTO {t.Name("ComputedStateParts")} (ProfileId, MergedFromId, Entries) SELECT $into, $from, Entries FROM {t.Name("ComputedProfileStates")} WHERE ProfileId = $from;
                DELETE FROM {t.Name("ComputedProfileStates")} WHERE ProfileId = $from
                """,
            // A split's replay runs the computed-attributes stage over each part's messages: each part's state from its own events.
            ClearForSplit = ProfileOwnedTable.RowsOf("ComputedProfileStates"),
            Delete = ProfileOwnedTable.RowsOfAll("ComputedProfileStates"),
            Why = "computed attribute states and values",
        },
        new("ComputedStateParts")
        {
            // Parts the merged profile itself held (only between a merge and the writer, which removes them in the same transaction).
            Merge = ProfileOwnedTable.Reassign("ComputedStateParts"),
            ClearForSplit = ProfileOwnedTable.RowsOf("ComputedStateParts"),
            Delete = ProfileOwnedTable.RowsOfAll("ComputedStateParts"),
            Why = "computed attribute states a merge brought, until combined",
        },
        new("SchemaExamples")
        {
            // Example values shown by Data › Schema: a person's go with them (the schema consumer refills from others).
            Merge = ProfileOwnedTable.Reassign("SchemaExamples"),
            ClearForSplit = ProfileOwnedTable.RowsOf("SchemaExamples"),
            Delete = ProfileOwnedTable.RowsOfAll("SchemaExamples"),
            // A rebuild swaps in an empty copy; the schema consumer refills it when it recounts after the rebuild.
            Why = "example attribute values in the union schema",
        },
        new("SchemaEventExamples")
        {
            Merge = ProfileOwnedTable.Reassign("SchemaEventExamples"),
            ClearForSplit = ProfileOwnedTable.RowsOf("SchemaEventExamples"),
            Delete = ProfileOwnedTable.RowsOfAll("SchemaEventExamples"),
            Why = "example event property values in the event catalog",
        },
        new("IdentityInsights")
        {
            // The decisions about a profile are history: they stay through merges and splits, and go only with an erase.
            Erase = t => $"DELETE FROM {t.Name("IdentityInsights")} WHERE ProfileId IN ({ProfileOwnedTable.Ids}) OR OtherProfileId IN ({ProfileOwnedTable.Ids})",
            Why = "identity decisions (history)",
        },
    ];

    /// <summary>
    /// Tables with a profile-id column that a profile does not own, and why; the completeness test accepts these.
    /// </summary>
    public static IReadOnlyDictionary<string, string> NotOwned { get; } = new Dictionary<string, string>
    {
        ["Profiles"] = "the profiles themselves, written by the unification store (MergedIntoId is the redirect of a merged id)",
        ["DeletedProfiles"] = "tombstones of deleted ids, kept so no id is reused",
        ["UnificationJobs"] = "requests to split or delete a profile, kept as their audit",
        ["ProfileChanges"] = "the change feed: a log of what happened to profiles, pruned once every consumer has read it",
        ["SegmentMembershipChanges"] = "a log of segment entries and exits (like the change feed: ids and times, no values), read for \"entered / exited in the last 24 h\" and by destinations, pruned after SegmentOptions.HistoryDays",
        // The segments' tables are in their own file (SqliteConsumerTables.Segments), which a run's or a delete's transaction
        // does not write: the segments consumer follows the feed instead, as it always has for merges and splits.
        ["SegmentMemberships"] = "the segments a profile is in, since when: kept by the segments consumer from the change feed, in the segments' own file; a merged-away or deleted profile's memberships end (exits recorded) when the consumer reads its feed row, and a rebuild's feed row clears them all before every active segment is evaluated again",
        ["SegmentClockChecks"] = "when a profile's time-dependent segment results may next change by the clock: rescheduled whenever the segments consumer evaluates a profile, and removed with its memberships (merged away, deleted, rebuilt)",
        ["SegmentFeedOutbox"] = "change-feed rows of membership changes waiting to be copied into the feed (SegmentFeedRelay), removed once copied",
        ["SchemaProfiles"] = "the union schema's record of each live profile's paths (no values): kept by the schema consumer from the change feed's merge, split and delete rows, and rebuilt by its recount",
    };

    /// <summary>Every table a rebuild recomputes and swaps in, in the order they are cleared.</summary>
    public static IReadOnlyList<string> RebuiltTables { get; } =
        [.. Tables.Where(t => t.Rebuilt).Select(t => t.Name), ProfilesTable, CheckpointsTable];
}
