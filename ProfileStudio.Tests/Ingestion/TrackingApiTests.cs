using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;
using ProfileStudio.Tests.Hosting;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>The tracking API end to end: HTTP pipeline, write-key auth, the lake on real SQLite.</summary>
public sealed class TrackingApiTests : IClassFixture<TrackingApiTests.App>
{
    public const string WebKey = "wk_tracking_tests_web_0123456789";
    public const string OtherKey = "wk_tracking_tests_app_0123456789";
    private readonly App _app;

    public TrackingApiTests(App app) => _app = app;

    public sealed class App : StudioAppFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Name", "Web");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Kind", "streaming");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:WriteKey", WebKey);
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:Name", "App");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:Kind", "streaming");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:WriteKey", OtherKey);
        }

        public async Task<int> SourceIdAsync(string key) =>
            (await Services.GetRequiredService<SourceRegistry>().FindByWriteKeyAsync(key))!.Id;

        public async Task<RawMessage?> FindAsync(int sourceId, string messageId) =>
            (await Services.GetRequiredService<LakeReader>().QueryAsync(new LakeFilter(sourceId, Text: messageId), 0, 10)).Messages.FirstOrDefault();
    }

    private HttpClient Client(string? key = WebKey)
    {
        var client = _app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));
        }
        return client;
    }

    private static StringContent Json(string json, string type = "application/json") => new(json, Encoding.UTF8, type);

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Theory]
    [InlineData("identify", "identify", """{"userId":"u1","traits":{"plan":"pro"}}""")]
    [InlineData("track", "track", """{"userId":"u1","event":"Clicked"}""")]
    [InlineData("page", "page", """{"anonymousId":"a1","name":"Home"}""")]
    [InlineData("screen", "screen", """{"anonymousId":"a1","name":"Feed"}""")]
    [InlineData("group", "group", """{"userId":"u1","groupId":"g1"}""")]
    [InlineData("alias", "alias", """{"userId":"u1","previousId":"a1"}""")]
    [InlineData("i", "identify", """{"userId":"u1"}""")]
    [InlineData("t", "track", """{"userId":"u1","event":"E"}""")]
    [InlineData("p", "page", """{"userId":"u1"}""")]
    [InlineData("s", "screen", """{"userId":"u1"}""")]
    [InlineData("g", "group", """{"userId":"u1","groupId":"g"}""")]
    [InlineData("a", "alias", """{"userId":"u1","previousId":"p"}""")]
    public async Task Post_EachEndpointAndShortForm_StoresTheMessage(string endpoint, string type, string json)
    {
        var messageId = Guid.NewGuid().ToString("N");
        var payload = JsonNode.Parse(json)!.AsObject();
        payload["messageId"] = messageId;

        var response = await Client().PostAsync($"/v1/{endpoint}", Json(payload.ToJsonString()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool)(await BodyAsync(response))["success"]!);
        var stored = await _app.FindAsync(await _app.SourceIdAsync(WebKey), messageId);
        Assert.NotNull(stored);
        Assert.Equal(type, stored.Type);
        Assert.Equal(MessageStatus.Accepted, stored.Status);
    }

    [Fact]
    public async Task Post_WriteKeyInBody_WorksAndIsNotStored()
    {
        var messageId = Guid.NewGuid().ToString("N");

        var response = await Client(key: null).PostAsync("/v1/t", Json($$"""{"writeKey":"{{WebKey}}","userId":"u","event":"E","messageId":"{{messageId}}"}""", "text/plain"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await _app.FindAsync(await _app.SourceIdAsync(WebKey), messageId);
        Assert.DoesNotContain(WebKey, stored!.Payload);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wk_unknown")]
    public async Task Post_MissingOrUnknownKey_Is401WithErrorShape(string? key)
    {
        var response = await Client(key).PostAsync("/v1/track", Json("""{"userId":"u","event":"E"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authentication_error", (string?)(await BodyAsync(response))["error"]!["code"]);
        Assert.True(response.Headers.Contains("Request-Id"));
    }

    [Fact]
    public async Task Post_DisabledSourceAndRotatedKey_Are401()
    {
        var registry = _app.Services.GetRequiredService<SourceRegistry>();
        var created = await registry.CreateAsync(AuditActor.System, $"Temp {Guid.NewGuid():N}"[..20], SourceKind.Streaming, "");
        var oldKey = created.WriteKey!;
        var rotated = await registry.RotateKeyAsync(AuditActor.System, created.Source!.Id);

        var withOld = await Client(oldKey).PostAsync("/v1/track", Json("""{"userId":"u","event":"E"}"""));
        var withNew = await Client(rotated.WriteKey).PostAsync("/v1/track", Json("""{"userId":"u","event":"E"}"""));
        await registry.SetEnabledAsync(AuditActor.System, created.Source.Id, enabled: false);
        var disabled = await Client(rotated.WriteKey).PostAsync("/v1/track", Json("""{"userId":"u","event":"E"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, disabled.StatusCode);
        Assert.Contains("disabled", (string?)(await BodyAsync(disabled))["error"]!["message"]);
    }

    [Fact]
    public async Task Post_MalformedJson_Is400AndShowsAsRejectedForTheSource()
    {
        var response = await Client().PostAsync("/v1/track", Json("{\"userId\": \"broken"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", (string?)(await BodyAsync(response))["error"]!["code"]);
        var rejected = await _app.Services.GetRequiredService<LakeReader>()
            .QueryAsync(new LakeFilter(await _app.SourceIdAsync(WebKey), MessageStatus.Rejected, "unknown"), 0, 10);
        Assert.Contains(rejected.Messages, m => m.Payload.Contains("broken") && m.Error!.Contains("not valid JSON"));
    }

    [Fact]
    public async Task Post_OversizeBodyOrBatch_Is400()
    {
        var huge = "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"x\":\"" + new string('x', 600 * 1024) + "\"}}";
        var items = string.Join(",", Enumerable.Repeat("""{"type":"track","userId":"u","event":"E"}""", 2501));

        var tooLarge = await Client().PostAsync("/v1/track", Json(huge));
        var tooMany = await Client().PostAsync("/v1/batch", Json($$"""{"batch":[{{items}}]}"""));
        var brotli = new ByteArrayContent("{}"u8.ToArray());
        brotli.Headers.ContentEncoding.Add("br");
        var unsupported = await Client().PostAsync("/v1/track", brotli);

        Assert.Equal(HttpStatusCode.BadRequest, tooLarge.StatusCode);
        Assert.Contains("500 KB", (string?)(await BodyAsync(tooLarge))["error"]!["message"]);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
    }

    [Fact]
    public async Task Post_InvalidSingleMessage_Is400AndStoredAsRejectedWithReason()
    {
        var messageId = Guid.NewGuid().ToString("N");

        var response = await Client().PostAsync("/v1/track", Json($$"""{"userId":"u","messageId":"{{messageId}}"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_error", (string?)(await BodyAsync(response))["error"]!["code"]);
        var stored = await _app.FindAsync(await _app.SourceIdAsync(WebKey), messageId);
        Assert.Equal(MessageStatus.Rejected, stored!.Status);
        Assert.Equal("A track call needs an \"event\" name.", stored.Error);
    }

    [Fact]
    public async Task Post_BatchWithGoodAndBadItems_AcceptsTheGoodAndKeepsTheBad()
    {
        var response = await Client().PostAsync("/v1/batch", Json("""
            {"batch":[{"type":"track","userId":"u","event":"A"},{"type":"track","event":"no id"},{"type":"page","anonymousId":"x"},{"type":"nope"}]}
            """));

        var body = await BodyAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (int)body["accepted"]!);
        Assert.Equal(2, (int)body["rejected"]!);
    }

    [Fact]
    public async Task Post_GzipBodyAndFormContentType_AreRead()
    {
        var messageId = Guid.NewGuid().ToString("N");
        var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes($$"""{"userId":"u","event":"Zipped","messageId":"{{messageId}}"}"""));
        }
        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");

        var response = await Client().PostAsync("/v1/track", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await _app.FindAsync(await _app.SourceIdAsync(WebKey), messageId));
    }

    [Fact]
    public async Task Post_SameMessageIdTwice_IsStoredOncePerSource()
    {
        var body = """{"userId":"u","event":"E","messageId":"retry-me"}""";

        var first = await BodyAsync(await Client().PostAsync("/v1/track", Json(body)));
        var retry = await BodyAsync(await Client().PostAsync("/v1/track", Json(body)));
        var otherSource = await BodyAsync(await Client(OtherKey).PostAsync("/v1/track", Json(body)));

        Assert.Equal(1, (int)first["accepted"]!);
        Assert.Equal(0, (int)retry["accepted"]!);
        Assert.Equal(1, (int)retry["duplicates"]!);
        Assert.Equal(1, (int)otherSource["accepted"]!);
    }

    [Fact]
    public async Task Preflight_FromABrowserOrigin_AllowsAuthorizationAndContentType()
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/t");
        request.Headers.Add("Origin", "https://shop.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        var response = await _app.CreateClient().SendAsync(request);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        Assert.Contains("authorization", allowed);
        Assert.Contains("content-type", allowed);
    }

    [Fact]
    public async Task Post_MarkupSqlAndUnicodeInTraits_AreStoredVerbatim()
    {
        var messageId = Guid.NewGuid().ToString("N");
        var traits = new JsonObject { ["name"] = "<script>alert(1)</script>", ["note"] = "x'); DROP TABLE RawMessages;--", ["city"] = "Zürich 🏔" };
        var json = new JsonObject { ["userId"] = "u", ["messageId"] = messageId, ["traits"] = traits }.ToJsonString();

        await Client().PostAsync("/v1/identify", Json(json));

        var stored = JsonNode.Parse((await _app.FindAsync(await _app.SourceIdAsync(WebKey), messageId))!.Payload)!;
        Assert.Equal("<script>alert(1)</script>", (string?)stored["traits"]!["name"]);
        Assert.Equal("x'); DROP TABLE RawMessages;--", (string?)stored["traits"]!["note"]);
        Assert.Equal("Zürich 🏔", (string?)stored["traits"]!["city"]);
    }

    [Fact]
    public async Task UnknownTrackingEndpoint_AnswersJsonNotTheStudioPage()
    {
        var response = await Client().PostAsync("/v1/nope", Json("{}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", (string?)(await BodyAsync(response))["error"]!["code"]);
    }

    [Fact]
    public async Task ProjectSettings_ForAValidKey_PointAnalyticsJsAtThisServer()
    {
        var response = await _app.CreateClient().GetAsync($"/v1/projects/{WebKey}/settings");
        var unknown = await _app.CreateClient().GetAsync("/v1/projects/wk_nope/settings");

        var settings = await BodyAsync(response);
        Assert.EndsWith("/v1", (string?)settings["integrations"]!["Segment.io"]!["apiHost"]);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
    }
}
