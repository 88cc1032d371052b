using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// The tracking API end to end: HTTP in, rows in the SQLite lake out, with the answers the README
/// documents. Each test uses its own messageIds (or its own source when it changes one), so the
/// tests share one app.
/// </summary>
public sealed class TrackingApiEndpointsTests(IngestionAppFactory factory) : IClassFixture<IngestionAppFactory>
{
    private static readonly string WebKey = IngestionAppFactory.WriteKeyOf("Web");
    private static readonly string AppKey = IngestionAppFactory.WriteKeyOf("App");

    private static string NewId() => "msg-" + Guid.NewGuid().ToString("N");

    private static StringContent Json(string json, string contentType = "application/json") => new(json, Encoding.UTF8, contentType);

    private static StringContent Json(object body) => Json(JsonSerializer.Serialize(body));

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? messageContains = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (messageContains is not null)
        {
            Assert.Contains(messageContains, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    private static async Task AssertSuccessAsync(HttpResponseMessage response, int accepted, int rejected = 0, int duplicates = 0)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        var body = await ReadJsonAsync(response);
        Assert.True(body.GetProperty("success").GetBoolean());
        Assert.Equal((accepted, rejected, duplicates),
            (body.GetProperty("accepted").GetInt32(), body.GetProperty("rejected").GetInt32(), body.GetProperty("duplicates").GetInt32()));
    }

    private async Task<RawMessage> StoredAsync(string source, string messageId)
    {
        var rows = await factory.LakeAsync(await factory.SourceIdAsync(source), messageId);
        return Assert.Single(rows);
    }

    private static JsonObject PayloadOf(RawMessage message) => JsonNode.Parse(message.Payload)!.AsObject();

    private static byte[] Gzip(string text)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        return output.ToArray();
    }

    /// <summary>A valid message of each type, without <c>type</c> (the endpoint gives it).</summary>
    private static JsonObject ValidMessage(string type, string messageId)
    {
        var message = type switch
        {
            "identify" => new JsonObject { ["userId"] = "user-1", ["traits"] = new JsonObject { ["plan"] = "pro" } },
            "track" => new JsonObject { ["userId"] = "user-1", ["event"] = "Order Completed", ["properties"] = new JsonObject { ["revenue"] = 42.5 } },
            "page" => new JsonObject { ["anonymousId"] = "anon-1", ["name"] = "Home" },
            "screen" => new JsonObject { ["userId"] = "user-1", ["name"] = "Settings" },
            "group" => new JsonObject { ["userId"] = "user-1", ["groupId"] = "acme" },
            "alias" => new JsonObject { ["userId"] = "user-1", ["previousId"] = "anon-1" },
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        message["messageId"] = messageId;
        return message;
    }

    [Theory]
    [InlineData("/v1/identify", "identify")]
    [InlineData("/v1/track", "track")]
    [InlineData("/v1/page", "page")]
    [InlineData("/v1/screen", "screen")]
    [InlineData("/v1/group", "group")]
    [InlineData("/v1/alias", "alias")]
    [InlineData("/v1/i", "identify")]
    [InlineData("/v1/t", "track")]
    [InlineData("/v1/p", "page")]
    [InlineData("/v1/s", "screen")]
    [InlineData("/v1/g", "group")]
    [InlineData("/v1/a", "alias")]
    public async Task Post_EachEndpointAndShortForm_StoresTheMessageAccepted(string path, string type)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();
        var message = ValidMessage(type, id);
        message["timestamp"] = "2026-11-20T09:15:00Z";

        using var response = await client.PostAsync(path, Json(message.ToJsonString()));

        await AssertSuccessAsync(response, accepted: 1);
        var stored = await StoredAsync("Web", id);
        Assert.Equal(type, stored.Type);
        Assert.Equal(await factory.SourceIdAsync("Web"), stored.SourceId);
        Assert.Equal(MessageStatus.Accepted, stored.Status);
        Assert.Null(stored.Error);
        Assert.Equal(new DateTime(2026, 11, 20, 9, 15, 0, DateTimeKind.Utc), stored.EventAt);
        Assert.Equal(factory.Now, stored.ReceivedAt);
        Assert.Equal(type, (string?)PayloadOf(stored)["type"]);
    }

