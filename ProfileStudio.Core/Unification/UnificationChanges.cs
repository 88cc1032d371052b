using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// Everything a run of messages changed, ready to be written in one transaction. Profile ids on
/// attributes, events and touches are the survivors' (merges within the run are already applied).
/// </summary>
public sealed class UnificationChanges
{
    public List<Profile> CreatedProfiles { get; } = [];

    /// <summary>Merges in the order they happened: the first profile's data moves into the second.</summary>
    public List<(long From, long Into)> Merges { get; } = [];

    /// <summary>The final state of every identifier the run touched.</summary>
    public Dictionary<IdentityKey, IdentityRecord> Identities { get; } = [];

    public Dictionary<(IdentityKey From, IdentityKey To), IdentityLink> Links { get; } = [];

    /// <summary>The newest value per (profile, source, key) seen in the run.</summary>
    public Dictionary<(long Profile, int Source, string Key), ProfileAttribute> Attributes { get; } = [];

    public List<ProfileEvent> Events { get; } = [];

    /// <summary>
    /// Per profile the run touched: the earliest event time of its messages (first seen), the latest
    /// event time of its timeline events (last activity; <see cref="DateTime.MinValue"/> when the run
    /// brought none: a CRM record or a sign-in is data about the person, not activity) and its latest message.
    /// </summary>
    public Dictionary<long, (DateTime FirstAt, DateTime At, long MessageId)> Touched { get; } = [];

    public List<IdentityInsight> Insights { get; } = [];

    /// <summary>Messages the engine could not read: recorded with the reason, and passed over from then on.</summary>
    public List<SetAsideMessage> SetAside { get; } = [];

    /// <summary>Set-aside messages processed again at someone's request; those not set aside again leave the list of set-aside messages.</summary>
    public List<long> Retried { get; } = [];

    public long LastMessageId { get; set; }

    public int Messages { get; set; }
}
