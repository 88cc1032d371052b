using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>Cases a review found: blank message ids, secrets brought in by a batch's context, long numeric identifiers, a byte-order mark.</summary>
public sealed class TrackingEdgeCaseTests(IngestionAppFactory factory) : IClassFixture<IngestionAppFactory>
{
    private static readonly string WebKey = IngestionAppFactory.WriteKeyOf("Web");

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, string json)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task BlankMessageIds_AreNotSent_SoTwoMessagesWithThemAreBothKept(string blank)
    {
        var run = Guid.NewGuid().ToString("N");
        var first = await PostAsync("/v1/track", $$"""{"userId":"a-{{run}}","event":"E","messageId":"{{blank}}"}""");
        var second = await PostAsync("/v1/track", $$"""{"userId":"b-{{run}}","event":"E","messageId":"{{blank}}"}""");

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Contains("\"accepted\":1", second.Body);
        var lake = await factory.LakeAsync(await factory.SourceIdAsync("Web"));
        Assert.Equal(2, lake.Count(m => m.Payload.Contains(run)));
        Assert.All(lake.Where(m => m.Payload.Contains(run)), m => Assert.StartsWith("ps-", m.MessageId));
    }

    [Fact]
    public async Task AMessageIdLongerThanTheLakeKeeps_IsRefusedWithTheReason()
    {
        var (status, body) = await PostAsync("/v1/track", $$"""{"userId":"u","event":"E","messageId":"{{new string('m', 300)}}"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = JsonNode.Parse(body)!["error"]!["message"]!.GetValue<string>();
        Assert.Contains("\"messageId\" is 300 characters long", message);
    }

    [Fact]
    public async Task AWriteKeyInTheBatchsContextOrIntegrations_IsNotStoredWithTheItems()
    {
        var run = Guid.NewGuid().ToString("N");
        var (status, _) = await PostAsync("/v1/batch",
            $$"""{"context":{"WriteKey":"{{WebKey}}"},"integrations":{"write_key":"{{WebKey}}"},"batch":[{"type":"track","userId":"{{run}}","event":"E"}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var stored = Assert.Single(await factory.LakeAsync(await factory.SourceIdAsync("Web")), m => m.Payload.Contains(run));
        Assert.DoesNotContain(WebKey, stored.Payload);
    }

    [Fact]
    public async Task ANumericIdentifierLongerThanAnIdentifierMayBe_IsRefused()
    {
        var zeros = new string('0', 600);
        var (traits, _) = await PostAsync("/v1/identify", "{\"userId\":\"u\",\"traits\":{\"crm_id\":0." + zeros + "7}}");
        var (external, _) = await PostAsync("/v1/identify", "{\"userId\":\"u\",\"context\":{\"externalIds\":[{\"type\":\"loyalty_id\",\"id\":0." + zeros + "9}]}}");

        Assert.Equal(HttpStatusCode.BadRequest, traits);
        Assert.Equal(HttpStatusCode.BadRequest, external);
    }

    [Fact]
    public async Task ABodyStartingWithAByteOrderMark_IsRead()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var body = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("""{"userId":"bom","event":"E"}""")).ToArray();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await client.PostAsync("/v1/track", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void Extract_AnIdentifierThatCouldNeverBeLookedUp_IsDroppedWithTheReasonInAnyNamespace()
    {
        var extracted = IdentityExtractor.Extract(new JsonObject { ["type"] = "identify", ["userId"] = "x\u0001y" }, IdentityRules.Default);

        var dropped = Assert.Single(extracted);
        Assert.Null(dropped.Key);
        Assert.Contains("control character", dropped.DroppedBecause);
    }
}
