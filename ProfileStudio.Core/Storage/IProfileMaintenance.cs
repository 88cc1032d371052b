using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// Storage port of the maintenance jobs the unification worker runs between catch-ups: splitting a
/// profile's component, deleting a profile, and rebuilding every profile from the lake beside the
/// live store, then swapping it in.
/// </summary>
public interface IProfileMaintenance
{
    /// <summary>
    /// Recomputes one profile's part of the graph from the lake under <paramref name="rules"/>; the part
    /// holding <paramref name="splitOff"/> gets a new id. Written in one transaction with its feed rows.
    /// </summary>
    SplitOutcome Split(long profileId, IdentityRules rules, long checkpoint, DateTime now, IdentityKey? splitOff = null, Action<long, long>? progress = null);

    /// <summary>Deletes a live profile (erasing its lake messages too when asked); null when it does not exist or was merged.</summary>
    ProfileDeletionOutcome? Delete(long profileId, bool eraseFromLake, IdentityRules rules, DateTime now);

    /// <summary>Builds a new profile store from the whole lake beside the live one; reports (processed up to, lake size); returns the checkpoint reached.</summary>
    Task<long> RebuildAsync(IdentityRules rules, int runSize, Action<long, long> progress, CancellationToken ct);

    /// <summary>Replaces the live profile store with the rebuilt one in one transaction, with a change-feed row saying so.</summary>
    void Swap();

    /// <summary>Removes what a stopped rebuild left behind.</summary>
    void DropRebuild();
}
