namespace ProfileStudio.Core.Unification;

/// <summary>
/// Stage changes that carry, besides what their writer writes, data only the later stages of the same
/// run read (each message's reading, each message's profile). The engine drops that data once every
/// stage ran: a run waiting to be written (while the next one is read and resolved) then holds what its
/// writers need, not its messages' payloads, which kept twice as many payloads alive and made the
/// garbage collector's work grow with it.
/// </summary>
public interface IRunScopedChanges
{
    /// <summary>Drops what only later stages of the run read; what the writers and the change feed use stays.</summary>
    void ReleaseRunData();
}
