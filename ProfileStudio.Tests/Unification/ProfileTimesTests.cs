using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Tests.Ingestion;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Unification;

/// <summary>
/// A profile's first-seen, last-activity and last-change times are the person's event times, whatever order the
/// data arrives in: not the time a record was imported, nor the time of the message that happened to come first.
/// Last activity counts timeline events only; last change (UpdatedAt) counts every message about the person.
/// </summary>
public sealed class ProfileTimesTests(IngestionAppFactory app) : IClassFixture<IngestionAppFactory>
{
    [Fact]
    public async Task ImportedRecordFirst_OlderEventsLater_FirstSeenIsTheOldestEvent_LastActivityTheLatestTimelineEvent_LastChangeTheRecord()
    {
        var client = app.CreateWriteKeyClient(IngestionAppFactory.WriteKeyOf("Web"));
        var now = app.Now;
        var viewed = now.AddDays(-20);
        var firstVisit = now.AddDays(-30);

        // A record without a time (as a CRM export row is), received now; then the person's older activity.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/identify", new { userId = "times-1", traits = new { plan = "plus" } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/track", new { userId = "times-1", @event = "Product Viewed", timestamp = viewed.ToString("O") })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/page", new { userId = "times-1", name = "Home", timestamp = firstVisit.ToString("O") })).StatusCode);

        var profile = await Poll.UntilAsync(() => ProfileAsync("times-1"), p => p is { Events: 2 }, "both events on the profile");

        Assert.Equal(firstVisit, profile!.CreatedAt);
        Assert.Equal(viewed, profile.LastActivityAt);
        Assert.Equal(now, profile.UpdatedAt); // the record, received (and so timed) now
    }

    [Fact]
    public async Task NoTimelineEvents_NoLastActivity_LastChangeIsTheLaterRecord()
    {
        var client = app.CreateWriteKeyClient(IngestionAppFactory.WriteKeyOf("Web"));
        var now = app.Now;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/identify", new { userId = "times-2", traits = new { plan = "a" }, timestamp = now.AddDays(-9).ToString("O") })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/identify", new { userId = "times-2", traits = new { plan = "b" } })).StatusCode);

        await Poll.UntilAsync(() => PlanAsync("times-2"), plan => plan == "\"b\"", "the second record");
        var profile = await ProfileAsync("times-2");

        Assert.Equal(now.AddDays(-9), profile!.CreatedAt);
        Assert.Null(profile.LastActivityAt);
        Assert.Equal(now, profile.UpdatedAt);
    }

    [Fact]
    public async Task TwoProfilesMerge_SurvivorKeepsTheEarliestFirstSeenTheLatestActivityAndTheLatestChange()
    {
        var client = app.CreateWriteKeyClient(IngestionAppFactory.WriteKeyOf("Web"));
        var now = app.Now;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/track", new { anonymousId = "times-anon-3", @event = "Browsed", timestamp = now.AddDays(-5).ToString("O") })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/track", new { userId = "times-3", @event = "Ordered", timestamp = now.AddDays(-12).ToString("O") })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/identify", new { userId = "times-3", anonymousId = "times-anon-3", timestamp = now.AddDays(-4).ToString("O") })).StatusCode);

        var profile = await Poll.UntilAsync(() => ProfileAsync("times-3"), p => p is { Events: 2 }, "the merged profile");

        Assert.Equal(now.AddDays(-12), profile!.CreatedAt);
        Assert.Equal(now.AddDays(-5), profile.LastActivityAt);
        Assert.Equal(now.AddDays(-4), profile.UpdatedAt); // the identify that merged them
    }

    [Fact]
    public async Task MergedProfileChangedLater_SurvivorTakesItsLastChange()
    {
        var client = app.CreateWriteKeyClient(IngestionAppFactory.WriteKeyOf("Web"));
        var now = app.Now;
        // The anonymous profile's record is the latest thing known about the person; the identify that joins them is older.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/identify", new { userId = "times-4", traits = new { plan = "a" }, timestamp = now.AddDays(-8).ToString("O") })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/identify", new { anonymousId = "times-anon-4", traits = new { colour = "red" }, timestamp = now.AddDays(-1).ToString("O") })).StatusCode);
        // Both profiles stored before they merge, so the merge moves a stored profile's last change (not one still in the run).
        await Poll.UntilAsync(() => ProfileAsync("times-4", "anonymous_id", "times-anon-4"), p => p is not null, "the anonymous profile");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/identify", new { userId = "times-4", anonymousId = "times-anon-4", timestamp = now.AddDays(-6).ToString("O") })).StatusCode);

        var profile = await Poll.UntilAsync(() => ProfileAsync("times-4"), p => p is { Identities: 2 }, "the merged profile");

        Assert.Equal(now.AddDays(-8), profile!.CreatedAt);
        Assert.Null(profile.LastActivityAt);
        Assert.Equal(now.AddDays(-1), profile.UpdatedAt);
    }

    private sealed record Times(DateTime CreatedAt, DateTime? LastActivityAt, DateTime UpdatedAt, int Events, int Identities);

    private async Task<Times?> ProfileAsync(string userId, string ns = "user_id", string? value = null)
    {
        await using var db = await app.DbAsync();
        value ??= userId;
        var id = await db.Identities.Where(i => i.Namespace == ns && i.Value == value).Select(i => (long?)i.ProfileId).FirstOrDefaultAsync();
        if (id is null)
        {
            return null;
        }
        // Events first: the worker may commit a run between the two reads, and a profile read after
        // the count is at least as current as the events counted (read the other way, a run committed
        // in between showed two events beside the times of one).
        var events = await db.ProfileEvents.CountAsync(e => e.ProfileId == id);
        var identities = await db.Identities.CountAsync(i => i.ProfileId == id);
        var p = await db.Profiles.SingleAsync(p => p.Id == id);
        return new Times(p.CreatedAt, p.LastActivityAt, p.UpdatedAt, events, identities);
    }

    private async Task<string?> PlanAsync(string userId)
    {
        await using var db = await app.DbAsync();
        return await (from i in db.Identities
                      join a in db.ProfileAttributes on i.ProfileId equals a.ProfileId
                      where i.Namespace == "user_id" && i.Value == userId && a.Key == "plan"
                      select a.ValueJson).FirstOrDefaultAsync();
    }
}
