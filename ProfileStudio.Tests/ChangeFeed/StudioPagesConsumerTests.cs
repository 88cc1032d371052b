using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Tests.ChangeFeed;

public sealed class StudioPagesConsumerTests
{
    private readonly UnificationNotifications _notifications = new();
    private readonly List<long> _profiles = [];
    private int _reloads;

    public StudioPagesConsumerTests()
    {
        _notifications.ProfilesChanged += ids => _profiles.AddRange(ids);
        _notifications.Rebuilt += () => _reloads++;
    }

    [Fact]
    public async Task TouchedAndMergedAwayProfiles_AreAnnouncedToTheirPages()
    {
        await new StudioPagesConsumer(_notifications).HandleAsync(
            [
                new ProfileChange { Id = 1, ProfileId = 4, Kinds = ProfileChangeKinds.Events },
                new ProfileChange { Id = 2, ProfileId = 7, Kinds = ProfileChangeKinds.Merged, OtherProfileId = 9 },
            ], default);

        Assert.Equal([4L, 7, 9], _profiles.Order());
        Assert.Equal(0, _reloads);
    }

    [Theory]
    [InlineData(ProfileChangeKinds.Rebuilt)]
    [InlineData(ProfileChangeKinds.Computed)] // a backfill ended, or a definition's values were removed
    public async Task ARowForEveryProfile_ReloadsEveryOpenPage(ProfileChangeKinds kinds)
    {
        await new StudioPagesConsumer(_notifications).HandleAsync([new ProfileChange { Id = 1, ProfileId = 0, Kinds = kinds }], default);

        Assert.Equal(1, _reloads);
        Assert.Empty(_profiles);
    }
}
