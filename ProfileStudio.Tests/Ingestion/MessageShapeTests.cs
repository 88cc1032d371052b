using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// The field shapes the unification engine relies on, checked at ingestion: a message the parser accepts
/// is one the engine can unify and the readers can read; any other is rejected with a reason naming the field.
/// </summary>
public sealed class MessageShapeTests
{
    private static readonly DateTime ReceivedAt = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private static IncomingMessage One(string json, string endpoint) =>
        Assert.Single(TrackingMessageParser.Parse(Encoding.UTF8.GetBytes(json), endpoint, ReceivedAt).Request!.Messages);

    private static string Nested(int levels, string leaf = "1") =>
        string.Concat(Enumerable.Repeat("{\"a\":", levels)) + leaf + new string('}', levels);

    [Theory]
    [InlineData("page", """{"userId":"u1","name":12345}""", "\"name\" must be a string")]
    [InlineData("screen", """{"userId":"u1","name":{"x":1}}""", "\"name\" must be a string")]
    [InlineData("page", """{"userId":"u1","category":["a"]}""", "\"category\" must be a string")]
    [InlineData("page", """{"userId":"u1","properties":{"path":7}}""", "\"properties.path\" must be a string")]
    [InlineData("track", """{"userId":"u1","event":true}""", "\"event\" must be a string")]
    [InlineData("track", """{"userId":"u1","event":"e","properties":"x"}""", "\"properties\" must be a JSON object")]
    [InlineData("identify", """{"userId":"u1","context":[]}""", "\"context\" must be a JSON object")]
    [InlineData("identify", """{"userId":"u1","context":{"traits":"ada@example.com"}}""", "\"context.traits\" must be a JSON object")]
    [InlineData("identify", """{"userId":"u1","context":{"externalIds":{"id":"x"}}}""", "\"context.externalIds\" must be an array")]
    [InlineData("identify", """{"userId":"u1","context":{"externalIds":["x"]}}""", "\"context.externalIds[0]\" must be an object")]
    [InlineData("identify", """{"userId":"u1","context":{"externalIds":[{"id":"x","type":5}]}}""", "\"context.externalIds[0].type\" must be a string")]
    [InlineData("identify", """{"userId":"u1","context":{"externalIds":[{"id":[1],"type":"email"}]}}""", "\"context.externalIds[0].id\" must be a string or a number")]
    [InlineData("identify", """{"userId":"u1","context":{"externalIds":[{"id":"x","type":"email","collection":{}}]}}""", "\"context.externalIds[0].collection\" must be a string")]
    [InlineData("identify", """{"userId":"u1","messageId":{"a":1}}""", "\"messageId\" must be a string")]
    [InlineData("group", """{"userId":"u1","groupId":true}""", "\"groupId\" must be a string")]
    [InlineData("alias", """{"userId":"u1","previousId":[]}""", "\"previousId\" must be a string")]
    [InlineData("identify", """{"anonymousId":false}""", "\"anonymousId\" must be a string")]
    [InlineData("identify", """{"userId":"u1","integrations":1}""", "\"integrations\" must be a JSON object")]
    [InlineData("identify", """{"userId":"u1","sentAt":12}""", "\"sentAt\" is not an ISO-8601 date")]
    [InlineData("identify", """{"userId":"u1","originalTimestamp":"soon"}""", "\"originalTimestamp\" is not an ISO-8601 date")]
    public void Check_FieldOfTheWrongShape_IsRejectedNamingTheField(string type, string json, string reason)
    {
        var message = One(json, type);

        Assert.False(message.IsValid);
        Assert.Contains(reason, message.Error);
    }

    [Theory]
    [InlineData("12/06/2026")] // month first or day first: which is it?
    [InlineData("06.12.2026")]
    [InlineData("Sun, 06 Dec 2026 10:00:00 GMT")]
    [InlineData("2026-11-20T08:00:00Z\u0000")]
    [InlineData("20 November 2026")]
    [InlineData("2026-11-20T08:00:00 +01:00")]
    [InlineData("２０２６-11-20")] // full-width digits
    public void Check_TimeThatIsNotIso8601_IsRejectedNotGuessed(string time)
    {
        var message = One($$"""{"userId":"u1","timestamp":{{System.Text.Json.JsonSerializer.Serialize(time)}}}""", "identify");

        Assert.False(message.IsValid);
        Assert.Contains("\"timestamp\" is not an ISO-8601 date", message.Error);
    }

