using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Tests.Ingestion;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

/// <summary>
/// The explorer's "last activity" sorts, on profiles made by the real ingestion and unification: people with no
/// timeline event (known from a CRM record imported today) come after everyone with activity, in both directions.
/// </summary>
public sealed class ProfileDirectorySortTests(IngestionAppFactory app) : IClassFixture<IngestionAppFactory>
{
    [Fact]
    public async Task Page_ByLastActivity_PeopleWithoutActivityComeLastInBothDirections()
    {
        var web = app.CreateWriteKeyClient(IngestionAppFactory.WriteKeyOf("Web"));
        var now = app.Now;
        async Task SendAsync(string path, object message) => Assert.Equal(HttpStatusCode.OK, (await web.PostAsJsonAsync(path, message)).StatusCode);
        // Two CRM-style records received now (no time: first seen is now), and two people active days and weeks ago.
        await SendAsync("/v1/identify", new { userId = "sort-crm-1", traits = new { plan = "gold" } });
        await SendAsync("/v1/track", new { userId = "sort-old", @event = "Ordered", timestamp = now.AddDays(-30).ToString("O") });
        await SendAsync("/v1/identify", new { userId = "sort-crm-2", traits = new { plan = "silver" }, timestamp = now.AddHours(-1).ToString("O") });
        await SendAsync("/v1/page", new { userId = "sort-recent", name = "Home", timestamp = now.AddDays(-2).ToString("O") });
        var directory = app.Services.GetRequiredService<ProfileDirectory>();
        await Poll.UntilAsync(() => directory.PageAsync(null, ProfileSort.LastActivityNewest, 0, 25), p => p.Total == 4, "the four profiles");

        var newest = await PeopleAsync(directory, ProfileSort.LastActivityNewest, 0, 25);
        var oldest = await PeopleAsync(directory, ProfileSort.LastActivityOldest, 0, 25);

        Assert.Equal(["user_id:sort-recent", "user_id:sort-old", "user_id:sort-crm-1", "user_id:sort-crm-2"], newest.Select(p => p.PrimaryIdentity));
        Assert.Equal(["user_id:sort-old", "user_id:sort-recent", "user_id:sort-crm-2", "user_id:sort-crm-1"], oldest.Select(p => p.PrimaryIdentity));
        Assert.Equal([true, true, false, false], newest.Select(p => p.HasActivity));
        // Pages cut anywhere give the same order: inside the active people, across the boundary, inside the others.
        foreach (var sort in new[] { ProfileSort.LastActivityNewest, ProfileSort.LastActivityOldest })
        {
            var whole = sort == ProfileSort.LastActivityNewest ? newest : oldest;
            for (var skip = 0; skip < 4; skip++)
            {
                Assert.Equal(whole.Skip(skip).Take(1).Select(p => p.Id), (await PeopleAsync(directory, sort, skip, 1)).Select(p => p.Id));
                Assert.Equal(whole.Skip(skip).Take(2).Select(p => p.Id), (await PeopleAsync(directory, sort, skip, 2)).Select(p => p.Id));
            }
        }
    }

    private static async Task<IReadOnlyList<ProfileSummary>> PeopleAsync(ProfileDirectory directory, ProfileSort sort, int skip, int take) =>
        (await directory.PageAsync(null, sort, skip, take)).Items;
}
