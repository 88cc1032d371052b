namespace ProfileStudio.Core.Segments;

public enum SegmentStatus
{
    /// <summary>Saved, not evaluated: no members.</summary>
    Draft = 1,

    /// <summary>Evaluated (streaming or batch); members are kept.</summary>
    Active = 2,

    /// <summary>No longer evaluated; its members were removed (their exits recorded).</summary>
    Disabled = 3,
}

public enum SegmentEvaluationMode
{
    /// <summary>Re-evaluated for a profile whenever a run changes something the rule reads, and on the clock.</summary>
    Streaming = 1,

    /// <summary>Evaluated over all profiles every <see cref="Segment.BatchIntervalHours"/> hours (and on "evaluate now").</summary>
    Batch = 2,
}

/// <summary>
/// A stored segment: its current rule (<see cref="RuleJson"/>, <see cref="SegmentRuleJson"/> format) at
/// <see cref="Version"/>; every saved edit adds a <see cref="SegmentVersion"/>. The batch evaluation's
/// progress lives here too, so it survives a restart.
/// </summary>
public sealed class Segment
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 1000;
    public const int MinBatchIntervalHours = 1;
    public const int MaxBatchIntervalHours = 24 * 31;

    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public SegmentStatus Status { get; set; } = SegmentStatus.Draft;
    public SegmentEvaluationMode Evaluation { get; set; } = SegmentEvaluationMode.Streaming;

    /// <summary>How often a batch segment is evaluated (ignored for streaming segments).</summary>
    public int BatchIntervalHours { get; set; } = 24;

    public string RuleJson { get; set; } = "";

    /// <summary>The current version of the rule (1 for a new segment, +1 per saved edit that changes the rule).</summary>
    public int Version { get; set; } = 1;

    /// <summary>
    /// +1 per saved change of any kind (the rule, the name or description alone, the evaluation, activating, disabling), unlike
    /// <see cref="Version"/>: an editor sends back the revision it loaded, and the store refuses the change if another was saved since.
    /// </summary>
    public int Revision { get; set; } = 1;

    public DateTime CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTime UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";

    /// <summary>The last full (batch) evaluation that finished.</summary>
    public DateTime? LastEvaluatedAt { get; set; }

    /// <summary>Current members (kept by whoever changes memberships, recounted after each change).</summary>
    public long MemberCount { get; set; }

    /// <summary>A full evaluation is wanted (activation, an edit, "evaluate now", a batch interval passed); the job clears it when it starts.</summary>
    public DateTime? EvaluationRequestedAt { get; set; }

    public DateTime? EvaluationStartedAt { get; set; }
    public long EvaluationProcessed { get; set; }
    public long EvaluationTotal { get; set; }
    public string? EvaluationError { get; set; }
}

/// <summary>One saved version of a segment's rule: editing keeps the history.</summary>
public sealed class SegmentVersion
{
    public long Id { get; set; }
    public long SegmentId { get; set; }
    public int Version { get; set; }
    public string RuleJson { get; set; } = "";
    public DateTime SavedAt { get; set; }
    public string SavedBy { get; set; } = "";
}

/// <summary>A profile in an active segment, since when.</summary>
public sealed class SegmentMembership
{
    public long ProfileId { get; set; }
    public long SegmentId { get; set; }
    public DateTime Since { get; set; }
}

public enum SegmentMembershipChangeKind
{
    Realized = 1,
    Exited = 2,
}

/// <summary>History: a profile entered (realized) or left (exited) a segment at a time.</summary>
public sealed class SegmentMembershipChange
{
    public long Id { get; set; }
    public long SegmentId { get; set; }
    public long ProfileId { get; set; }
    public SegmentMembershipChangeKind Kind { get; set; }
    public DateTime At { get; set; }
}

/// <summary>A segment's size at the end of a UTC day (the last change that day), with the day's entries and exits.</summary>
public sealed class SegmentDailySize
{
    public long SegmentId { get; set; }

    /// <summary>The UTC day (midnight).</summary>
    public DateTime Day { get; set; }

    public long Size { get; set; }
    public long Entered { get; set; }
    public long Exited { get; set; }
}

/// <summary>
/// When a profile's result for a time-dependent segment may next change by the clock alone
/// (<see cref="SegmentDependencies.NextClockChange"/>): members and non-members alike, so people both
/// leave and enter windows with no new event.
/// </summary>
public sealed class SegmentClockCheck
{
    public long ProfileId { get; set; }
    public long SegmentId { get; set; }
    public DateTime DueAt { get; set; }
}

/// <summary>
/// A change-feed row a membership write made (<see cref="ChangeFeed.ProfileChangeKinds.Segments"/>), kept beside the
/// memberships (the segments' own file) until <see cref="SegmentFeedRelay"/> has copied it into the store's feed.
/// </summary>
public sealed class SegmentFeedOutboxRow
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public long ProfileId { get; set; }
    public ChangeFeed.ProfileChangeKinds Kinds { get; set; }
}

/// <summary>
/// A segment's key where a name cannot go (audience traits in the Profile API, file columns): lower case,
/// letters and digits kept, every other run of characters one underscore ("Recent buyers (30 days)" →
/// <c>recent_buyers_30_days</c>), as Segment keys its audiences.
/// </summary>
public static class SegmentKeys
{
    public static string Of(string name)
    {
        var key = new System.Text.StringBuilder(name.Length);
        foreach (var c in name.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c))
            {
                key.Append(c);
            }
            else if (key.Length > 0 && key[^1] != '_')
            {
                key.Append('_');
            }
        }
        return key.ToString().TrimEnd('_');
    }
}