    [Theory]
    [InlineData("<b>soon</b>", "\"<b>soon</b>\"")]
    [InlineData("l'été prochain", "\"l'été prochain\"")]
    public void Check_TimeRejected_EchoesItAsWritten(string time, string echoed)
    {
        var message = One($$"""{"userId":"u1","timestamp":{{System.Text.Json.JsonSerializer.Serialize(time)}}}""", "identify");

        Assert.Equal($"\"timestamp\" is not an ISO-8601 date: {echoed}.", message.Error);
    }

    /// <summary>ISO 8601 in form, but no time: the reason, not "not an ISO-8601 date"; still echoed as written (+, not \u002B).</summary>
    [Fact]
    public void Check_TimeWithAnOffsetNoZoneHas_SaysSo()
    {
        var message = One("""{"userId":"u1","timestamp":"2026-12-06T10:00:00+25:00"}""", "identify");

        Assert.Equal("\"timestamp\" is \"2026-12-06T10:00:00+25:00\", which is no time: its offset from UTC, +25:00, is beyond ±14:00, the widest there is.", message.Error);
    }

    [Theory]
    [InlineData("2026-11-20", "2026-11-20T00:00:00")]
    [InlineData("2026-11-20T08:00Z", "2026-11-20T08:00:00")]
    [InlineData("2026-11-20T08:00:00.123Z", "2026-11-20T08:00:00.123")]
    [InlineData("2026-11-20T09:00:00+01:00", "2026-11-20T08:00:00")]
    [InlineData("2026-11-20T09:00:00+0100", "2026-11-20T08:00:00")]
    [InlineData("2026-11-20 08:00:00", "2026-11-20T08:00:00")] // RFC 3339's space; no zone is UTC
    [InlineData("2026-11-20t08:00:00z", "2026-11-20T08:00:00")]
    public void Check_Iso8601Time_IsReadInUtc(string time, string utc)
    {
        var message = One($$"""{"userId":"u1","timestamp":"{{time}}"}""", "identify");

        Assert.True(message.IsValid, message.Error);
        Assert.Equal(DateTime.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), message.EventAt);
    }

    [Theory]
    [InlineData("""{"userId":"a\u0000b"}""", "\"userId\" holds a control character (U+0000")]
    [InlineData("""{"anonymousId":"line\nbreak"}""", "\"anonymousId\" holds a control character (U+000A")]
    [InlineData("""{"userId":"u1","traits":{"email":"ada\u0007@example.com"}}""", "\"traits.email\" holds a control character")]
    [InlineData("""{"userId":"u1","context":{"traits":{"phone":"\u001b07700 900123"}}}""", "\"context.traits.phone\" holds a control character")]
    [InlineData("""{"userId":"u1","context":{"externalIds":[{"id":"c\u0085","type":"crm_id"}]}}""", "\"context.externalIds[0].id\" holds a control character")]
    public void Check_IdentifierThatCouldNeverBeLookedUp_IsRejected(string json, string reason)
    {
        var message = One(json, "identify");

        Assert.False(message.IsValid);
        Assert.Contains(reason, message.Error);
    }

    [Fact]
    public void Check_IdentifierLongerThanAUrlCanCarry_IsRejected()
    {
        var message = One($$"""{"userId":"{{new string('u', MessageShape.MaxIdentifierLength + 1)}}"}""", "identify");

        Assert.Contains("an identifier has at most 512", message.Error);
    }

    [Fact]
    public void Check_NumbersAsIds_AreTakenAsText()
    {
        var message = One("""{"userId":1,"previousId":2,"groupId":3,"messageId":4,"context":{"externalIds":[{"id":5,"type":"crm_id"}]}}""", "alias");

        Assert.True(message.IsValid, message.Error);
        var payload = JsonNode.Parse(message.Payload)!;
        Assert.Equal(["1", "2", "3", "4"], new[] { "userId", "previousId", "groupId", "messageId" }.Select(f => (string?)payload[f]));
        Assert.Equal("4", message.MessageId);
    }

    [Fact]
    public void Check_FieldsOnlyOtherTypesRead_AreKeptAsSent()
    {
        // A track call's "name" or "properties.path", an identify's "event": the engine reads them for other types only.
        var message = One("""{"userId":"u1","event":"e","name":5,"properties":{"path":{"x":1}},"traits":{"email":{"work":"a@b.c"}}}""", "track");

        Assert.True(message.IsValid, message.Error);
    }

    [Fact]
    public void Check_PropertiesNested62Deep_IsRejectedWithTheLimit()
    {
        var message = One($$"""{"userId":"u1","event":"e","properties":{{Nested(62)}}}""", "track");

        Assert.False(message.IsValid);
        Assert.Contains("a message nests at most 32", message.Error);
    }

    [Fact]
    public void Check_NestingWithinTheLimit_IsAccepted()
    {
        var message = One($$"""{"userId":"u1","event":"e","properties":{{Nested(MessageShape.MaxDepth - 3)}}}""", "track");

        Assert.True(message.IsValid, message.Error);
    }

    [Theory]
    [InlineData("1e400", false)]
    [InlineData("-1e400", false)]
    [InlineData("1e308", true)]
    [InlineData("-0", true)]
    [InlineData("123456789012345678901234567890", true)]
    public void Check_NumbersADoubleCannotHold_AreRejected(string number, bool valid)
    {
        var message = One("{\"userId\":\"u1\",\"event\":\"e\",\"properties\":{\"revenue\":" + number + "}}", "track");

        Assert.Equal(valid, message.IsValid);
        if (!valid)
        {
            Assert.Contains("\"properties.revenue\"", message.Error);
        }
    }

    [Theory]
    [InlineData("""{"timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}""", "\"timestamp\" is 0001-01-01")]
    [InlineData("""{"originalTimestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}""", "\"originalTimestamp\" is 0001-01-01")]
    [InlineData("""{"originalTimestamp":"1999-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}""", "\"sentAt\" is 9999-12-31")]
    [InlineData("""{"timestamp":"1969-12-31T23:59:59Z"}""", "dates must be from 1970-01-01")]
    [InlineData("""{"timestamp":"2150-01-01T00:00:00Z"}""", "more than 24 hours after the message was received")]
    [InlineData("""{"originalTimestamp":"1970-01-01T00:00:00Z","sentAt":"2199-01-01T00:00:00Z"}""", "before 1970-01-01")]
    public void Check_EventTimeOutOfRange_IsRejectedNeverOverflows(string times, string reason)
    {
        var json = times.Replace("{", """{"userId":"u1",""", StringComparison.Ordinal);

        var message = One(json, "identify");

        Assert.False(message.IsValid);
        Assert.Contains(reason, message.Error);
    }

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\udc00x")]
    [InlineData("a\\ud83d")]
    public void Parse_LoneSurrogateEscape_FailsTheRequestWithAReason(string escaped)
    {
        var result = TrackingMessageParser.Parse(Encoding.UTF8.GetBytes("{\"userId\":\"u1\",\"traits\":{\"name\":\"" + escaped + "\"}}"), "identify", ReceivedAt);

        Assert.Null(result.Request);
        Assert.Contains("\"traits.name\" is not valid text", result.Error);
    }

    [Fact]
    public void Parse_InvalidUtf8_FailsTheRequestWithAReason()
    {
        var body = Encoding.UTF8.GetBytes("""{"userId":"u1","traits":{"name":"AB"}}""");
        body[Array.IndexOf(body, (byte)'A')] = 0xC3; // a lead byte followed by an ASCII letter
        body[Array.IndexOf(body, (byte)'B')] = 0x28;

        var result = TrackingMessageParser.Parse(body, "identify", ReceivedAt);

        Assert.Null(result.Request);
        Assert.Contains("is not valid text", result.Error);
    }

    [Fact]
    public void Parse_BatchWithUnreadableItems_RejectsThoseAndKeepsTheRest()
    {
        var json = """
            {"batch":[
              {"type":"track","userId":"u1","event":"ok 1"},
              {"type":"track","userId":"u1","event":"\ud800"},
              {"type":"track","userId":"u1","event":"e","properties":{"\udfff":1}},
              {"type":"track","userId":"u1","event":"e","properties":{"a":1,"a":2}},
              {"type":"track","userId":"u1","event":"Z"},
              {"type":"track","userId":"u1","event":"ok 2"}]}
            """;
        var body = Encoding.UTF8.GetBytes(json);
        body[json.IndexOf("\"Z\"", StringComparison.Ordinal) + 1] = 0xFF; // never valid in UTF-8

        var messages = TrackingMessageParser.Parse(body, "batch", ReceivedAt).Request!.Messages;

        Assert.Equal([true, false, false, false, false, true], messages.Select(m => m.IsValid));
        Assert.Contains("\"event\" is not valid text", messages[1].Error);
        Assert.Contains("property name in \"properties\" is not valid text", messages[2].Error);
        Assert.Contains("\"properties.a\" appears twice", messages[3].Error);
        Assert.Contains("\"event\" is not valid text", messages[4].Error);
        Assert.Contains("\\ud800", messages[1].Payload); // kept as it arrived
        Assert.Contains("\\uFFFD", messages[4].Payload); // the invalid byte replaced
    }

    [Fact]
    public void Parse_DuplicateNames_FailTheSingleMessageRequest()
    {
        var result = TrackingMessageParser.Parse("""{"userId":"a","userId":"b"}"""u8, "identify", ReceivedAt);

        Assert.Null(result.Request);
        Assert.Contains("\"userId\" appears twice", result.Error);
    }

    [Theory]
    [InlineData("""{"properties":{"items":[{"ok":"x"},{"name":"bad\ud800"}]}}""", "\"properties.items[1].name\" is not valid text")]
    [InlineData("""{"a":[{"b":1,"c":[1,{"b":2,"b":3}]}]}""", "\"a[0].c[1].b\" appears twice in one object")]
    [InlineData("""[["x"],["\udc00"]]""", "\"[1][0]\" is not valid text")]
    [InlineData("""{"deep":{"er":{"\ud800":1}}}""", "a property name in \"deep.er\" is not valid text")]
    [InlineData("""{"\ud800":1}""", "a property name in the message is not valid text")]
    public void UnreadableJson_NamesThePathToTheFirstProblem(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.StartsWith(expected, MessageShape.UnreadableJson(document.RootElement));
    }

    [Fact]
    public void UnreadableJson_ObjectsOfManyProperties_FindARepeatedNameWherever_ItIs()
    {
        // Past 64 properties the raw-byte check hands over to the exact walk: a repeat after the 64th is still found.
        var names = Enumerable.Range(0, 90).Select(i => $"\"p{i}\":{i}").ToList();
        using var distinct = JsonDocument.Parse("{\"traits\":{" + string.Join(",", names) + "}}");
        using var repeatedLate = JsonDocument.Parse("{\"traits\":{" + string.Join(",", names) + ",\"p3\":0}}");
        using var repeatedEarly = JsonDocument.Parse("{\"traits\":{\"p0\":1," + string.Join(",", names) + "}}");

        Assert.Null(MessageShape.UnreadableJson(distinct.RootElement));
        Assert.StartsWith("\"traits.p3\" appears twice", MessageShape.UnreadableJson(repeatedLate.RootElement));
        Assert.StartsWith("\"traits.p0\" appears twice", MessageShape.UnreadableJson(repeatedEarly.RootElement));
    }

    [Fact]
    public void UnreadableJson_TheSameNameEscapedAndPlain_IsARepeat()
    {
        using var document = JsonDocument.Parse("""{"a":{"name":1,"n\u0061me":2}}""");

        Assert.StartsWith("\"a.name\" appears twice", MessageShape.UnreadableJson(document.RootElement));
    }

    /// <summary>Objects nested in objects and arrays, with names from a small alphabet so that repeats are common.</summary>
    private static readonly Gen<string> SmallObjects =
        Gen.Sized(size => ObjectOf(Math.Min(size, 6)));

    private static Gen<string> ObjectOf(int depth) =>
        from count in Gen.Choose(0, 5)
        from names in Gen.ArrayOf(Gen.Elements("a", "b", "c", "é", "日本", "a b"), count)
        from values in Gen.ArrayOf(ValueOf(depth), count)
        select "{" + string.Join(",", names.Zip(values, (n, v) => $"\"{n}\":{v}")) + "}";

    private static Gen<string> ValueOf(int depth) => depth <= 0
        ? Gen.Elements("1", "\"x\"", "null", "[]")
        : Gen.OneOf(Gen.Elements("1", "\"x\"", "null"), ObjectOf(depth - 1), Gen.ArrayOf(ObjectOf(depth - 1), 2).Select(items => "[" + string.Join(",", items) + "]"));

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property UnreadableJson_ReportsARepeatedName_ExactlyWhenAnObjectHasOne()
    {
        return Prop.ForAll(SmallObjects.ToArbitrary(), json =>
        {
            using var document = JsonDocument.Parse(json);
            var expected = HasRepeat(document.RootElement);
            var problem = MessageShape.UnreadableJson(document.RootElement);
            Assert.Equal(expected, problem is not null);
            if (problem is not null)
            {
                Assert.Contains("appears twice", problem);
            }
        });

        static bool HasRepeat(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => element.EnumerateObject().GroupBy(p => p.Name).Any(g => g.Count() > 1) || element.EnumerateObject().Any(p => HasRepeat(p.Value)),
            JsonValueKind.Array => element.EnumerateArray().Any(HasRepeat),
            _ => false,
        };
    }

    [Theory]
    [InlineData("writeKey", true)]
    [InlineData("WRITE_KEY", true)]
    [InlineData(" write-key ", true)]
    [InlineData("write.key", true)]
    [InlineData("Write\tKey", true)]
    [InlineData("writeKeys", false)]
    [InlineData("rewriteKey", false)]
    [InlineData("write", false)]
    [InlineData("writeKe", false)]
    [InlineData("key_write", false)]
    public void IsWriteKey_AnySpellingOfTheName_AndNothingElse(string name, bool expected)
    {
        Assert.Equal(expected, WriteKeyRedaction.IsWriteKey(name));
        // The raw-byte pre-check agrees, for the name at any depth (escaped in JSON as it must be).
        using var document = JsonDocument.Parse("{\"a\":[1,{\"b\":{" + JsonSerializer.Serialize(name) + ":\"v\"}}]}");
        Assert.Equal(expected, WriteKeyRedaction.MayHold(document.RootElement));
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property MayHold_IsTrueForEveryNameThatSpellsAWriteKey()
    {
        // Names built from the key's letters in any case, separators, other letters and lookalikes (the Kelvin sign lowers to k).
        var pieces = Gen.Elements("w", "W", "r", "R", "i", "I", "t", "T", "e", "E", "k", "K", "y", "Y", "_", "-", ".", " ", "\u212A", "\u00A0", "é", "write", "key");
        var names = from count in Gen.Choose(1, 12) from parts in Gen.ArrayOf(pieces, count) select string.Concat(parts);
        return Prop.ForAll(names.ToArbitrary(), name =>
        {
            using var document = JsonDocument.Parse("{\"traits\":{\"x\":1," + JsonSerializer.Serialize(name) + ":2}}");
            Assert.Equal(WriteKeyRedaction.IsWriteKey(name), WriteKeyRedaction.MayHold(document.RootElement));
        });
    }

    [Fact]
    public void Parse_BatchContextLendingAWriteKey_StoresNoneInTheItems()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"writeKey":"k","context":{"library":{"write_key":"secret-1"}},"integrations":{"WriteKey":"secret-2"},
             "batch":[{"type":"track","userId":"u1","event":"e"},{"type":"identify","userId":"u2","context":{"ip":"1.2.3.4"}}]}
            """);

        var request = TrackingMessageParser.Parse(body, "batch", ReceivedAt).Request!;

        Assert.Equal("k", request.WriteKey);
        Assert.All(request.Messages, m =>
        {
            Assert.True(m.IsValid, m.Error);
            Assert.DoesNotContain("secret", m.Payload);
            Assert.Contains("\"library\"", m.Payload); // the rest of what the batch lent is kept
        });
    }

    [Fact]
    public void Check_NumberOutOfRangeDeepInArrays_IsNamedWithItsPath()
    {
        var message = JsonNode.Parse("""{"type":"track","userId":"u1","event":"e","properties":{"list":[1,{"n":[0,1e400]}]}}""")!.AsObject();

        Assert.Equal("\"properties.list[1].n[1]\" is the number 1e400, outside the range of a double (±1.8e308).", MessageShape.Check(message, "track"));
    }

    [Theory]
    [InlineData("track", "userId", "1e400")]
    [InlineData("track", "anonymousId", "-1e400")]
    [InlineData("track", "messageId", "1e309")]
    [InlineData("alias", "previousId", "1e309")]
    [InlineData("group", "groupId", "-1e309")]
    public void Check_AnIdOutOfRangeOfADouble_IsRefusedAsAnywhereElse_NotStoredAsItsText(string type, string field, string number)
    {
        var id = field == "userId" ? "\"anonymousId\":\"a1\"" : "\"userId\":\"u1\"";
        var message = JsonNode.Parse($$"""{"type":"{{type}}",{{id}},"event":"e","{{field}}":{{number}}}""")!.AsObject();

        Assert.Equal($"\"{field}\" is the number {number}, outside the range of a double (±1.8e308).", MessageShape.Check(message, type));
    }

    [Fact]
    public void Check_ANumericIdInRange_BecomesItsText()
    {
        var message = JsonNode.Parse("""{"type":"track","userId":12345678901234567890,"event":"e"}""")!.AsObject();

        Assert.Null(MessageShape.Check(message, "track"));
        Assert.Equal("12345678901234567890", (string?)message["userId"]);
    }

    [Fact]
    public void Check_TooDeep_NamesWhereItGoesTooDeep_CountingDotsInNames()
    {
        // The message is level 1, properties 2, "a.b" 3 and 4 (a dot counts), then 30 arrays: the bottom is past MaxDepth.
        var deep = string.Concat(Enumerable.Repeat("[", 30)) + "1" + new string(']', 30);
        var message = JsonNode.Parse("""{"type":"track","userId":"u1","event":"e","properties":{"a.b":""" + deep + "}}")!.AsObject();

        var problem = MessageShape.Check(message, "track");

        Assert.NotNull(problem);
        Assert.StartsWith("\"properties.a.b[0][0]", problem);
        Assert.Contains($"a message nests at most {MessageShape.MaxDepth}", problem);
    }

    [Fact]
    public void UnreadableJson_InvalidUtf8InANestedString_IsNamedWithItsPath_AndAPrefixGiven()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"list":[{"v":"ok"},{"v":"bad-X"}]}""");
        bytes[Array.LastIndexOf(bytes, (byte)'X')] = 0xFF;
        using var document = JsonDocument.Parse(bytes);

        Assert.StartsWith("\"properties.list[1].v\" is not valid text", MessageShape.UnreadableJson(document.RootElement, "properties"));
    }

    [Theory]
    [InlineData("""{"name":"caf\u00e9 \"quoted\" \\ \/ \n","emoji":"😀 \ud83d\ude00","html":"<script>alert(1)</script>","n":[1,2.5,true,null,{}]}""")]
    [InlineData("""{"a":{"a":{"a":"same name at three depths"}},"b":[{"x":1},{"x":2}]}""")]
    [InlineData("""[]""")]
    public void UnreadableJson_ReadableText_IsFine(string json)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Null(MessageShape.UnreadableJson(document.RootElement));
    }

    // ---- Anything in any field: the parser either rejects with a reason, or the engine can unify it.

    private static readonly string[] EngineFields =
    [
        "type", "userId", "anonymousId", "previousId", "groupId", "event", "name", "category", "properties", "traits",
        "context", "timestamp", "originalTimestamp", "sentAt", "messageId", "integrations",
    ];

    private static readonly string[] NestedFields =
    [
        "properties.path", "properties.email", "traits.email", "traits.phone", "context.traits", "context.traits.email",
        "context.externalIds", "context.externalIds[].id", "context.externalIds[].type", "context.externalIds[].collection",
    ];

    private static readonly Gen<string> Strings = Gen.Elements(
        "\"\"", "\" \"", "\"u1\"", "\"a/b\"", "\"Zoë 🚀\"", "\"<script>alert(1)</script>\"", "\"'; DROP TABLE RawMessages;--\"",
        "\"\\u0000\"", "\"\\ud800\"", "\"x\\u001fy\"", "\"2026-11-20T08:00:00Z\"", "\"0001-01-01\"", "\"9999-12-31T23:59:59Z\"",
        "\"ada@example.com\"", "\"+44 7700 900123\"", "\"null\"", "\"email\"", "\"" + new string('x', 600) + "\"");

    private static readonly Gen<string> Scalars = Gen.OneOf(
        Strings,
        Gen.Elements("0", "-0", "1", "42", "1e308", "-1e308", "1e400", "1.5", "123456789012345678901234567890", "true", "false", "null"));

    private static Gen<string> Json(int depth) => depth <= 0
        ? Scalars
        : Gen.Frequency(
            (4, Scalars),
            (1, Json(depth - 1).ListOf().Select(items => "[" + string.Join(",", items.Take(4)) + "]")),
            (1, Gen.Zip(Gen.Elements("path", "email", "phone", "id", "type", "traits", "a.b", "x"), Json(depth - 1)).ListOf()
                .Select(pairs => "{" + string.Join(",", pairs.DistinctBy(p => p.Item1).Take(4).Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}")));

    private static readonly Gen<string> AnyJson = Gen.OneOf(Json(3), Gen.Elements(Nested(40), Nested(70)));

    /// <summary>A message of a real type with a userId, whose fields (top-level and nested) are anything.</summary>
    private static readonly Gen<(string Type, string Json)> Messages =
        from type in Gen.Elements(TrackingMessageParser.MessageTypes.ToArray())
        from top in Gen.Zip(Gen.Elements(EngineFields), AnyJson).ListOf()
        from nested in Gen.Zip(Gen.Elements(NestedFields), AnyJson).ListOf()
        select (type, Build(type, top.Take(4), nested.Take(3)));

    private static string Build(string type, IEnumerable<(string, string)> top, IEnumerable<(string, string)> nested)
    {
        var fields = new Dictionary<string, string>
        {
            ["userId"] = "\"u1\"", ["event"] = "\"e\"", ["groupId"] = "\"g\"", ["previousId"] = "\"p\"",
        };
        foreach (var (field, value) in top)
        {
            fields[field] = value;
        }
        var inner = new Dictionary<string, Dictionary<string, string>>();
        foreach (var (path, value) in nested)
        {
            var parts = path.Split('.', 2);
            if (parts[1].StartsWith("externalIds[]", StringComparison.Ordinal))
            {
                var key = parts[1]["externalIds[].".Length..];
                fields["context"] = $$"""{"externalIds":[{"type":"crm_id","id":"c1","{{key}}":{{value}}}]}""";
                continue;
            }
            (inner.TryGetValue(parts[0], out var o) ? o : inner[parts[0]] = [])[parts[1]] = value;
        }
        foreach (var (parent, children) in inner)
        {
            fields[parent] = "{" + string.Join(",", children.Select(c => c.Key.Contains('.', StringComparison.Ordinal)
                ? $"\"{c.Key.Split('.')[0]}\":{{\"{c.Key.Split('.')[1]}\":{c.Value}}}"
                : $"\"{c.Key}\":{c.Value}")) + "}";
        }
        _ = type;
        return "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";
    }

    [FsCheck.Xunit.Property(MaxTest = 400)]
    public Property Parse_AnythingInAnyField_IsRejectedWithAReasonOrUnifiedAndReadable()
    {
        return Prop.ForAll(Messages.ToArbitrary(), sample =>
        {
            var (type, json) = sample;
            var body = Encoding.UTF8.GetBytes(json);
            foreach (var (endpoint, request) in new[] { (type, body), ("batch", Encoding.UTF8.GetBytes($$"""{"batch":[{{json.Insert(1, $"\"type\":\"{type}\",")}}]}""")) })
            {
                var parsed = TrackingMessageParser.Parse(request, endpoint, ReceivedAt);
                if (parsed.Request is null)
                {
                    Assert.False(string.IsNullOrWhiteSpace(parsed.Error));
                    continue;
                }
                foreach (var message in parsed.Request.Messages)
                {
                    if (!message.IsValid)
                    {
                        Assert.False(string.IsNullOrWhiteSpace(message.Error));
                        continue;
                    }
                    // The engine unifies it (it throws on a shape it does not expect), and what it stores reads back.
                    var raw = new RawMessage
                    {
                        Id = 1, SourceId = 1, MessageId = message.MessageId, Type = message.Type, ReceivedAt = ReceivedAt,
                        EventAt = message.EventAt, Payload = message.Payload, Status = MessageStatus.Accepted,
                    };
                    var changes = new UnificationEngine(new IdentityGraph(IdentityRules.Default)).Process([raw]);
                    foreach (var e in changes.Events)
                    {
                        using var _ = JsonDocument.Parse(e.PropertiesJson);
                    }
                    foreach (var a in changes.Attributes.Values.Where(a => a.ValueJson is not null))
                    {
                        using var _ = JsonDocument.Parse(a.ValueJson!);
                    }
                    Assert.InRange(message.EventAt, MessageShape.EarliestTime, ReceivedAt + MessageShape.MaxTimeAhead);
                }
            }
        });
    }
}
