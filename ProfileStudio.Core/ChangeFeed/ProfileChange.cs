namespace ProfileStudio.Core.ChangeFeed;

/// <summary>What a run changed about a profile (several at once).</summary>
[Flags]
public enum ProfileChangeKinds
{
    None = 0,
    Identities = 1,
    Attributes = 2,
    Events = 4,

    /// <summary><see cref="ProfileChange.OtherProfileId"/> was merged into the profile.</summary>
    Merged = 8,

    /// <summary>The profile was recomputed by a split; <see cref="ProfileChange.OtherProfileId"/> is the profile it came from when it is a new part.</summary>
    Split = 16,

    Deleted = 32,

    /// <summary>Every profile was rebuilt from the lake (profile id 0): consumers start over.</summary>
    Rebuilt = 64,

    /// <summary>A computed attribute's value changed (a new event, a merge, a window moving, a backfill).</summary>
    Computed = 128,

    /// <summary>
    /// The profile entered or left a segment (details in <c>SegmentMembershipChanges</c>). Written by the segments
    /// consumer after it evaluated the profile, so other consumers (destinations, when they come) see membership changes in the feed.
    /// </summary>
    Segments = 256,

    /// <summary>
    /// The profile is new, or its first-seen time moved earlier (an older event arrived): the days profiles were first
    /// seen on changed (the dashboard's history). Written by the unification store, which alone knows the stored time.
    /// </summary>
    FirstSeen = 512,

    /// <summary>
    /// The profile is new in this run (always with <see cref="FirstSeen"/>): the dashboard counts it on its first-seen day
    /// without counting that day again.
    /// </summary>
    Created = 1024,

    /// <summary>
    /// With <see cref="Segments"/>: every streaming segment that refers to a segment the profile entered or left was
    /// evaluated for it in the same pass, after that segment (streaming and clock re-checks evaluate a segment's referrers
    /// with it, in order), so the segments consumer has nothing left to evaluate for this row. Rows without it (a full
    /// evaluation of one segment, a segment disabled) make the consumer evaluate the referring segments.
    /// </summary>
    ReferrersEvaluated = 2048,
}

/// <summary>
/// One row of the durable change feed: written in the same transaction as the unification run (or
/// split, delete, rebuild) that made the change, read by every consumer from its own position.
/// </summary>
public sealed class ProfileChange
{
    public long Id { get; set; }

    /// <summary>When the row was appended (in a run, after the run's stages wrote): consumers' lag counts from it.</summary>
    public DateTime At { get; set; }
    public long ProfileId { get; set; }
    public ProfileChangeKinds Kinds { get; set; }
    public long? OtherProfileId { get; set; }

    /// <summary>
    /// Every profile's computed values may have changed (a backfill ended, a definition's values went, a definition was
    /// renamed): one row names no profile (profile 0). Consumers that keep values re-read them all, as after a rebuild.
    /// </summary>
    public bool ComputedForEveryProfile => ProfileId == 0 && Kinds.HasFlag(ProfileChangeKinds.Computed);

    /// <summary>The row says only that the profile entered or left segments: its data (attributes, events, identities) did not change.</summary>
    public bool OnlyMemberships => Kinds.HasFlag(ProfileChangeKinds.Segments)
        && (Kinds & ~(ProfileChangeKinds.Segments | ProfileChangeKinds.ReferrersEvaluated)) == 0;
}

/// <summary>How far one consumer has read the change feed, and how its last attempt went.</summary>
public sealed class ChangeFeedCheckpoint
{
    public string Consumer { get; set; } = "";

    /// <summary>The last feed row the consumer has handled.</summary>
    public long Position { get; set; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>Failed attempts in a row (0 when the last one succeeded).</summary>
    public int Failures { get; set; }

    public string? LastError { get; set; }
    public DateTime? LastErrorAt { get; set; }
}
