using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// Storage port of the unification worker's store: the checkpoint, loading the identity graph,
/// reading the lake after the checkpoint, applying a run's changes with the checkpoint in one
/// transaction, setting a message aside, and clearing for a rebuild.
/// </summary>
public interface IUnificationStore : IDisposable
{
    long ReadCheckpoint();

    /// <summary>The identity graph as stored (identities, profiles, redirects, never-link rules, ids no longer to use).</summary>
    IdentityGraph RestoreGraph(IdentityRules rules);

    /// <summary>The pairs administrators ruled must never be in one profile.</summary>
    List<(IdentityKey A, IdentityKey B)> ReadNeverLinks();

    /// <summary>
    /// The next accepted and rejected lake messages after <paramref name="afterId"/>, in lake order,
    /// less those set aside: at most <paramref name="take"/>, and no more once their payloads reach
    /// <paramref name="maxPayloadChars"/> (at least one is always taken).
    /// </summary>
    List<RawMessage> ReadLake(long afterId, int take, long maxPayloadChars = long.MaxValue);

    /// <summary>Set-aside messages someone asked to process again, in lake order.</summary>
    List<RawMessage> ReadRetryRequested(int take);

    /// <summary>The first message after <paramref name="afterId"/> that unification would read (set-aside ones excluded).</summary>
    long? NextLakeMessage(long afterId);

    /// <summary>
    /// Sets one message aside in its own transaction, or records one more failed attempt; the
    /// checkpoint moves past it when it was the next message to unify.
    /// </summary>
    void SetAside(long messageId, string reason, DateTime now);

    /// <summary>
    /// Writes a run's changes (every stage's), its change-feed rows and its checkpoint in one transaction. A stop asked
    /// for through <paramref name="ct"/> rolls the whole run back (nothing half-written; the checkpoint stays).
    /// </summary>
    void Apply(UnificationChanges changes, DateTime now, CancellationToken ct = default);

    /// <summary>Empties the profile store (every table a rebuild recomputes, the checkpoint included).</summary>
    void Clear();
}

/// <summary>
/// The unification worker's open storage: stores on it, maintenance on it, and what a provider
/// decides for the runner (what to do after a commit, which failures are the machine's).
/// </summary>
public interface IUnificationSession : IAsyncDisposable
{
    /// <summary>
    /// A store that writes through <paramref name="pipeline"/>'s writers; <paramref name="shadow"/> writes
    /// a rebuild's shadow copy instead of the live profile store. The caller disposes it.
    /// </summary>
    IUnificationStore OpenStore(UnificationPipeline? pipeline = null, bool shadow = false);

    /// <summary>The stages every run of this session goes through: the built-in ones and those features registered.</summary>
    UnificationPipeline Pipeline { get; }

    /// <summary>A store that reads the lake while another run is being written (its own connection). The caller disposes it.</summary>
    IUnificationStore OpenLakeReader();

    /// <summary>Split, delete, rebuild and swap, on this session's connections.</summary>
    IProfileMaintenance Maintenance { get; }

    /// <summary>Called after each committed run; returns at once (SQLite copies its write-ahead log in the background).</summary>
    void RunCommitted();

    /// <summary>
    /// A failure of the machine rather than of a message (busy, locked, full, I/O): the caller waits
    /// and retries the same work instead of looking for a message to set aside.
    /// </summary>
    bool IsTransient(Exception ex);
}

/// <summary>Opens the unification worker's storage (the provider chosen by <c>ProfileStudio:Storage:Provider</c>).</summary>
public interface IUnificationStorage
{
    Task<IUnificationSession> OpenAsync(CancellationToken ct);
}
