using ProfileStudio.Core.Identity;

namespace ProfileStudio.Core.Unification;

/// <summary>One profile a split produced: its id (the first keeps the original) and its identities.</summary>
public sealed record SplitPart(long ProfileId, IReadOnlyList<IdentityKey> Identities);

public sealed record SplitOutcome(long ProfileId, IReadOnlyList<SplitPart> Parts, IReadOnlyList<IdentityKey> Dropped)
{
    public string Describe() => Parts.Count switch
    {
        0 => $"profile {ProfileId} had no identities left to recompute",
        1 => $"profile {ProfileId} was recomputed and stays one profile ({string.Join(", ", Parts[0].Identities)})",
        _ => $"profile {ProfileId} split into " + string.Join("; ", Parts.Select(p => $"profile {p.ProfileId} ({string.Join(", ", p.Identities)})")),
    } + (Dropped.Count > 0 ? $"; no longer held by any profile: {string.Join(", ", Dropped)}" : "");
}

/// <summary>What deleting a profile removed.</summary>
public sealed record ProfileDeletionOutcome(long ProfileId, int Profiles, int Identities, int Attributes, int Events, int LakeMessages, bool ErasedFromLake)
{
    public string Describe() =>
        $"deleted profile {ProfileId}" + (Profiles > 1 ? $" (and {Profiles - 1} merged ids redirecting to it)" : "")
        + $": {Identities} identities, {Attributes} attributes, {Events} events"
        + (ErasedFromLake ? $"; erased {LakeMessages} lake messages that carried its identities" : "; the lake messages are kept");
}
