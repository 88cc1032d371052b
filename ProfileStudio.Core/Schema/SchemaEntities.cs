namespace ProfileStudio.Core.Schema;

/// <summary>
/// One attribute path of the union schema with its maintained figures: how many live profiles have it
/// (the fill rate's numerator), and in <see cref="DetailJson"/> its types and sources (fragment counts)
/// and a few example values (see <see cref="AttributeTally"/>).
/// </summary>
public sealed class SchemaAttribute
{
    public string Path { get; set; } = "";
    public long ProfileCount { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public string DetailJson { get; set; } = "{}";
}

/// <summary>
/// One entry of the event catalog: a track event by name, or all pages, screens or group calls under
/// one entry each (their names inside). <see cref="DetailJson"/> holds sources, daily volume, names and
/// property paths (see <see cref="EventTally"/>).
/// </summary>
public sealed class SchemaEvent
{
    public string Key { get; set; } = "";
    public string Type { get; set; } = "";
    public string Name { get; set; } = "";
    public long Count { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public string DetailJson { get; set; } = "{}";
}

/// <summary>
/// What one live profile adds to the union schema (its paths, with source and type): kept so that a
/// change to the profile adjusts the counts by the difference. Maintained by the schema consumer from
/// the change feed (merges, splits and deletes included), not by unification.
/// </summary>
public sealed class SchemaProfile
{
    public long ProfileId { get; set; }
    public string PathsJson { get; set; } = "[]";
}

/// <summary>The catalog's own bookkeeping: how far it read the timeline, the live profile count, when it was last recounted.</summary>
public sealed class SchemaState
{
    public int Id { get; set; }

    /// <summary>The last ProfileEvents id counted into the event catalog.</summary>
    public long EventCursor { get; set; }

    /// <summary>Profiles that exist and are not merged into another (the fill rate's denominator).</summary>
    public long LiveProfiles { get; set; }

    public DateTime RecountedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// An example value of an attribute path, with the profile it came from: a delete (through the register
/// of profile-owned data) removes a person's examples in its own transaction, so an erased value is
/// never left on show or in the database file.
/// </summary>
public sealed class SchemaExample
{
    public string Path { get; set; } = "";
    public string Value { get; set; } = "";
    public long ProfileId { get; set; }
}

/// <summary>An example value of an event property path (see <see cref="SchemaExample"/>).</summary>
public sealed class SchemaEventExample
{
    public string EventKey { get; set; } = "";
    public string Path { get; set; } = "";
    public string Value { get; set; } = "";
    public long ProfileId { get; set; }
}
