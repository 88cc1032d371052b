using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// Text kept although it does not parse (a malformed tracking body, an NDJSON line) keeps no write key,
/// however the key's name is spelled and wherever the text was cut off.
/// </summary>
public sealed class WriteKeyRedactionTests
{
    private const string Secret = "wk_Secret0123456789abcdefghijklmnop";

    [Theory]
    [InlineData("{\"write\\u004bey\":\"wk_Secret0123456789abcdefghijklmnop\", oops")]
    [InlineData("{\"\\u0077\\u0072\\u0069\\u0074\\u0065\\u004B\\u0065\\u0079\":\"wk_Secret0123456789abcdefghijklmnop\" oops")]
    [InlineData("{\"WRITEKEY\":\"wk_Secret0123456789abcdefghijklmnop\",}")]
    [InlineData("{\"WriteKey\"  \t:\n  \"wk_Secret0123456789abcdefghijklmnop\" ,")]
    [InlineData("{\"write_key\":\"wk_Secret0123456789abcdefghijklmnop\"")]
    [InlineData("{\"write key\":\"wk_Secret0123456789abcdefghijklmnop\"")]
    [InlineData("{'writeKey':'wk_Secret0123456789abcdefghijklmnop'")]
    [InlineData("{writeKey: \"wk_Secret0123456789abcdefghijklmnop\", userId: 1")]
    [InlineData("writeKey=wk_Secret0123456789abcdefghijklmnop&userId=u-1")]
    [InlineData("userId=u-1&write%4Bey=wk_Secret0123456789abcdefghijklmnop")]
    [InlineData("{\"event\":\"x\",\"writeKey\":\"wk_Secret0123456789abcdefghij")]
    [InlineData("{\"event\":\"x\",\"writeKey\":")]
    [InlineData("{\"event\":\"x\",\"writeKey\":\"wk_Secret0123456789abcdefghijklmnop\\")]
    [InlineData("{\"writeKey\": {\"value\":\"wk_Secret0123456789abcdefghijklmnop\"}, oops")]
    [InlineData("{\"writeKey\": [\"wk_Secret0123456789abcdefghijklmnop\"] oops")]
    [InlineData("it's broken {\"writeKey\":\"wk_Secret0123456789abcdefghijklmnop\"}")]
    [InlineData("{\"payload\":\"{\\\"writeKey\\\":\\\"wk_Secret0123456789abcdefghijklmnop\\\"}\", oops")]
    [InlineData("{\"batch\":[{\"writeKey\":\"a\\\"b\"},{\"writeKey\" : \"wk_Secret0123456789abcdefghijklmnop\"}] oops")]
    public void Redact_AnySpellingOfTheKey_RemovesTheSecret(string raw)
    {
        var redacted = WriteKeyRedaction.Redact(raw);

        Assert.DoesNotContain("Secret0123", redacted);
        Assert.Contains(WriteKeyRedaction.RemovedValue, redacted);
    }

    [Fact]
    public void Redact_NumberValue_IsReplacedToo()
    {
        Assert.Equal("{\"a\":1,\"writeKey\":\"[removed]\",\"b\":2", WriteKeyRedaction.Redact("{\"a\":1,\"WriteKey\": 12345678901234567890,\"b\":2"));
    }

    [Theory]
    [InlineData("{\"event\":\"Key Pressed\",\"properties\":{\"keyboard\":\"azerty\",\"writeKeyHint\":\"…mnop\"} oops")]
    [InlineData("{\"text\":\"the write key is secret\", \"path\":\"C:\\\\keys\"")]
    [InlineData("not json at all")]
    [InlineData("")]
    public void Redact_NoKey_LeavesTheTextAlone(string raw)
    {
        Assert.Equal(raw, WriteKeyRedaction.Redact(raw));
    }

    [Fact]
    public void RedactWriteKeys_OfTheParser_UsesTheSameRules()
    {
        Assert.DoesNotContain(Secret, TrackingMessageParser.RedactWriteKeys($"{{\"write\\u004bey\":\"{Secret}\""));
    }
}
