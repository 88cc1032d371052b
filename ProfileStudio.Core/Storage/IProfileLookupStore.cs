using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// Storage port of profile lookup, the reads every explorer page and Profile API call makes: which
/// profile holds an identifier, where a merged id redirects, and a live profile's attribute fragments.
/// Each is one or two index seeks; everything else the read side shows goes through EF Core.
/// </summary>
public interface IProfileLookupStore
{
    /// <summary>The profile holding the identity (identities always point at the live profile); null when none does.</summary>
    Task<long?> ProfileOfAsync(IdentityKey identity, CancellationToken ct = default);

    /// <summary>The live profile an id stands for (merged ids redirect to the survivor); null when there is none.</summary>
    Task<long?> CanonicalAsync(long profileId, CancellationToken ct = default);

    /// <summary>A live profile's attribute fragments (every source's value per key); null when the profile is not live.</summary>
    Task<List<ProfileAttribute>?> FragmentsAsync(long profileId, CancellationToken ct = default);
}
