using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.ChangeFeed;

/// <summary>
/// Keeps open studio pages current: the profiles a committed change touched (and those merged away)
/// are announced to the pages showing them; a change of every profile (a rebuild, every computed value) makes every page reload. Fed from the durable
/// feed, off the unification writer's path; it needs no history, so it starts at the feed's end.
/// </summary>
public sealed class StudioPagesConsumer(UnificationNotifications notifications) : IChangeFeedConsumer
{
    public string Name => "studio-pages";

    public string Description => "Refreshes open studio pages when their profiles change";

    public bool StartsAtEnd => true;

    public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
    {
        // Rows for every profile (profile 0): a rebuild, and the end of a computed attribute's backfill or the removal of a
        // definition's values (every profile's computed values changed). Every open page reloads.
        if (changes.Any(c => c.Kinds.HasFlag(ProfileChangeKinds.Rebuilt) || c.ComputedForEveryProfile))
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
