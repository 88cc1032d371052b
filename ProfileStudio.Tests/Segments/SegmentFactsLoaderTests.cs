using System.Text.Json.Nodes;
using ProfileStudio.Core.Segments;
using static ProfileStudio.Tests.Segments.SegmentHarness;

namespace ProfileStudio.Tests.Segments;

/// <summary>
/// What the streaming consumer, clock checks and full evaluations read about a profile (<see cref="SegmentFactsLoader"/>,
/// plain readers): the events of the names rules read, whatever characters the names hold, the identities of the
/// namespaces they read, current memberships, and nothing of profiles that are not live.
/// </summary>
public sealed class SegmentFactsLoaderTests
{
    private const string Quoted = "Kauf \"abgeschlossen\" 🛒 ' OR 1=1 --";

    [Fact]
    public async Task Facts_HoldTheEventsAndIdentitiesRulesRead_WhateverTheirCharacters_AndOnlyLiveProfiles()
    {
        await using var h = await StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", Quoted, lastDays: 3)));
        await h.ActivateAsync("Known", All(new IdentityCondition("c1", "user_id", true)));
        var sentAt = h.Now;
        h.SendAt = sentAt;
        h.Send("ü/1", null, Quoted, new JsonObject { ["amount"] = 7, ["note"] = "日本語" }, at: TimeSpan.FromHours(-1));
        h.Send("ü/1", "anon-1", "Page Viewed", at: TimeSpan.FromHours(-2)); // a name no rule reads; an identity in a namespace no rule reads
        await h.SyncAsync();
        var profile = await h.ProfileOfAsync("user_id", "ü/1");

        await using var db = await h.DbAsync();
        var facts = await SegmentFactsLoader.LoadAsync(db, [profile, profile, 987_654_321], h.Catalog.Current, h.Now);

        var f = Assert.Single(facts).Value; // an unknown id is left out; a repeated one is read once
        Assert.Equal(profile, f.ProfileId);
        var e = Assert.Single(f.Events);
        Assert.Equal(Quoted, e.Name);
        Assert.Equal(DateTimeKind.Utc, e.At.Kind);
        Assert.Equal(sentAt.AddHours(-1), e.At, TimeSpan.FromSeconds(1));
        Assert.Equal(7, e.Properties.GetProperty("amount").GetInt32());
        Assert.Equal("日本語", e.Properties.GetProperty("note").GetString());
        Assert.Equal(["ü/1"], f.Identities["user_id"]);
        Assert.False(f.Identities.ContainsKey("anonymous_id"));
        Assert.Contains(buyers.Id, f.Segments); // the consumer evaluated it: the stored membership is read back
    }

    [Fact]
    public async Task AProfileMergedAway_HasNoFacts()
    {
        await using var h = await StartAsync();
        await h.ActivateAsync("Known", All(new IdentityCondition("c1", "user_id", true)));
        h.Send(null, "anon-2", "Page Viewed");
        await h.SyncAsync();
        var anonymous = await h.ProfileOfAsync("anonymous_id", "anon-2");
        h.Send("u-2", null, "Page Viewed");
        await h.SyncAsync();
        var known = await h.ProfileOfAsync("user_id", "u-2");
        h.Send("u-2", "anon-2", "Page Viewed"); // links the two: one of them is merged into the other
        await h.SyncAsync();
        var survivor = await h.ProfileOfAsync("user_id", "u-2");
        var mergedAway = survivor == known ? anonymous : known;

        await using var db = await h.DbAsync();
        var facts = await SegmentFactsLoader.LoadAsync(db, [anonymous, known], h.Catalog.Current, h.Now);

        Assert.Equal([survivor], facts.Keys);
        Assert.NotEqual(survivor, mergedAway);
    }
}
