namespace ProfileStudio.Core.Unification;

/// <summary>
/// An accepted lake message that unification could not process (a poison message), set aside with
/// the reason so the run goes on without it. It stays in the lake as it was accepted; every reader of
/// the lake for unification (the worker, a rebuild, a split) passes over it until someone asks for a
/// retry (after a fix), when the worker processes it once more and removes this row if it succeeds.
/// </summary>
public sealed class SetAsideMessage
{
    /// <summary>The lake message (<see cref="Ingestion.RawMessage.Id"/>).</summary>
    public long MessageId { get; set; }

    public DateTime SetAsideAt { get; set; }

    public string Reason { get; set; } = "";

    /// <summary>How many times unification failed on it.</summary>
    public int Attempts { get; set; } = 1;

    /// <summary>Set when someone asked to process it again; cleared when the worker has tried.</summary>
    public DateTime? RetryRequestedAt { get; set; }
}
