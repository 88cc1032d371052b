using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.ChangeFeed;

/// <summary>
/// Keeps open studio pages current: the profiles a committed change touched (and those merged away)
/// are announced to the pages showing them; a rebuild makes every page reload. Fed from the durable
/// feed, off the unification writer's path; it needs no history, so it starts at the feed's end.
/// </summary>
public sealed class StudioPagesConsumer(UnificationNotifications notifications) : IChangeFeedConsumer
{
    public string Name => "studio-pages";

    public string Description => "Refreshes open studio pages when their profiles change";

    public bool StartsAtEnd => true;

    public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
    {
        if (changes.Any(c => c.Kinds.HasFlag(ProfileChangeKinds.Rebuilt)))
        {
            notifications.PublishRebuilt();
        }
        var profiles = changes.Where(c => c.ProfileId != 0).Select(c => c.ProfileId)
            .Concat(changes.Where(c => c.OtherProfileId is not null).Select(c => c.OtherProfileId!.Value)).ToHashSet();
        if (profiles.Count > 0)
        {
            notifications.PublishProfiles(profiles);
        }
        return Task.CompletedTask;
    }
}
