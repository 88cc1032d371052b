using System.Text;
using System.Text.Json.Nodes;
using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Tests.Ingestion;

public sealed class TrackingMessageParserTests
{
    private static readonly DateTime ReceivedAt = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private static TrackingParseResult Parse(string json, string endpoint) =>
        TrackingMessageParser.Parse(Encoding.UTF8.GetBytes(json), endpoint, ReceivedAt);

    [Theory]
    [InlineData("i", "identify")]
    [InlineData("t", "track")]
    [InlineData("p", "page")]
    [InlineData("s", "screen")]
    [InlineData("g", "group")]
    [InlineData("a", "alias")]
    [InlineData("b", "batch")]
    [InlineData("Track", "track")]
    [InlineData("nope", null)]
    public void ResolveEndpoint_ShortAndLongForms_MapToTypes(string segment, string? expected) =>
        Assert.Equal(expected, TrackingMessageParser.ResolveEndpoint(segment));

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("{\"userId\":\"u\",}", "trailing comma")]
    [InlineData("{\"userId\":\"u\" /* hi */}", "'/' is invalid after a value")]
    [InlineData("{\"userId\": ", "(line 1, byte")]
    [InlineData("{\"userId\":\"u\"}\n\nx", "(line 3, byte 1)")]
    public void Parse_MalformedJson_SaysWhatAndWhereWithoutTheReadersAdviceToProgrammers(string body, string expected)
    {
        var result = Parse(body, "track");

        Assert.StartsWith("The body is not valid JSON: ", result.Error);
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("reader options", result.Error);
        Assert.DoesNotContain("isFinalBlock", result.Error);
        Assert.DoesNotContain("LineNumber", result.Error);
    }

    [Fact]
    public void Parse_MalformedJson_FailsWholeRequest()
    {
        var result = Parse("{\"userId\": ", "track");

        Assert.Null(result.Request);
        Assert.StartsWith("The body is not valid JSON", result.Error);
    }

    [Fact]
    public void Parse_Identify_KeepsTraitsAssignsMessageIdAndRemovesWriteKey()
    {
        var result = Parse("""{"writeKey":"wk_secret","userId":"u1","traits":{"email":"a@b.c","name":"<script>x</script>"}}""", "identify");

        var message = Assert.Single(result.Request!.Messages);
        Assert.Equal("wk_secret", result.Request.WriteKey);
        Assert.True(message.IsValid);
        Assert.StartsWith("ps-", message.MessageId);
        var payload = JsonNode.Parse(message.Payload)!.AsObject();
        Assert.False(payload.ContainsKey("writeKey"));
        Assert.Equal("<script>x</script>", (string?)payload["traits"]!["name"]);
        Assert.Equal("identify", (string?)payload["type"]);
    }

    [Theory]
    [InlineData("track", """{"userId":"u"}""", "A track call needs an \"event\" name.")]
    [InlineData("track", """{"event":"e"}""", "Every message needs a \"userId\" or an \"anonymousId\".")]
    [InlineData("alias", """{"userId":"u"}""", "An alias needs both \"previousId\" and \"userId\".")]
    [InlineData("group", """{"userId":"u"}""", "A group call needs a \"groupId\".")]
    [InlineData("identify", """{"userId":"u","traits":[1]}""", "\"traits\" must be a JSON object.")]
    [InlineData("track", """{"userId":"u","event":"e","timestamp":"yesterday"}""", "\"timestamp\" is not an ISO-8601 date: \"yesterday\".")]
    [InlineData("identify", """{"userId":{"a":1}}""", "\"userId\" must be a string.")]
    public void Parse_InvalidMessage_IsRejectedWithReason(string type, string json, string reason)
    {
        var message = Assert.Single(Parse(json, type).Request!.Messages);

        Assert.False(message.IsValid);
        Assert.Equal(reason, message.Error);
    }

    [Fact]
    public void Parse_NumericUserId_IsStoredAsString()
    {
        var message = Assert.Single(Parse("""{"userId":42,"event":"e"}""", "track").Request!.Messages);

        Assert.True(message.IsValid);
        Assert.Equal("42", (string?)JsonNode.Parse(message.Payload)!["userId"]);
    }

    [Fact]
    public void Parse_Batch_MergesBatchContextAndKeepsItemValues()
    {
        var json = """
            {"context":{"library":{"name":"lib"},"ip":"1.1.1.1"},"integrations":{"All":false},
             "batch":[{"type":"track","userId":"u","event":"A","context":{"ip":"2.2.2.2"}},{"type":"page","anonymousId":"a"}]}
            """;
        var messages = Parse(json, "batch").Request!.Messages;

        Assert.Equal(2, messages.Count);
        var first = JsonNode.Parse(messages[0].Payload)!;
        Assert.Equal("2.2.2.2", (string?)first["context"]!["ip"]);
        Assert.Equal("lib", (string?)first["context"]!["library"]!["name"]);
        Assert.False((bool)first["integrations"]!["All"]!);
        Assert.Equal("1.1.1.1", (string?)JsonNode.Parse(messages[1].Payload)!["context"]!["ip"]);
    }

    [Fact]
    public void Parse_BatchWithBadItems_RejectsOnlyThoseItems()
    {
        var messages = Parse("""{"batch":[{"type":"track","userId":"u","event":"A"},{"type":"nope"},7,{"event":"x"}]}""", "batch").Request!.Messages;

        Assert.Equal([true, false, false, false], messages.Select(m => m.IsValid));
        Assert.Equal("Unknown message type \"nope\".", messages[1].Error);
        Assert.Equal("A batch item must be a JSON object.", messages[2].Error);
    }

    [Fact]
    public void Parse_BatchOverLimit_FailsWholeRequest()
    {
        var items = string.Join(",", Enumerable.Repeat("""{"type":"track","userId":"u","event":"e"}""", TrackingLimits.MaxBatchMessages + 1));

        var result = Parse($$"""{"batch":[{{items}}]}""", "batch");

        Assert.Null(result.Request);
        Assert.Contains("2,500", result.Error);
    }

    [Fact]
    public void Parse_MessageOver32Kb_IsRejected()
    {
        var big = new string('x', 33 * 1024);
        var message = Assert.Single(Parse("{\"userId\":\"u\",\"event\":\"e\",\"properties\":{\"blob\":\"" + big + "\"}}", "track").Request!.Messages);

        Assert.False(message.IsValid);
        Assert.Contains("the limit is 32 KB", message.Error);
    }

    [Theory]
    [InlineData("😀", 2_800)] // 11 KB as sent, 33 KB as stored (each emoji escaped as 12 bytes)
    [InlineData("日", 6_000)] // 18 KB as sent
    [InlineData("<", 5_500)] // 5.5 KB as sent (stored as \u003C)
    [InlineData("é", 16_000)] // 31 KB as sent
    public void Parse_MessageUnder32KbAsSent_IsAccepted_HoweverItsCharactersAreStored(string character, int count)
    {
        var text = string.Concat(Enumerable.Repeat(character, count));
        var message = Assert.Single(Parse("{\"userId\":\"u\",\"traits\":{\"b\":\"" + text + "\"}}", "identify").Request!.Messages);

        Assert.True(message.IsValid, message.Error);
        Assert.Contains(text, System.Text.Json.Nodes.JsonNode.Parse(message.Payload)!["traits"]!["b"]!.GetValue<string>());
    }

    [Fact]
    public void Parse_MessageOver32KbAsSent_SaysItsSizeAsSent()
    {
        var text = string.Concat(Enumerable.Repeat("日", 12_000)); // 35.2 KB as sent
        var message = Assert.Single(Parse("{\"userId\":\"u\",\"traits\":{\"b\":\"" + text + "\"}}", "identify").Request!.Messages);

        Assert.False(message.IsValid);
        Assert.Matches(@"The message is 35\.\d KB; the limit is 32 KB\.", message.Error);
    }

    [Theory]
    [InlineData("\"abc\"", 5)]
    [InlineData("\"\\u00E9\"", 4)] // é: 2 bytes
    [InlineData("\"\\u65E5\"", 5)] // 日: 3 bytes
    [InlineData("\"\\uD83D\\uDE00\"", 6)] // an emoji: 4 bytes
    [InlineData("\"😀日\"", 9)] // unescaped, as the file path's writer leaves them
    [InlineData("\"\\u0000\\\"\\\\\"", 12)] // JSON's own escapes stay: \u0000 (6), \" (2), \\ (2)
    [InlineData("\"\\uD800\"", 8)] // a lone surrogate stays escaped
    [InlineData("\"\\\\u0041\"", 9)] // an escaped backslash, then the text u0041: no escape there
    public void SizeAsSent_CountsCharactersAsTheirUtf8Bytes(string json, int bytes) =>
        Assert.Equal(bytes, TrackingLimits.SizeAsSent(json));

    [Fact]
    public void Parse_UnicodeAndSqlLookingValues_AreKeptVerbatim()
    {
        var message = Assert.Single(Parse("""{"userId":"Zoë 🚀","event":"x'); DROP TABLE RawMessages;--"}""", "track").Request!.Messages);

        var payload = JsonNode.Parse(message.Payload)!;
        Assert.Equal("Zoë 🚀", (string?)payload["userId"]);
        Assert.Equal("x'); DROP TABLE RawMessages;--", (string?)payload["event"]);
    }

    [Fact]
    public void EventTime_OriginalTimestampAndSentAt_CorrectsClientClockSkew()
    {
        // The client's clock is 10 minutes fast: it stamped the event 5 s before sending.
        var original = ReceivedAt.AddMinutes(10).AddSeconds(-5);
        var sentAt = ReceivedAt.AddMinutes(10);

        Assert.Equal(ReceivedAt.AddSeconds(-5), TrackingMessageParser.EventTime(null, original, sentAt, ReceivedAt));
    }

    [Fact]
    public void EventTime_TimestampSetByTheCaller_IsUsedAsGiven()
    {
        // Segment: a timestamp set by a server library or the caller is not corrected (the old code moved it 10 minutes).
        var timestamp = ReceivedAt.AddMinutes(10).AddSeconds(-5);

        Assert.Equal(timestamp, TrackingMessageParser.EventTime(timestamp, null, ReceivedAt.AddMinutes(10), ReceivedAt));
        Assert.Equal(timestamp, TrackingMessageParser.EventTime(timestamp, timestamp.AddHours(-1), ReceivedAt.AddMinutes(10), ReceivedAt));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.8)]
    [InlineData(20.0)]
    [InlineData(59.0)]
    public void EventTime_SkewWithinNetworkLatency_KeepsTheClientsTimesAndOrder(double latencySeconds)
    {
        // One client, two batches 1 ms apart; the second spent longer on the network. Correcting by latency
        // would put the second event before the first.
        var first = ReceivedAt.AddSeconds(-2);
        var second = first.AddMilliseconds(1);
        var firstAt = TrackingMessageParser.EventTime(null, first, first, first);
        var secondAt = TrackingMessageParser.EventTime(null, second, second, second.AddSeconds(latencySeconds));

        Assert.Equal((first, second), (firstAt, secondAt));
        Assert.True(secondAt > firstAt);
    }

    [Fact]
    public void EventTime_SkewBeyondNetworkLatency_IsCorrectedEitherWay()
    {
        var slow = ReceivedAt.AddMinutes(-3); // the device's clock is 3 minutes slow
        var fast = ReceivedAt.AddMinutes(3);

        Assert.Equal(ReceivedAt.AddSeconds(-1), TrackingMessageParser.EventTime(null, slow.AddSeconds(-1), slow, ReceivedAt));
        Assert.Equal(ReceivedAt.AddSeconds(-1), TrackingMessageParser.EventTime(null, fast.AddSeconds(-1), fast, ReceivedAt));
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")]
    [InlineData("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z")]
    public void EventTime_ExtremeDates_NeverOverflow(string original, string sentAt)
    {
        var o = DateTime.Parse(original, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        var s = DateTime.Parse(sentAt, null, System.Globalization.DateTimeStyles.AdjustToUniversal);

        var exception = Record.Exception(() => TrackingMessageParser.EventTime(null, o, s, ReceivedAt));

        Assert.Null(exception);
    }

    [Fact]
    public void EventTime_FallsBackInOrder()
    {
        var t = ReceivedAt.AddHours(-1);
        var o = ReceivedAt.AddHours(-2);
        var s = ReceivedAt.AddHours(-3);

        Assert.Equal(t, TrackingMessageParser.EventTime(t, o, null, ReceivedAt));
        Assert.Equal(o, TrackingMessageParser.EventTime(null, o, null, ReceivedAt));
        Assert.Equal(s, TrackingMessageParser.EventTime(null, null, s, ReceivedAt));
        Assert.Equal(ReceivedAt, TrackingMessageParser.EventTime(null, null, null, ReceivedAt));
    }

    [Theory]
    [InlineData("{\"writeKey\": \"wk_secret_123\", \"type\": \"track\",", "{\"writeKey\":\"[removed]\", \"type\": \"track\",")]
    [InlineData("{\"batch\":[{\"writeKey\":\"wk_a\\\"b\"},{\"writeKey\" : \"wk_c\"}] oops", "{\"batch\":[{\"writeKey\":\"[removed]\"},{\"writeKey\":\"[removed]\"}] oops")]
    [InlineData("{\"event\":\"x\",\"writeKey\":\"wk_cut_off_at_the_lim", "{\"event\":\"x\",\"writeKey\":\"[removed]\"")]
    public void RedactWriteKeys_UnparseableBody_KeepsNoWriteKey(string raw, string expected)
    {
        var redacted = TrackingMessageParser.RedactWriteKeys(raw);

        Assert.Equal(expected, redacted);
        Assert.DoesNotContain("wk_", redacted);
    }
}
