namespace ProfileStudio.Core.Unification;

public static class UnificationJobKinds
{
    /// <summary>Recompute every profile from the lake under the current rules, then swap.</summary>
    public const string Rebuild = "rebuild";

    /// <summary>Recompute one profile's component after an identity was removed or two were ruled never to link.</summary>
    public const string Split = "split";

    /// <summary>Delete one profile from the profile store; the lake keeps its messages.</summary>
    public const string Delete = "delete";

    /// <summary>Delete one profile and erase the lake messages that carried its identities (privacy erasure).</summary>
    public const string Erase = "erase";

    public static bool IsDeletion(string kind) => kind is Delete or Erase;
}

public enum UnificationJobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// <summary>
/// Work the unification worker does besides following the lake: a rebuild or a split. Kept in the
/// database so the queue and the progress survive a restart (a running job starts over).
/// </summary>
public sealed class UnificationJob
{
    public int Id { get; set; }
    public string Kind { get; set; } = "";
    public UnificationJobStatus Status { get; set; }

    /// <summary>The profile a split recomputes or a deletion removes.</summary>
    public long? ProfileId { get; set; }

    /// <summary>The identity (<c>namespace:value</c>) a split takes out of the profile: its part gets a new id.</summary>
    public string? SplitOff { get; set; }

    /// <summary>What was asked, in words (shown in the studio and the audit log).</summary>
    public string Description { get; set; } = "";

    public string RequestedBy { get; set; } = "";
    public string? RequestedByUserId { get; set; }

    /// <summary>Where the request came from (the browser's or API client's address), for the audit entry written when the job ends.</summary>
    public string? RequestedFromIp { get; set; }
    public DateTime RequestedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    /// <summary>Lake messages processed so far, out of <see cref="Total"/>.</summary>
    public long Processed { get; set; }

    public long Total { get; set; }

    /// <summary>What the job did (e.g. the profiles a split produced), or why it failed.</summary>
    public string? Outcome { get; set; }
}
