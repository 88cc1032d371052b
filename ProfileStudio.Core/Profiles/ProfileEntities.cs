namespace ProfileStudio.Core.Profiles;

/// <summary>One person. A merged profile keeps its row and points at the survivor, so old ids redirect.</summary>
public sealed class Profile
{
    public long Id { get; set; }

    /// <summary>First seen: the earliest event time of any message about the person (not when it was imported).</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// Last change: the latest event time of any message about the person, whatever it brought (traits, an identifier,
    /// a timeline event; a studio edit is such a message), and of any profile merged into this one. Computed attributes and
    /// segment memberships are not counted: they follow from this data and the clock (a window moving on, a definition
    /// edited), and carry their own times.
    /// </summary>
    public DateTime UpdatedAt { get; set; }

    /// <summary>
    /// The latest event time on the person's timeline; null while there is none (a person known only from records).
    /// The explorer's "last activity" sorts by it, so people without activity come last in both directions.
    /// </summary>
    public DateTime? LastActivityAt { get; set; }
    public long? MergedIntoId { get; set; }
    public long FirstMessageId { get; set; }
    public long LastMessageId { get; set; }
}

/// <summary>
/// An attribute fragment: the latest value of one key (dotted path, e.g. address.city) from one
/// source for one profile, with its event time and message. Null <see cref="ValueJson"/> records a
/// removal (an explicit null). Merge policies choose among sources at read time.
/// </summary>
public sealed class ProfileAttribute
{
    public long ProfileId { get; set; }
    public int SourceId { get; set; }
    public string Key { get; set; } = "";
    public string? ValueJson { get; set; }
    public DateTime EventAt { get; set; }
    public long MessageId { get; set; }

    /// <summary>
    /// Whether this value replaces <paramref name="current"/> in the same (profile, source, key): the
    /// later event time, and between equal times the later message in the lake (the same message
    /// again counts as newer), so the outcome does not depend on how the lake was cut into runs.
    /// The store's upsert and merges apply the same order in SQL.
    /// </summary>
    public bool Supersedes(ProfileAttribute current) =>
        (EventAt, MessageId).CompareTo((current.EventAt, current.MessageId)) >= 0;
}

/// <summary>An experience event (track, page, screen, and group calls) on a profile's timeline.</summary>
public sealed class ProfileEvent
{
    public long Id { get; set; }
    public long ProfileId { get; set; }
    public long MessageId { get; set; }
    public int SourceId { get; set; }
    public string Type { get; set; } = "";
    public string Name { get; set; } = "";
    public DateTime EventAt { get; set; }
    public string PropertiesJson { get; set; } = "{}";
}

/// <summary>
/// A deleted profile's id, kept so that it is never given to another person (profile ids are handed out
/// above every id ever used), and as the record that it was deleted.
/// </summary>
public sealed class DeletedProfile
{
    public long Id { get; set; }
    public DateTime DeletedAt { get; set; }
    public bool ErasedFromLake { get; set; }
}

/// <summary>How far the unification worker got in the lake; written in the same transaction as its results.</summary>
public sealed class UnificationCheckpoint
{
    public int Id { get; set; }
    public long LastMessageId { get; set; }
    public DateTime UpdatedAt { get; set; }
}
