using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Hosting;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// Hostile bodies through the Tracking API: wrong JSON types in every field the engine reads, text that
/// is not text, extreme numbers and dates, deep nesting, duplicate names. Whatever arrives, the answer is
/// never a 5xx; every accepted message is in the lake; every refused one is kept as rejected with the
/// reason the client was given.
/// </summary>
public sealed class HostileBodyTests(IngestionAppFactory factory) : IClassFixture<IngestionAppFactory>
{
    private static readonly string WebKey = IngestionAppFactory.WriteKeyOf("Web");

    private sealed record Outcome(HttpStatusCode Status, string? Code, string? Message, int Accepted, int Rejected, IReadOnlyList<RawMessage> Stored);

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>Replaces every <c>#</c> in <paramref name="json"/> with the byte 0xFF, never valid in UTF-8.</summary>
    private static byte[] WithInvalidByte(string json) => Utf8(json).Select(b => b == (byte)'#' ? (byte)0xFF : b).ToArray();

    private static string Nested(int levels) => string.Concat(Enumerable.Repeat("{\"a\":", levels)) + "1" + new string('}', levels);

    /// <summary>Posts a body, checks the answer against the lake, and returns both.</summary>
    private async Task<Outcome> PostAsync(string endpoint, byte[] body, int items = 1)
    {
        var source = await factory.SourceIdAsync("Web");
        var before = (await factory.LakeAsync(source)).Count;
        using var client = factory.CreateWriteKeyClient(WebKey);
        using var response = await client.PostAsync($"/v1/{endpoint}", new ByteArrayContent(body));
        var text = await response.Content.ReadAsStringAsync();
        // A request refused as a whole is kept without waiting for the commit: wait for its row.
        var stored = (await Poll.UntilAsync(async () => await factory.LakeAsync(source), rows => rows.Count > before, "the request's rows in the lake"))
            .Skip(before).ToList();

        Assert.True((int)response.StatusCode < 500, $"{endpoint}: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var (accepted, rejected) = (root.GetProperty("accepted").GetInt32(), root.GetProperty("rejected").GetInt32());
            Assert.Equal(items, accepted + rejected);
            Assert.Equal(items, stored.Count);
            Assert.Equal(accepted, stored.Count(m => m.Status == MessageStatus.Accepted));
            Assert.All(stored.Where(m => m.Status == MessageStatus.Rejected), m => Assert.False(string.IsNullOrWhiteSpace(m.Error)));
            Assert.All(stored.Where(m => m.Status == MessageStatus.Accepted), m => JsonDocument.Parse(m.Payload).Dispose());
            return new Outcome(response.StatusCode, null, null, accepted, rejected, stored);
        }
        var error = root.GetProperty("error");
        var (code, message) = (error.GetProperty("code").GetString(), error.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(code, new[] { ApiErrors.Validation, ApiErrors.InvalidRequest });
        // Refused, but kept for the debugger with the reason the client was given.
        var kept = Assert.Single(stored);
        Assert.Equal((MessageStatus.Rejected, message), (kept.Status, kept.Error));
        return new Outcome(response.StatusCode, code, message, 0, 1, stored);
    }

    [Theory]
    [InlineData("page", """{"userId":"u1","name":12345}""", "validation_error", "\"name\" must be a string")]
    [InlineData("track", """{"userId":"u1","event":"e","context":{"traits":"x"}}""", "validation_error", "\"context.traits\"")]
    [InlineData("identify", """{"userId":"u1","context":{"externalIds":[{"id":"1","type":7}]}}""", "validation_error", "\"context.externalIds[0].type\"")]
    [InlineData("identify", """{"userId":"u1","messageId":{"x":1}}""", "validation_error", "\"messageId\"")]
    [InlineData("identify", """{"userId":"u1","traits":{"name":"\ud800"}}""", "invalid_request_error", "not valid text")]
    [InlineData("identify", """{"userId":"\udfff"}""", "invalid_request_error", "not valid text")]
    [InlineData("identify", """{"userId":"u1","userId":"u2"}""", "invalid_request_error", "appears twice")]
    [InlineData("identify", """{"userId":"u1","timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}""", "validation_error", "\"timestamp\" is 0001-01-01")]
    [InlineData("identify", """{"userId":"u1","originalTimestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}""", "validation_error", "dates must be from 1970-01-01")]
    // An ISO 8601 time whose UTC is past the last one there is, or with an offset no zone has, was "not an ISO-8601 date".
    [InlineData("track", """{"userId":"u1","event":"e","timestamp":"9999-12-31T23:59:59-14:00"}""", "validation_error", "\"timestamp\" is 9999-12-31; dates must be from 1970-01-01 to 2199-12-31.")]
    [InlineData("track", """{"userId":"u1","event":"e","timestamp":"0001-01-01T00:00:00+05:00"}""", "validation_error", "\"timestamp\" is 0001-01-01; dates must be from 1970-01-01")]
    [InlineData("track", """{"userId":"u1","event":"e","timestamp":"2026-03-01T09:00:00+99:00"}""", "validation_error", "which is no time: its offset from UTC, +99:00, is beyond ±14:00")]
    [InlineData("track", """{"userId":"u1","event":"e","timestamp":"2026-02-30T09:00:00Z"}""", "validation_error", "which is no time: there is no such day or time in the calendar")]
    [InlineData("track", """{"userId":"u1","event":"e","timestamp":"soon"}""", "validation_error", "\"timestamp\" is not an ISO-8601 date: \"soon\".")]
    [InlineData("track", """{"userId":"u1","event":"e","properties":{"n":1e400}}""", "validation_error", "\"properties.n\"")]
    [InlineData("identify", """{"userId":"a\u0000b"}""", "validation_error", "control character")]
    [InlineData("identify", """{"userId":"u1","traits":{"email":"a\u0001@b.c"}}""", "validation_error", "\"traits.email\" holds a control character")]
    [InlineData("track", """{"userId":"u1","event":"Order\u0000Completed"}""", "validation_error", "\"event\" holds a control character (U+0000 at position 6)")]
    [InlineData("track", """{"userId":"u1","event":"Order\nCompleted"}""", "validation_error", "\"event\" holds a control character (U+000A")]
    [InlineData("page", """{"userId":"u1","name":"Home\u001b[31m"}""", "validation_error", "\"name\" holds a control character (U+001B")]
    [InlineData("screen", """{"userId":"u1","name":"Cart\u0007"}""", "validation_error", "\"name\" holds a control character (U+0007")]
    public async Task Post_HostileMessage_Is400WithAReasonAndKeptAsRejected(string endpoint, string json, string code, string reason)
    {
        var outcome = await PostAsync(endpoint, Utf8(json));

        Assert.Equal(code, outcome.Code);
        Assert.Contains(reason, outcome.Message);
    }

    [Fact]
    public async Task Post_PropertiesNested62Deep_Is400NamingTheLimit()
    {
        var outcome = await PostAsync("track", Utf8("{\"userId\":\"u1\",\"event\":\"e\",\"properties\":" + Nested(62) + "}"));

        Assert.Equal((ApiErrors.Validation, true), (outcome.Code, outcome.Message!.Contains("at most 32", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Post_InvalidUtf8_Is400InvalidRequest()
    {
        var outcome = await PostAsync("identify", WithInvalidByte("""{"userId":"u1","traits":{"name":"Zo#"}}"""));

        Assert.Equal(ApiErrors.InvalidRequest, outcome.Code);
        Assert.Contains("not valid text", outcome.Message);
    }

    [Fact]
    public async Task Post_BatchWithBadItems_RejectsThoseAndStoresTheRest()
    {
        var body = WithInvalidByte($$$"""
            {"batch":[
              {"type":"track","userId":"u1","event":"first"},
              {"type":"track","userId":"u1","event":"\ud800"},
              {"type":"track","userId":"u1","event":"Zo#"},
              {"type":"identify","userId":"u1","timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"},
              {"type":"track","userId":"u1","event":"e","properties":{{{Nested(62)}}}},
              {"type":"page","userId":"u1","name":12345},
              {"type":"identify","userId":"u1","traits":{"a":1,"a":2}},
              {"type":"track","userId":"u1","event":"last"}]}
            """);

        var outcome = await PostAsync("batch", body, items: 8);

        Assert.Equal((2, 6), (outcome.Accepted, outcome.Rejected));
        Assert.Equal(["first", "last"], outcome.Stored.Where(m => m.Status == MessageStatus.Accepted)
            .Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("event").GetString()));
    }

    /// <summary>An item nested deeper than a request may be read at all is rejected alone; the batch's other items are stored.</summary>
    [Theory]
    [InlineData(300)]
    [InlineData(20_000)]
    public async Task Post_BatchWithOneItemNestedTooDeepToRead_RejectsThatItemAndStoresTheRest(int levels)
    {
        var deep = string.Concat(Enumerable.Repeat("[", levels)) + "1" + new string(']', levels);
        var body = Utf8($$$"""
            {"batch":[
              {"type":"track","userId":"u1","event":"first"},
              {"type":"track","userId":"u1","event":"deep","properties":{"x":{{{deep}}}}},
              {"type":"track","userId":"u1","event":"last"}]}
            """);

        var outcome = await PostAsync("batch", body, items: 3);

        Assert.Equal((HttpStatusCode.OK, 2, 1), (outcome.Status, outcome.Accepted, outcome.Rejected));
        Assert.Equal(["first", "last"], outcome.Stored.Where(m => m.Status == MessageStatus.Accepted)
            .Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("event").GetString()));
        var rejected = Assert.Single(outcome.Stored, m => m.Status == MessageStatus.Rejected);
        Assert.Contains("a message nests at most 32", rejected.Error);
        Assert.Contains("\"event\":\"deep\"", rejected.Payload);
    }

    [Theory]
    [InlineData("""{"userId":"u1","event":"e","properties":{"big":1e308,"neg":-0,"small":-1e308}}""")]
    [InlineData("""{"userId":"<script>alert(1)</script>","event":"x'); DROP TABLE RawMessages;--","properties":{"html":"<img src=x onerror=alert(1)>"}}""")]
    [InlineData("""{"userId":"Zoë 🚀 日本","event":"é","properties":{"path":"/a%2Fb?c=d"}}""")]
    [InlineData("""{"userID":"wrong-case","anonymousId":"a1","event":"e","Properties":[1]}""")]
    public async Task Post_OddButValidMessage_IsStoredAsSent(string json)
    {
        var outcome = await PostAsync("track", Utf8(json));

        Assert.Equal(HttpStatusCode.OK, outcome.Status);
        var stored = JsonDocument.Parse(Assert.Single(outcome.Stored).Payload).RootElement;
        using var sent = JsonDocument.Parse(json);
        foreach (var property in sent.RootElement.EnumerateObject())
        {
            Assert.True(JsonElement.DeepEquals(property.Value, stored.GetProperty(property.Name)), property.Name);
        }
    }

    private static readonly string[] WrongValues =
        ["12345", "-0", "1e400", "true", "[]", "[1,{\"a\":2}]", "{}", "{\"a\":{\"b\":1}}", "\"text\"", "\"\"", "null", "\"\\u0000\"", "\"\\ud800\"", "\"0001-01-01\""];

    private static readonly (string Type, string Field)[] EngineFields =
    [
        ("identify", "type"), ("identify", "userId"), ("identify", "anonymousId"), ("alias", "previousId"), ("group", "groupId"),
        ("track", "event"), ("page", "name"), ("screen", "name"), ("page", "category"), ("track", "properties"), ("page", "properties.path"),
        ("identify", "traits"), ("identify", "traits.email"), ("identify", "traits.phone"), ("track", "properties.email"),
        ("identify", "context"), ("identify", "context.traits"), ("identify", "context.traits.email"), ("identify", "context.externalIds"),
        ("identify", "context.externalIds.0"), ("identify", "context.externalIds.0.id"), ("identify", "context.externalIds.0.type"),
        ("identify", "context.externalIds.0.collection"), ("identify", "timestamp"), ("track", "originalTimestamp"), ("identify", "sentAt"),
        ("identify", "messageId"), ("group", "traits"), ("identify", "integrations"),
    ];

    /// <summary>Every field the engine reads, with every wrong JSON type: 400 with a reason, or stored and readable. Never a 5xx.</summary>
    [Fact]
    public async Task Post_EveryFieldWithEveryWrongType_NeverAnswers5xx()
    {
        var answers = new Dictionary<string, int>();
        foreach (var (type, field) in EngineFields)
        {
            foreach (var value in WrongValues)
            {
                var json = Message(type, field, value);
                var outcome = await PostAsync(type, Utf8(json));
                var key = outcome.Code ?? "ok";
                answers[key] = answers.GetValueOrDefault(key) + 1;
            }
        }
        Assert.True(answers.GetValueOrDefault(ApiErrors.Validation) > 0 && answers.GetValueOrDefault("ok") > 0, string.Join(", ", answers));
    }

    /// <summary>A valid message of <paramref name="type"/> with <paramref name="value"/> at a dotted path (a number indexes an array).</summary>
    private static string Message(string type, string path, string value)
    {
        var message = type switch
        {
            "track" => """{"userId":"u1","event":"e"}""",
            "group" => """{"userId":"u1","groupId":"g"}""",
            "alias" => """{"userId":"u1","previousId":"p"}""",
            _ => """{"userId":"u1"}""",
        };
        // The structure is built as JSON with a placeholder, then the raw value (which may not be valid in a node) put in.
        JsonNode parent = JsonNode.Parse(message)!;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var last = i == parts.Length - 1;
            JsonNode next = last ? JsonValue.Create("__VALUE__")
                : int.TryParse(parts[i + 1], out _) ? new JsonArray()
                : int.TryParse(parts[i], out _) ? new JsonObject { ["id"] = "c1", ["type"] = "crm_id" }
                : new JsonObject();
            if (parent is JsonArray array)
            {
                array.Add(next);
            }
            else
            {
                parent[parts[i]] = next;
            }
            parent = next;
        }
        return parent.Root.ToJsonString().Replace("\"__VALUE__\"", value, StringComparison.Ordinal);
    }
}
