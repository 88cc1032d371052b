using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification.Stages;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// Everything a run changed, ready to be written in one transaction: each stage's changes (written
/// by its writer, in the pipeline's order), plus what belongs to the run itself (how far it got, retried
/// set-aside messages, extra change-feed rows). Profile ids are the survivors' (merges within the run
/// are already applied). The built-in stages' changes are at hand for readers of a run (the rule
/// simulator, a split, tests).
/// </summary>
public sealed class UnificationChanges
{
    private readonly List<IStageChanges> _outputs = [];

    /// <summary>Each stage's changes, in the order the stages ran (or were first asked for).</summary>
    public IReadOnlyList<IStageChanges> Outputs => _outputs;

    public T? Find<T>() where T : class, IStageChanges => _outputs.OfType<T>().FirstOrDefault();

    public void Add(IStageChanges output)
    {
        if (_outputs.Any(o => o.GetType() == output.GetType()))
        {
            throw new InvalidOperationException($"A run has one {output.GetType().Name}.");
        }
        _outputs.Add(output);
    }

    /// <summary>The changes of type <typeparamref name="T"/>; empty ones are added when no stage produced them (a split builds its changes by hand).</summary>
    public T Output<T>() where T : class, IStageChanges, new()
    {
        if (Find<T>() is { } found)
        {
            return found;
        }
        var created = new T();
        _outputs.Add(created);
        return created;
    }

    public MessageReadChanges Read => Output<MessageReadChanges>();
    public IdentityChanges Identity => Output<IdentityChanges>();
    public FragmentChanges Fragments => Output<FragmentChanges>();

    public List<Profile> CreatedProfiles => Identity.CreatedProfiles;
    public List<(long From, long Into)> Merges => Identity.Merges;
    public Dictionary<IdentityKey, IdentityRecord> Identities => Identity.Identities;
    public Dictionary<(IdentityKey From, IdentityKey To), IdentityLink> Links => Identity.Links;
    public Dictionary<long, ProfileTouch> Touched => Identity.Touched;
    public List<IdentityInsight> Insights => Identity.Insights;
    public Dictionary<(long Profile, int Source, string Key), ProfileAttribute> Attributes => Fragments.Attributes;
    public List<ProfileEvent> Events => Fragments.Events;

    /// <summary>Messages the run could not read: recorded with the reason, and passed over from then on.</summary>
    public List<SetAsideMessage> SetAside => Read.SetAside;

    /// <summary>Set-aside messages processed again at someone's request; those not set aside again leave the list of set-aside messages.</summary>
    public List<long> Retried { get; } = [];

    /// <summary>Change-feed rows beyond those the stages describe: a split's parts, for instance.</summary>
    public List<ProfileChange> Feed { get; } = [];

    public long LastMessageId { get; set; }

    public int Messages { get; set; }
}
