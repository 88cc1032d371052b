using ProfileStudio.Core.Schema;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>
/// Computed attributes through the real app: a definition activated over existing profiles is
/// backfilled by the background job, new events update it live through the unification worker, and the
/// Profile API lists it among the traits (all by default, only computed ones with class=computed_trait).
/// </summary>
public sealed class ComputedTraitsApiTests(ProfileApiAppFactory factory) : IClassFixture<ProfileApiAppFactory>
{
    private static readonly DateTime T = DateTime.UtcNow.AddDays(-1);

    private ComputedAttributeStore Store => factory.Services.GetRequiredService<ComputedAttributeStore>();

    private async Task<string> SeedAsync(params double[] totals)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
        [
            new { type = "identify", messageId = $"i-{tag}", userId = $"u-{tag}", timestamp = T, traits = new { name = "Ada" } },
            .. totals.Select((total, i) => (object)new { type = "track", messageId = $"b-{tag}-{i}", userId = $"u-{tag}", @event = "Bought", timestamp = T.AddMinutes(i), properties = new { total } }),
        ]);
        await factory.UnifiedAsync();
        return $"u-{tag}";
    }

    private async Task<ComputedAttributeDefinition> ActivateAsync(string name, ComputedFunction function, string? path, params EventCondition[] conditions)
    {
        var saved = await Store.SaveAsync(AuditActor.System, null,
            new ComputedAttributeDraft(name, "test", function, ["Bought"], path, conditions, LookbackWindow.Days(30)));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        var activated = await Store.ActivateAsync(AuditActor.System, saved.Definition!.Id);
        Assert.True(activated.Succeeded, string.Join("; ", activated.Problems));
        await Poll.UntilAsync(() => Store.BackfillAsync(saved.Definition.Id), p => p?.State == BackfillState.Done, $"the backfill of {name}");
        return activated.Definition!;
    }

    private async Task<JsonElement> TraitsAsync(string userId, string query = "")
    {
        using var client = factory.Client(ProfileApiAppFactory.ReaderToken);
        using var response = await client.GetAsync($"/api/v1/profiles/user_id:{userId}/traits?limit=200{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await ApiResponses.JsonAsync(response)).GetProperty("traits");
    }

    [Fact]
    public async Task Traits_ABackfilledThenLiveComputedValue_AmongAllTraitsAndAloneWithClassComputedTrait()
    {
        var user = await SeedAsync(12.5, 7.5);
        await ActivateAsync("bought_total", ComputedFunction.Sum, "total");

        var all = await TraitsAsync(user);
        Assert.Equal("Ada", all.GetProperty("name").GetString());
        Assert.Equal(20m, all.GetProperty("bought_total").GetDecimal()); // backfilled from the two earlier events

        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "track", messageId = $"b-{user}-live", userId = user, @event = "Bought", timestamp = T.AddHours(1), properties = new { total = 5 } });
        await factory.UnifiedAsync();

        var computed = await TraitsAsync(user, "&class=computed_trait");
        Assert.Equal(25m, computed.GetProperty("bought_total").GetDecimal()); // the live stage added the new event
        Assert.False(computed.TryGetProperty("name", out _));
    }

    [Fact]
    public async Task PageAndScreenViewsNamedAsATrackEvent_AreNotCounted_ByTheBackfillNorLive()
    {
        // page('Bought') on a thank-you page is on the timeline under the name "Bought": it is not a purchase.
        var user = await SeedAsync(10);
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "page", messageId = $"p-{user}", userId = user, name = "Bought", timestamp = T.AddMinutes(5), properties = new { total = 1000 } });
        await factory.UnifiedAsync();
        await ActivateAsync("tracked_total", ComputedFunction.Sum, "total");
        Assert.Equal(10m, (await TraitsAsync(user, "&class=computed_trait")).GetProperty("tracked_total").GetDecimal()); // the backfill

        await factory.SendAsync(ProfileApiAppFactory.WebKey,
        [
            new { type = "screen", messageId = $"s-{user}", userId = user, name = "Bought", timestamp = T.AddHours(1), properties = new { total = 1000 } },
            new { type = "track", messageId = $"t-{user}", userId = user, @event = "Bought", timestamp = T.AddHours(2), properties = new { total = 5 } },
        ]);
        await factory.UnifiedAsync();

        Assert.Equal(15m, (await TraitsAsync(user, "&class=computed_trait")).GetProperty("tracked_total").GetDecimal()); // live: the track event only
    }

    [Fact]
    public async Task Traits_Verbose_AComputedValueSaysWhenAndWhatItComputes()
    {
        var user = await SeedAsync(3, 3, 4);
        await ActivateAsync("bought_max", ComputedFunction.Max, "total");

        var trait = (await TraitsAsync(user, "&verbose=true&class=computed_trait")).GetProperty("bought_max");

        Assert.Equal(4m, trait.GetProperty("value").GetDecimal());
        Assert.Equal("computed_trait", trait.GetProperty("class").GetString());
        Assert.True(trait.GetProperty("computed_at").GetDateTime() > DateTime.UtcNow.AddMinutes(-5));
        Assert.Equal("max", trait.GetProperty("definition").GetProperty("function").GetString());
        Assert.Equal("last 30 days", trait.GetProperty("definition").GetProperty("window").GetString());
    }

    [Fact]
    public async Task Traits_Verbose_ADefinitionsConditionsAreGiven_SoTheValueCanBeExplained()
    {
        // "bought_big" counts only purchases of 4 or more: without its conditions the API's description read as the count of all.
        var user = await SeedAsync(3, 4, 9);
        await ActivateAsync("bought_big", ComputedFunction.Count, null, EventCondition.Of("total", ConditionOperator.GreaterOrEqual, "4"));

        var trait = (await TraitsAsync(user, "&verbose=true&class=computed_trait")).GetProperty("bought_big");

        Assert.Equal(2, trait.GetProperty("value").GetInt32());
        var condition = Assert.Single(trait.GetProperty("definition").GetProperty("conditions").EnumerateArray().ToList());
        Assert.Equal("total", condition.GetProperty("path").GetString());
        Assert.Equal("greater_or_equal", condition.GetProperty("operator").GetString());
        Assert.Equal(["4"], condition.GetProperty("values").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task Traits_AnExpressionOverAnAggregate_IsAComputedTraitWithItsFormula()
    {
        var user = await SeedAsync(30, 10);
        var total = await ActivateAsync($"bought_sum_{Guid.NewGuid():N}"[..20], ComputedFunction.Sum, "total");
        await factory.ConsumedAsync(SchemaConsumer.ConsumerName); // a formula may name only attributes the union schema knows
        var saved = await Store.SaveAsync(AuditActor.System, null, new ComputedAttributeDraft("bought_label", null, ComputedFunction.Expression, [], null, [],
            LookbackWindow.AllTime, $"name + ': ' + text(round({total.Name} / 4, 1))"));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        Assert.True((await Store.ActivateAsync(AuditActor.System, saved.Definition!.Id)).Succeeded);

        var trait = (await TraitsAsync(user, "&verbose=true&class=computed_trait")).GetProperty("bought_label");

        Assert.Equal("Ada: 10", trait.GetProperty("value").GetString());
        Assert.Equal("expression", trait.GetProperty("definition").GetProperty("function").GetString());
        Assert.Equal($"name + ': ' + text(round({total.Name} / 4, 1))", trait.GetProperty("definition").GetProperty("formula").GetString());
        Assert.Equal("Ada: 10", (await TraitsAsync(user)).GetProperty("bought_label").GetString()); // among all traits too
        Assert.True((await Store.DisableAsync(AuditActor.System, saved.Definition.Id)).Succeeded); // the class fixture is shared
    }

    [Fact]
    public async Task Disable_ADefinitionWithValues_ValuesGoAndTheChangeFeedSaysComputedValuesChanged()
    {
        var user = await SeedAsync(4, 6);
        var definition = await ActivateAsync($"bought_off_{Guid.NewGuid():N}"[..20], ComputedFunction.Sum, "total");
        Assert.Equal(10, (await TraitsAsync(user)).GetProperty(definition.Name).GetDouble());
        long lastRow;
        await using (var db = await factory.DbAsync())
        {
            lastRow = await db.ProfileChanges.MaxAsync(c => (long?)c.Id) ?? 0;
        }

        Assert.True((await Store.DisableAsync(AuditActor.System, definition.Id)).Succeeded);

        Assert.False((await TraitsAsync(user)).TryGetProperty(definition.Name, out _));
        await using (var db = await factory.DbAsync())
        {
            // Consumers (destinations, segments) hear that computed values changed: every profile's, as after a backfill.
            var rows = await db.ProfileChanges.Where(c => c.Id > lastRow).ToListAsync();
            Assert.Contains(rows, c => c.ProfileId == 0 && c.Kinds == ProfileChangeKinds.Computed);
        }
    }

    /// <summary>Events whose total is each JSON text as sent (10.00 stays 10.00 on the wire).</summary>
    private async Task SendTotalsAsync(string userId, string tag, params string[] totals)
    {
        await factory.SendAsync(ProfileApiAppFactory.WebKey, totals.Select((total, i) => (object)new
        {
            type = "track", messageId = $"{tag}-{userId}-{i}", userId, @event = "Bought", timestamp = T.AddMinutes(30 + i),
            properties = JsonNode.Parse($$"""{"total":{{total}}}"""),
        }).ToArray());
        await factory.UnifiedAsync();
    }

    [Fact]
    public async Task Traits_MostFrequentAndDistinctOfNumbers_EqualNumbersAreOneValue_InOrderOfValue_BackfilledAndLive()
    {
        var user = await SeedAsync();
        await SendTotalsAsync(user, "before", "10", "9", "1.0", "10.00", "1e0");
        var mostFrequent = await ActivateAsync($"usual_{Guid.NewGuid():N}"[..20], ComputedFunction.MostFrequent, "total");
        var distinct = await ActivateAsync($"totals_{Guid.NewGuid():N}"[..20], ComputedFunction.Distinct, "total");

        // Backfilled: 1 twice (1.0, 1e0) and 10 twice (10, 10.00), a tie the smaller number wins; as texts "1.0", "10" and "10.00" were three values.
        var traits = await TraitsAsync(user, "&class=computed_trait");
        Assert.Equal("1", traits.GetProperty(mostFrequent.Name).GetRawText());
        Assert.Equal("[1,9,10]", traits.GetProperty(distinct.Name).GetRawText());

        await SendTotalsAsync(user, "live", "9.0", "0.9e1");

        traits = await TraitsAsync(user, "&class=computed_trait");
        Assert.Equal("9", traits.GetProperty(mostFrequent.Name).GetRawText()); // the live stage counts 9.0 and 0.9e1 as 9
        Assert.Equal("[1,9,10]", traits.GetProperty(distinct.Name).GetRawText());
    }

    [Fact]
    public async Task Traits_AnUnknownClass_400WithTheClassesThatExist()
    {
        var user = await SeedAsync(1);
        using var client = factory.Client(ProfileApiAppFactory.ReaderToken);
        using var response = await client.GetAsync($"/api/v1/profiles/user_id:{user}/traits?class=audiences");

        var message = await ApiResponses.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");

        Assert.Contains("computed_trait", message);
        Assert.Contains("class=audience", message);
    }
}
