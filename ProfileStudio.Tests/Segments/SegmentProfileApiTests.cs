using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Segments;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Segments;

/// <summary>
/// Segments through the real app: a segment activated in the store, an order sent through the tracking API,
/// unified by the worker and evaluated by the segments consumer; the Profile API lists the membership at
/// <c>/segments</c> and as an audience trait.
/// </summary>
public sealed class SegmentProfileApiTests(ProfileApiAppFactory factory) : IClassFixture<ProfileApiAppFactory>
{
    private SegmentStore Store => factory.Services.GetRequiredService<SegmentStore>();

    private async Task<(string User, Segment Segment)> BuyerInSegmentAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new EventCondition("c1", $"Ordered {tag}", true)]));
        var created = await Store.CreateAsync(AuditActor.System, new SegmentDraft($"Buyers {tag} (test)", null, SegmentRuleJson.Serialize(rule)));
        Assert.True(created.Succeeded, string.Join("; ", created.Problems));
        Assert.True((await Store.ActivateAsync(AuditActor.System, created.Segment!.Id)).Succeeded);
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "track", messageId = $"o-{tag}", userId = $"u-{tag}", @event = $"Ordered {tag}", timestamp = DateTime.UtcNow });
        await factory.UnifiedAsync();
        return ($"u-{tag}", created.Segment);
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        using var client = factory.Client(ProfileApiAppFactory.ReaderToken);
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiResponses.JsonAsync(response);
    }

    [Fact]
    public async Task Segments_ListsTheSegmentsTheProfileIsIn_SinceWhen()
    {
        var (user, segment) = await BuyerInSegmentAsync();

        var body = await Poll.UntilAsync(() => GetAsync($"/api/v1/profiles/user_id:{user}/segments"),
            b => b.GetProperty("data").GetArrayLength() == 1, "the membership in the Profile API");

        var item = body.GetProperty("data")[0];
        Assert.Equal(segment.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), item.GetProperty("id").GetString());
        Assert.Equal(segment.Name, item.GetProperty("name").GetString());
        Assert.Equal(SegmentKeys.Of(segment.Name), item.GetProperty("key").GetString());
        Assert.True(item.GetProperty("since").GetDateTime() > DateTime.UtcNow.AddMinutes(-5));
        Assert.False(body.GetProperty("cursor").GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task Segments_ThreeMemberships_PagedBySegmentIdWithCursor()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var rule = SegmentRuleJson.Serialize(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new EventCondition("c1", $"Ordered {tag}", true)])));
        var ids = new List<string>();
        foreach (var name in new[] { "C", "A", "B" })
        {
            var created = await Store.CreateAsync(AuditActor.System, new SegmentDraft($"{name} paged {tag}", null, rule));
            Assert.True(created.Succeeded, string.Join("; ", created.Problems));
            Assert.True((await Store.ActivateAsync(AuditActor.System, created.Segment!.Id)).Succeeded);
            ids.Add(created.Segment.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "track", messageId = $"o-{tag}", userId = $"u-{tag}", @event = $"Ordered {tag}", timestamp = DateTime.UtcNow });
        await factory.UnifiedAsync();
        await Poll.UntilAsync(() => GetAsync($"/api/v1/profiles/user_id:u-{tag}/segments"), b => b.GetProperty("data").GetArrayLength() == 3, "the three memberships");

        var first = await GetAsync($"/api/v1/profiles/user_id:u-{tag}/segments?limit=2");
        var cursor = first.GetProperty("cursor");
        var second = await GetAsync(cursor.GetProperty("url").GetString()!);

        Assert.Equal(ids.Take(2), first.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.True(cursor.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[1], cursor.GetProperty("next").GetString());
        Assert.Contains("limit=2", cursor.GetProperty("url").GetString());
        Assert.Equal(ids.Skip(2), second.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.False(second.GetProperty("cursor").GetProperty("has_more").GetBoolean());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("cursor").GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task Traits_AMembershipIsABooleanAudienceTrait_AloneWithClassAudience()
    {
        var (user, segment) = await BuyerInSegmentAsync();
        var key = SegmentKeys.Of(segment.Name);
        await Poll.UntilAsync(() => GetAsync($"/api/v1/profiles/user_id:{user}/segments"), b => b.GetProperty("data").GetArrayLength() == 1, "the membership");

        var audiences = (await GetAsync($"/api/v1/profiles/user_id:{user}/traits?class=audience")).GetProperty("traits");
        Assert.Equal([key], audiences.EnumerateObject().Select(p => p.Name));
        Assert.True(audiences.GetProperty(key).GetBoolean());

        var verbose = (await GetAsync($"/api/v1/profiles/user_id:{user}/traits?class=audience&verbose=true")).GetProperty("traits").GetProperty(key);
        Assert.Equal("audience", verbose.GetProperty("class").GetString());
        Assert.Equal(segment.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), verbose.GetProperty("segment_id").GetString());

        Assert.True((await GetAsync($"/api/v1/profiles/user_id:{user}/traits?limit=200")).GetProperty("traits").GetProperty(key).GetBoolean());
        Assert.False((await GetAsync($"/api/v1/profiles/user_id:{user}/traits?class=computed_trait")).GetProperty("traits").TryGetProperty(key, out _));
    }

    [Fact]
    public async Task Segments_UnknownProfile404_NoToken401_BadClass400()
    {
        using (var client = factory.Client(ProfileApiAppFactory.ReaderToken))
        {
            using var missing = await client.GetAsync("/api/v1/profiles/user_id:nobody-here/segments");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            using var badClass = await client.GetAsync("/api/v1/profiles/user_id:nobody-here/traits?class=audiences");
            Assert.Contains("class=audience", await ApiResponses.ErrorAsync(badClass, HttpStatusCode.BadRequest, "invalid_request_error"));
        }
        using var anonymous = factory.Client(null);
        using var unauthorized = await anonymous.GetAsync("/api/v1/profiles/user_id:nobody-here/segments");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Fact]
    public void Keys_AreLowerCaseWithUnderscores() =>
        Assert.Equal(["recent_buyers_30_days", "high_value_lifetime_value_500", "café"],
            new[] { "Recent buyers (30 days)", "High value (lifetime value ≥ 500)", "  Café  " }.Select(SegmentKeys.Of));
}
