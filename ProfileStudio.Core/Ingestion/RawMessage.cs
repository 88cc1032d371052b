namespace ProfileStudio.Core.Ingestion;

public enum MessageStatus
{
    Accepted = 1,
    Rejected = 2,
}

/// <summary>
/// One input message as received, in the append-only lake. Rejected messages are kept with their
/// reason so nothing is dropped silently. Ids increase in commit order: the unification worker
/// reads them in that order from a checkpoint.
/// </summary>
public sealed class RawMessage
{
    public long Id { get; set; }
    public int SourceId { get; set; }

    /// <summary>The client's <c>messageId</c> (or one we assigned); unique per source among accepted messages.</summary>
    public string? MessageId { get; set; }

    /// <summary>identify, track, page, screen, group, alias; <c>unknown</c> when the type could not be read.</summary>
    public string Type { get; set; } = "";

    public DateTime ReceivedAt { get; set; }
    public DateTime EventAt { get; set; }

    /// <summary>The message as JSON, with batch-level context merged in and any write key removed.</summary>
    public string Payload { get; set; } = "";

    public MessageStatus Status { get; set; }
    public string? Error { get; set; }

    /// <summary>Set for rows of an uploaded file.</summary>
    public long? BatchId { get; set; }
    public int? LineNumber { get; set; }
}
