using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Schema;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Schema;

/// <summary>
/// The real app on real SQLite: tracking messages through the Tracking API, unified by the worker, reach
/// the union schema and the event catalog through the change feed; a merge and a delete move the fill counts.
/// </summary>
public sealed class SchemaThroughTheApiTests(ProfileApiAppFactory factory) : IClassFixture<ProfileApiAppFactory>
{
    private static readonly DateTime T = new(2026, 11, 2, 9, 0, 0, DateTimeKind.Utc);

    private SchemaCatalog Catalog => factory.Services.GetRequiredService<SchemaCatalog>();

    private Task<AttributeSummary?> AttributeAsync(string path, Func<AttributeSummary?, bool> done, string waitingFor) =>
        Poll.UntilAsync(() => Catalog.AttributeAsync(path), done, waitingFor);

    [Fact]
    public async Task TrackingMessages_ReachTheSchemaAndCatalog_AndFillCountsFollowMergesAndDeletes()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "identify", messageId = $"{tag}-1", anonymousId = $"anon-{tag}", timestamp = T, traits = new { shoe = new { size = 42, brand = "Trail" }, newsletter = true } },
            new { type = "track", messageId = $"{tag}-2", anonymousId = $"anon-{tag}", timestamp = T, @event = $"Signed Up {tag}", properties = new { plan = "pro", seats = 3 } },
            new { type = "page", messageId = $"{tag}-3", anonymousId = $"anon-{tag}", timestamp = T, name = $"/pricing-{tag}" });
        await factory.SendAsync(ProfileApiAppFactory.CrmKey,
            new { type = "identify", messageId = $"{tag}-4", userId = $"user-{tag}", timestamp = T, traits = new { shoe = new { size = "42 EU" } } });

        var size = await AttributeAsync("shoe.size", a => a?.ProfileCount >= 2, "both profiles' shoe.size in the schema");
        Assert.Equal(["number", "text"], size!.Types.Select(t => t.Type).Order());
        Assert.Equal(["CRM", "Web"], size.Sources.Select(s => s.Name).Order());
        Assert.Contains("Trail", (await Catalog.AttributeAsync("shoe.brand"))!.Examples);
        var signedUp = await Poll.UntilAsync(() => Catalog.EventAsync($"track:Signed Up {tag}"), e => e is not null, "the track event in the catalog");
        Assert.Equal([("plan", "text"), ("seats", "number")], signedUp!.Properties.Select(p => (p.Path, p.Type)));
        Assert.Contains((await Catalog.EventsAsync("pricing")).Single(e => e.Type == "page").Names, n => n.Name == $"/pricing-{tag}");

        // The person signs in: the two profiles merge, and shoe.size is on one profile fewer.
        var before = size.ProfileCount;
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "identify", messageId = $"{tag}-5", anonymousId = $"anon-{tag}", userId = $"user-{tag}", timestamp = T.AddMinutes(1) });
        size = await AttributeAsync("shoe.size", a => a?.ProfileCount == before - 1, "the merge to count shoe.size once");
        Assert.Equal(2, size!.Sources.Sum(s => s.Count)); // both sources' values are still there, on one profile

        using var deleter = factory.Client(ProfileApiAppFactory.DeleterToken);
        using var response = await deleter.DeleteAsync($"/api/v1/profiles/user_id:user-{tag}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("Trail", (await Catalog.AttributeAsync("shoe.brand"))?.Examples ?? []); // with the delete itself
        await AttributeAsync("shoe.brand", a => a is null, "the deleted person's only path to leave the schema");
        await Poll.UntilAsync(() => Catalog.EventAsync($"track:Signed Up {tag}"), e => e is null, "the deleted person's event to leave the catalog");
    }
}