    [Theory]
    [InlineData("/v1/batch")]
    [InlineData("/v1/b")]
    public async Task Post_Batch_StoresEveryMessageWithItsTypeAndEventTime(string path)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        string[] types = ["identify", "track", "page", "screen", "group", "alias"];
        var ids = types.ToDictionary(t => t, _ => NewId());
        var items = new JsonArray();
        foreach (var type in types)
        {
            var item = ValidMessage(type, ids[type]);
            item["type"] = type;
            items.Add(item);
        }
        items[0]!["originalTimestamp"] = "2026-11-20T08:00:00Z"; // identify: the device's time, corrected by the batch's sentAt
        items[1]!["timestamp"] = "2026-11-20T08:00:00Z"; // track: a time the caller set, used as given
        var request = new JsonObject { ["batch"] = items, ["sentAt"] = "2026-11-20T08:00:10Z" };

        using var response = await client.PostAsync(path, Json(request.ToJsonString()));

        await AssertSuccessAsync(response, accepted: 6);
        foreach (var type in types)
        {
            var stored = await StoredAsync("Web", ids[type]);
            Assert.Equal(type, stored.Type);
            Assert.Equal(MessageStatus.Accepted, stored.Status);
        }
        // The device's clock skew (weeks, far beyond network latency) removed: receivedAt − (sentAt − originalTimestamp).
        Assert.Equal(factory.Now.AddSeconds(-10), (await StoredAsync("Web", ids["identify"])).EventAt);
        Assert.Equal(new DateTime(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc), (await StoredAsync("Web", ids["track"])).EventAt);
        // No timestamp: the batch's sentAt.
        Assert.Equal(new DateTime(2026, 11, 20, 8, 0, 10, DateTimeKind.Utc), (await StoredAsync("Web", ids["page"])).EventAt);
    }

    [Fact]
    public async Task Post_WriteKeyAsBasicUserName_IsAcceptedAndNotStored()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();

        using var response = await client.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Signed Up", messageId = id }));

        await AssertSuccessAsync(response, accepted: 1);
        var stored = await StoredAsync("Web", id);
        Assert.DoesNotContain(WebKey, stored.Payload);
    }

    [Fact]
    public async Task Post_WriteKeyInBody_IsAcceptedAndRemovedFromThePayload()
    {
        using var client = factory.CreateWriteKeyClient(null);
        var id = NewId();

        using var response = await client.PostAsync("/v1/t", Json(new { writeKey = WebKey, userId = "user-1", @event = "Signed Up", messageId = id }));

        await AssertSuccessAsync(response, accepted: 1);
        var stored = await StoredAsync("Web", id);
        Assert.DoesNotContain(WebKey, stored.Payload);
        Assert.False(PayloadOf(stored).ContainsKey("writeKey"));
    }

    [Fact]
    public async Task Post_BatchWithWriteKeyInBodyAndItems_StoresNoKeyInAnyRow()
    {
        // analytics.js puts the key in every event of a batch, valid or not.
        using var client = factory.CreateWriteKeyClient(null);
        var valid = NewId();
        var unknownType = NewId();
        var request = new JsonObject
        {
            ["writeKey"] = AppKey,
            ["batch"] = new JsonArray(
                new JsonObject { ["type"] = "track", ["writeKey"] = AppKey, ["userId"] = "user-1", ["event"] = "Clicked", ["messageId"] = valid },
                new JsonObject { ["type"] = "bogus", ["writeKey"] = AppKey, ["userId"] = "user-1", ["messageId"] = unknownType },
                new JsonObject { ["writeKey"] = AppKey, ["userId"] = "user-1", ["messageId"] = unknownType + "-untyped" }),
        };

        using var response = await client.PostAsync("/v1/batch", Json(request.ToJsonString()));

        await AssertSuccessAsync(response, accepted: 1, rejected: 2);
        var rows = (await factory.LakeAsync(await factory.SourceIdAsync("App")))
            .Where(m => m.Payload.Contains(valid) || m.Payload.Contains(unknownType)).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, m => Assert.DoesNotContain(AppKey, m.Payload));
    }

    [Fact]
    public async Task Post_NoWriteKey_IsUnauthorized()
    {
        using var client = factory.CreateWriteKeyClient(null);

        using var response = await client.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Clicked" }));

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task Post_UnknownWriteKey_IsUnauthorizedInHeaderAndInBody()
    {
        using var header = factory.CreateWriteKeyClient("wk_not_a_key_of_this_server");
        using var anonymous = factory.CreateWriteKeyClient(null);

        using var byHeader = await header.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Clicked" }));
        using var byBody = await anonymous.PostAsync("/v1/track", Json(new { writeKey = "wk_not_a_key_of_this_server", userId = "user-1", @event = "Clicked" }));

        await AssertErrorAsync(byHeader, HttpStatusCode.Unauthorized, "authentication_error");
        await AssertErrorAsync(byBody, HttpStatusCode.Unauthorized, "authentication_error");
    }

    /// <summary>A writeKey in the body that is not text was answered "Missing write key: … or as writeKey in the body", which it was.</summary>
    [Theory]
    [InlineData("123", "\"writeKey\" must be the source's write key as text, not a number.")]
    [InlineData("{\"key\":\"wk\"}", "\"writeKey\" must be the source's write key as text, not an object.")]
    [InlineData("null", "\"writeKey\" must be the source's write key as text, not null.")]
    [InlineData("\"\"", "\"writeKey\" is empty; send the source's write key there")]
    public async Task Post_WriteKeyInTheBodyThatIsNotText_IsUnauthorizedSayingWhatIsWrongWithIt(string writeKey, string message)
    {
        using var anonymous = factory.CreateWriteKeyClient(null);
        using var single = await anonymous.PostAsync("/v1/track", Json($$"""{"writeKey":{{writeKey}},"userId":"user-1","event":"Clicked"}"""));
        using var batch = await anonymous.PostAsync("/v1/batch", Json($$"""{"writeKey":{{writeKey}},"batch":[{"type":"track","userId":"user-1","event":"Clicked"}]}"""));

        await AssertErrorAsync(single, HttpStatusCode.Unauthorized, "authentication_error", message);
        await AssertErrorAsync(batch, HttpStatusCode.Unauthorized, "authentication_error", message);
    }

    /// <summary>JSON sent as UTF-16 was told as "'0x00' is an invalid start of a property name. (line 1, byte 2)".</summary>
    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-16BE")]
    public async Task Post_BodyInUtf16_Is400SayingToSendUtf8(string charset)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();

        using var response = await client.PostAsync("/v1/track", new StringContent(JsonSerializer.Serialize(new { userId = "user-1", @event = "Wide", messageId = id }), Encoding.GetEncoding(charset), "application/json"));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "The body is not UTF-8: it looks like UTF-16 text");
        Assert.Empty(await factory.LakeAsync(await factory.SourceIdAsync("Web"), id));
    }

    [Fact]
    public async Task Post_DisabledSource_IsUnauthorizedUntilEnabledAgain()
    {
        var key = IngestionAppFactory.WriteKeyOf("Kiosk");
        var sourceId = await factory.SourceIdAsync("Kiosk");
        using var client = factory.CreateWriteKeyClient(key);
        using var anonymous = factory.CreateWriteKeyClient(null);
        using (var before = await client.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Clicked" })))
        {
            await AssertSuccessAsync(before, accepted: 1);
        }

        Assert.True((await factory.Sources.SetEnabledAsync(AuditActor.System, sourceId, enabled: false)).Succeeded);
        using var byHeader = await client.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Clicked", messageId = NewId() }));
        using var byBody = await anonymous.PostAsync("/v1/track", Json(new { writeKey = key, userId = "user-1", @event = "Clicked", messageId = NewId() }));
        await AssertErrorAsync(byHeader, HttpStatusCode.Unauthorized, "authentication_error", "disabled");
        await AssertErrorAsync(byBody, HttpStatusCode.Unauthorized, "authentication_error", "disabled");
        using (var settings = await anonymous.GetAsync($"/v1/projects/{key}/settings"))
        {
            await AssertErrorAsync(settings, HttpStatusCode.Unauthorized, "authentication_error", "disabled");
        }
        Assert.Single(await factory.LakeAsync(sourceId));

        Assert.True((await factory.Sources.SetEnabledAsync(AuditActor.System, sourceId, enabled: true)).Succeeded);
        using var after = await client.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Clicked" }));
        await AssertSuccessAsync(after, accepted: 1);
    }

    [Fact]
    public async Task Post_ABatchSourcesKey_IsForbidden_SayingItUploadsFiles_AndNothingIsStored()
    {
        var key = IngestionAppFactory.WriteKeyOf("CRM");
        var sourceId = await factory.SourceIdAsync("CRM");
        using var client = factory.CreateWriteKeyClient(key);
        using var anonymous = factory.CreateWriteKeyClient(null);

        using var byHeader = await client.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Clicked" }));
        using var byBody = await anonymous.PostAsync("/v1/batch", Json(new { writeKey = key, batch = new[] { new { type = "identify", userId = "user-1" } } }));
        await AssertErrorAsync(byHeader, HttpStatusCode.Forbidden, "permission_error", "\"CRM\" is a batch source");
        await AssertErrorAsync(byBody, HttpStatusCode.Forbidden, "permission_error", $"POST /api/v1/sources/{sourceId}/batches");
        using (var settings = await anonymous.GetAsync($"/v1/projects/{key}/settings"))
        {
            await AssertErrorAsync(settings, HttpStatusCode.Forbidden, "permission_error", "streaming source");
        }
        Assert.Empty(await factory.LakeAsync(sourceId));
    }

    [Fact]
    public async Task Post_KeyRotatedAway_IsUnauthorizedAndTheNewKeyWorks()
    {
        var oldKey = IngestionAppFactory.WriteKeyOf("Legacy");
        var sourceId = await factory.SourceIdAsync("Legacy");
        using var oldClient = factory.CreateWriteKeyClient(oldKey);
        using (var before = await oldClient.PostAsync("/v1/identify", Json(new { userId = "user-1" })))
        {
            await AssertSuccessAsync(before, accepted: 1);
        }

        var rotated = await factory.Sources.RotateKeyAsync(AuditActor.System, sourceId);

        Assert.True(rotated.Succeeded);
        using var refused = await oldClient.PostAsync("/v1/identify", Json(new { userId = "user-1" }));
        await AssertErrorAsync(refused, HttpStatusCode.Unauthorized, "authentication_error");
        using var newClient = factory.CreateWriteKeyClient(rotated.WriteKey);
        using var accepted = await newClient.PostAsync("/v1/identify", Json(new { userId = "user-1" }));
        await AssertSuccessAsync(accepted, accepted: 1);
    }

    [Fact]
    public async Task Post_MalformedJsonWithKey_IsInvalidRequestAndKeptAsRejectedUnknown()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var marker = NewId();
        var body = $$"""{"userId":"user-1","event":"Clicked","messageId":"{{marker}}", """;

        using var response = await client.PostAsync("/v1/track", Json(body));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "not valid JSON");
        // The debugger shows what arrived and why it was refused.
        var sourceId = await factory.SourceIdAsync("Web");
        var rows = await Poll.UntilAsync(
            async () => (await factory.LakeAsync(sourceId)).Where(m => m.Payload.Contains(marker)).ToList(),
            rows => rows.Count > 0, "the malformed request in the lake");
        var stored = Assert.Single(rows);
        Assert.Equal("unknown", stored.Type);
        Assert.Equal(MessageStatus.Rejected, stored.Status);
        Assert.Equal(body, stored.Payload);
        Assert.Contains("not valid JSON", stored.Error);
        var debugger = await factory.Services.GetRequiredService<LakeReader>().RecentAsync(sourceId, 50);
        Assert.Contains(debugger, m => m.Id == stored.Id);
    }

    [Fact]
    public async Task Post_MalformedJsonWithoutKey_IsInvalidRequest()
    {
        using var client = factory.CreateWriteKeyClient(null);

        using var response = await client.PostAsync("/v1/track", Json("""{"writeKey":"x", """));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
    }

    [Fact]
    public async Task Post_BodyOver500KB_IsInvalidRequest()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();
        var body = JsonSerializer.Serialize(new { userId = "user-1", @event = "Big", messageId = id, properties = new { blob = new string('x', 500 * 1024) } });

        using var response = await client.PostAsync("/v1/track", Json(body));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "500 KB");
        Assert.Empty(await factory.LakeAsync(await factory.SourceIdAsync("Web"), id));
    }

    [Fact]
    public async Task Post_GzipBodyOver500KBOnceDecompressed_IsInvalidRequest()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var body = JsonSerializer.Serialize(new { userId = "user-1", @event = "Big", properties = new { blob = new string('x', 600 * 1024) } });
        var content = new ByteArrayContent(Gzip(body));
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        Assert.True(content.Headers.ContentLength < 100 * 1024);

        using var response = await client.PostAsync("/v1/track", content);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "500 KB");
    }

    [Theory]
    [InlineData(2500, true)]
    [InlineData(2501, false)]
    public async Task Post_BatchSize_IsLimitedTo2500Messages(int count, bool allowed)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var marker = NewId();
        var request = new
        {
            batch = Enumerable.Range(0, count).Select(i => new { type = "track", userId = "u", @event = "E", messageId = $"{marker}-{i}" }),
        };

        using var response = await client.PostAsync("/v1/batch", Json(request));

        if (allowed)
        {
            await AssertSuccessAsync(response, accepted: count);
        }
        else
        {
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "2,500");
            Assert.Empty(await factory.LakeAsync(await factory.SourceIdAsync("Web"), $"{marker}-0"));
        }
    }

    [Fact]
    public async Task Post_BrotliContentEncoding_IsInvalidRequest()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var content = Json(new { userId = "user-1", @event = "Clicked" });
        content.Headers.ContentEncoding.Add("br");

        using var response = await client.PostAsync("/v1/track", content);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "Content-Encoding");
    }

    [Theory]
    [InlineData("/v1/track", """{"userId":"user-1","properties":{"a":1}}""", "track", "\"event\"")]
    [InlineData("/v1/identify", """{"traits":{"plan":"pro"}}""", "identify", "\"userId\" or an \"anonymousId\"")]
    [InlineData("/v1/p", """{"name":"Home"}""", "page", "\"userId\" or an \"anonymousId\"")]
    public async Task Post_SingleInvalidMessage_IsValidationErrorAndStoredAsRejected(string path, string json, string type, string reason)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();
        var message = JsonNode.Parse(json)!.AsObject();
        message["messageId"] = id;

        using var response = await client.PostAsync(path, Json(message.ToJsonString()));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "validation_error", reason);
        var stored = await StoredAsync("Web", id);
        Assert.Equal(MessageStatus.Rejected, stored.Status);
        Assert.Equal(type, stored.Type);
        Assert.Contains(reason, stored.Error);
    }

    [Fact]
    public async Task Post_SingleMessageOver32KB_IsValidationErrorAndStoredAsRejected()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();

        using var response = await client.PostAsync("/v1/track", Json(new { userId = "u", @event = "Big", messageId = id, properties = new { blob = new string('x', 33 * 1024) } }));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "validation_error", "32 KB");
        var stored = await StoredAsync("Web", id);
        Assert.Equal(MessageStatus.Rejected, stored.Status);
        Assert.Contains("32 KB", stored.Error);
    }

    [Fact]
    public async Task Post_BatchWithValidAndInvalidMessages_AcceptsTheValidAndKeepsTheRejectedWithReasons()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToList();
        var request = new JsonObject
        {
            ["batch"] = new JsonArray(
                new JsonObject { ["type"] = "track", ["userId"] = "u-1", ["event"] = "A", ["messageId"] = ids[0] },
                new JsonObject { ["type"] = "track", ["userId"] = "u-1", ["messageId"] = ids[1] },
                new JsonObject { ["type"] = "identify", ["anonymousId"] = "a-1", ["messageId"] = ids[2] },
                new JsonObject { ["type"] = "identify", ["messageId"] = ids[3] },
                new JsonObject { ["type"] = "page", ["userId"] = "u-1", ["timestamp"] = "yesterday", ["messageId"] = ids[4] }),
        };

        using var response = await client.PostAsync("/v1/batch", Json(request.ToJsonString()));

        await AssertSuccessAsync(response, accepted: 2, rejected: 3);
        var stored = new List<RawMessage>();
        foreach (var id in ids)
        {
            stored.Add(await StoredAsync("Web", id));
        }
        Assert.Equal(
            [MessageStatus.Accepted, MessageStatus.Rejected, MessageStatus.Accepted, MessageStatus.Rejected, MessageStatus.Rejected],
            stored.Select(m => m.Status));
        Assert.Contains("\"event\"", stored[1].Error);
        Assert.Contains("\"anonymousId\"", stored[3].Error);
        Assert.Contains("\"timestamp\"", stored[4].Error);
    }

    [Fact]
    public async Task Post_GzipBody_IsAccepted()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();
        var content = new ByteArrayContent(Gzip(JsonSerializer.Serialize(new { userId = "user-1", @event = "Zipped", messageId = id })));
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await client.PostAsync("/v1/track", content);

        await AssertSuccessAsync(response, accepted: 1);
        Assert.Equal("Zipped", (string?)PayloadOf(await StoredAsync("Web", id))["event"]);
    }

    private static byte[] Zlib(string text)
    {
        var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Fastest))
        {
            zlib.Write(Encoding.UTF8.GetBytes(text));
        }
        return output.ToArray();
    }

    private static ByteArrayContent Compressed(byte[] body, string encoding)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    /// <summary>
    /// A gzip body cut short, by part of its trailer (CRC-32 and length), all of it, or into the compressed data: .NET's
    /// decompressor ends quietly there, and what came out before the cut was taken as the whole body (all of it, when only
    /// the trailer was missing: accepted and stored).
    /// </summary>
    [Theory]
    [InlineData("/v1/track", 1)]
    [InlineData("/v1/track", 4)]
    [InlineData("/v1/track", 8)]
    [InlineData("/v1/track", 9)]
    [InlineData("/v1/batch", 8)]
    [InlineData("/v1/batch", 30)]
    public async Task Post_GzipBodyCutShort_Is400Truncated_NothingStored(string path, int cut)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var (first, second) = (NewId(), NewId());
        var json = path == "/v1/batch"
            ? JsonSerializer.Serialize(new { batch = new object[] { new { type = "track", userId = "user-1", @event = "Zipped", messageId = first }, new { type = "track", userId = "user-1", @event = "Zipped", messageId = second, properties = new { padding = new string('x', 100) } } } })
            : JsonSerializer.Serialize(new { userId = "user-1", @event = "Zipped", messageId = first, properties = new { padding = new string(' ', 20) } });
        var whole = Gzip(json);

        using var response = await client.PostAsync(path, Compressed(whole[..^cut], "gzip"));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "The gzip-compressed body is truncated");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "Nothing in it was accepted");
        var web = await factory.SourceIdAsync("Web");
        Assert.Empty(await factory.LakeAsync(web, first));
        Assert.Empty(await factory.LakeAsync(web, second));
    }

    [Fact]
    public async Task Post_DeflateBodyCutShort_Is400Truncated_WholeIsAccepted()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var (cutId, wholeId) = (NewId(), NewId());
        var cut = Zlib(JsonSerializer.Serialize(new { userId = "user-1", @event = "Zipped", messageId = cutId, properties = new { padding = new string(' ', 20) } }));

        using var cutResponse = await client.PostAsync("/v1/track", Compressed(cut[..^4], "deflate"));
        using var wholeResponse = await client.PostAsync("/v1/track", Compressed(Zlib(JsonSerializer.Serialize(new { userId = "user-1", @event = "Zipped", messageId = wholeId })), "deflate"));

        await AssertErrorAsync(cutResponse, HttpStatusCode.BadRequest, "invalid_request_error", "The deflate-compressed body is truncated");
        Assert.Empty(await factory.LakeAsync(await factory.SourceIdAsync("Web"), cutId));
        await AssertSuccessAsync(wholeResponse, accepted: 1);
    }

    [Fact]
    public async Task Post_GzipBodyWithBytesAfterItsEnd_Is400SayingSo()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();

        using var response = await client.PostAsync("/v1/track", Compressed([.. Gzip(JsonSerializer.Serialize(new { userId = "user-1", @event = "Zipped", messageId = id })), .. "junk"u8], "gzip"));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "has 4 bytes after the end of its compressed data");
        Assert.Empty(await factory.LakeAsync(await factory.SourceIdAsync("Web"), id));
    }

    /// <summary>Several gzip members one after another are one body (RFC 1952), as gzip itself reads them.</summary>
    [Fact]
    public async Task Post_GzipBodyOfTwoMembers_IsAccepted()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();
        var json = JsonSerializer.Serialize(new { userId = "user-1", @event = "Zipped twice", messageId = id });

        using var response = await client.PostAsync("/v1/track", Compressed([.. Gzip(json[..10]), .. Gzip(json[10..])], "gzip"));

        await AssertSuccessAsync(response, accepted: 1);
        Assert.Equal("Zipped twice", (string?)PayloadOf(await StoredAsync("Web", id))["event"]);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Post_JsonBodyWithOtherContentType_IsReadAsJson(string contentType)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();

        using var response = await client.PostAsync("/v1/t", Json(JsonSerializer.Serialize(new { userId = "user-1", @event = "Beacon", messageId = id }), contentType));

        await AssertSuccessAsync(response, accepted: 1);
        Assert.Equal("Beacon", (string?)PayloadOf(await StoredAsync("Web", id))["event"]);
    }

    [Fact]
    public async Task Post_SameMessageIdTwiceFromOneSource_StoresOneRow()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();

        using var first = await client.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Paid", messageId = id }));
        using var retry = await client.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Paid", messageId = id }));

        await AssertSuccessAsync(first, accepted: 1);
        await AssertSuccessAsync(retry, accepted: 0, duplicates: 1);
        Assert.Single(await factory.LakeAsync(await factory.SourceIdAsync("Web"), id));
    }

    [Fact]
    public async Task Post_SameMessageIdFromTwoSources_StoresOneRowEach()
    {
        using var web = factory.CreateWriteKeyClient(WebKey);
        using var app = factory.CreateWriteKeyClient(AppKey);
        var id = NewId();

        using var fromWeb = await web.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Paid", messageId = id }));
        using var fromApp = await app.PostAsync("/v1/track", Json(new { userId = "user-1", @event = "Paid", messageId = id }));

        await AssertSuccessAsync(fromWeb, accepted: 1);
        await AssertSuccessAsync(fromApp, accepted: 1);
        Assert.Single(await factory.LakeAsync(await factory.SourceIdAsync("Web"), id));
        Assert.Single(await factory.LakeAsync(await factory.SourceIdAsync("App"), id));
    }

    [Fact]
    public async Task Options_PreflightFromABrowser_AllowsTheOriginAndTheHeaders()
    {
        using var client = factory.CreateWriteKeyClient(null);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/t");
        preflight.Headers.Add("Origin", "https://shop.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        using var response = await client.SendAsync(preflight);

        Assert.True(response.IsSuccessStatusCode, $"preflight answered {(int)response.StatusCode}");
        Assert.Contains(response.Headers.GetValues("Access-Control-Allow-Origin").Single(), new[] { "*", "https://shop.example" });
        var allowed = response.Headers.GetValues("Access-Control-Allow-Headers").SelectMany(v => v.Split(',')).Select(h => h.Trim()).ToList();
        Assert.Contains("authorization", allowed, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("content-type", allowed, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").SelectMany(v => v.Split(',')).Select(m => m.Trim()));
    }

    [Fact]
    public async Task Post_FromABrowserOrigin_AnswersWithAllowOrigin()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/t") { Content = Json(new { userId = "user-1", @event = "Clicked" }) };
        request.Headers.Add("Origin", "https://shop.example");

        using var response = await client.SendAsync(request);

        await AssertSuccessAsync(response, accepted: 1);
        Assert.Contains(response.Headers.GetValues("Access-Control-Allow-Origin").Single(), new[] { "*", "https://shop.example" });
    }

    [Fact]
    public async Task Post_MarkupSqlAndUnicodeInTraits_AreStoredVerbatim()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        var id = NewId();
        var traits = new JsonObject
        {
            ["bio"] = "<script>alert('x')</script><img src=x onerror=alert(1)>",
            ["note"] = "Robert'); DROP TABLE RawMessages;-- \" OR 1=1",
            ["name"] = "Zoë Łukasz 李小龍 😀 \u200fمرحبا",
            ["escapes"] = "tab\tnewline\nquote\"backslash\\ nul\u0000",
            ["nested"] = new JsonObject { ["html"] = "<b>&amp;</b>", ["list"] = new JsonArray("'", "%", "_", "--") },
        };
        var message = new JsonObject { ["userId"] = "ユーザー-1", ["messageId"] = id, ["traits"] = traits.DeepClone() };

        using var response = await client.PostAsync("/v1/identify", Json(message.ToJsonString()));

        await AssertSuccessAsync(response, accepted: 1);
        var stored = PayloadOf(await StoredAsync("Web", id));
        Assert.Equal("ユーザー-1", (string?)stored["userId"]);
        Assert.True(JsonNode.DeepEquals(traits, stored["traits"]), $"sent {traits.ToJsonString()}, stored {stored["traits"]?.ToJsonString()}");
    }

    [Fact]
    public async Task Answers_Success400And401_CarryARequestId()
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        using var anonymous = factory.CreateWriteKeyClient(null);

        using var ok = await client.PostAsync("/v1/track", Json(new { userId = "u", @event = "E" }));
        using var bad = await client.PostAsync("/v1/track", Json(new { userId = "u" }));
        using var unauthorized = await anonymous.PostAsync("/v1/track", Json(new { userId = "u", @event = "E" }));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized], new[] { ok.StatusCode, bad.StatusCode, unauthorized.StatusCode });
        var requestIds = new[] { ok, bad, unauthorized }.Select(r => r.Headers.GetValues("Request-Id").Single()).ToList();
        Assert.All(requestIds, id => Assert.False(string.IsNullOrWhiteSpace(id)));
        Assert.Equal(3, requestIds.Distinct().Count());
    }

    [Theory]
    [InlineData("POST", "/v1/nope")]
    [InlineData("POST", "/v1/track/extra")]
    [InlineData("GET", "/v1/nope")]
    public async Task Request_UnknownTrackingPath_AnswersJsonNotTheStudioPage(string method, string path)
    {
        using var client = factory.CreateWriteKeyClient(WebKey);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Json(new { userId = "u" }) : null };

        using var response = await client.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found");
        Assert.True(response.Headers.Contains("Request-Id"));
    }

    [Fact]
    public async Task Post_QueueFull_IsTooManyRequestsWithRetryAfter()
    {
        await using var small = new IngestionAppFactory { MaxQueuedMessages = 1 };
        using var client = small.CreateWriteKeyClient(WebKey);
        var ids = new[] { NewId(), NewId() };

        // Two messages can never fit a queue of one, whatever the writer is doing: refused at once.
        using var response = await client.PostAsync("/v1/batch", Json(new
        {
            batch = ids.Select(id => new { type = "track", userId = "u", @event = "E", messageId = id }),
        }));

        await AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "rate_limit_error");
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is missing");
        var sourceId = await small.SourceIdAsync("Web");
        Assert.Empty(await small.LakeAsync(sourceId));
        // The refused request gave its room back: one message still fits.
        using var single = await client.PostAsync("/v1/track", Json(new { userId = "u", @event = "E", messageId = ids[0] }));
        await AssertSuccessAsync(single, accepted: 1);
    }

    [Fact]
    public async Task GetSettings_ValidKey_PointsAnalyticsJsAtThisServer()
    {
        using var client = factory.CreateWriteKeyClient(null);

        using var response = await client.GetAsync($"/v1/projects/{WebKey}/settings");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var segment = (await ReadJsonAsync(response)).GetProperty("integrations").GetProperty("Segment.io");
        Assert.Equal($"{client.BaseAddress!.Authority}/v1", segment.GetProperty("apiHost").GetString());
        Assert.Equal(client.BaseAddress.Scheme, segment.GetProperty("protocol").GetString());
        Assert.Equal(WebKey, segment.GetProperty("apiKey").GetString());
    }

    [Fact]
    public async Task GetSettings_UnknownKey_IsUnauthorized()
    {
        using var client = factory.CreateWriteKeyClient(null);

        using var response = await client.GetAsync("/v1/projects/wk_not_a_key_of_this_server/settings");

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task Post_AcceptedAndRejected_AreCountedInTheSourcesHourlyStats()
    {
        var key = IngestionAppFactory.WriteKeyOf("Counted");
        using var client = factory.CreateWriteKeyClient(key);

        using (var batch = await client.PostAsync("/v1/batch", Json(new
        {
            batch = new object[]
            {
                new { type = "track", userId = "u", @event = "A" },
                new { type = "identify", anonymousId = "a" },
                new { type = "track", userId = "u" },
            },
        })))
        {
            await AssertSuccessAsync(batch, accepted: 2, rejected: 1);
        }
        using (var valid = await client.PostAsync("/v1/page", Json(new { userId = "u", name = "Home" })))
        {
            await AssertSuccessAsync(valid, accepted: 1);
        }
        using (var invalid = await client.PostAsync("/v1/group", Json(new { userId = "u" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }

        var sourceId = await factory.SourceIdAsync("Counted");
        var overview = (await factory.Sources.ListAsync()).Single(s => s.Source.Id == sourceId);
        Assert.Equal(new SourceCounts(5, 3, 2), overview.LastHour);
        Assert.Equal(factory.Now, overview.LastMessageAt);
    }
}
