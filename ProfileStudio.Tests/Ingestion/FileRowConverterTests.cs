using System.Text.Json.Nodes;
using ProfileStudio.Core.Ingestion.Files;

namespace ProfileStudio.Tests.Ingestion;

public sealed class FileRowConverterTests
{
    private static readonly DateTime ReceivedAt = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Headers = ["Customer", "Email", "Amount", "VIP", "Joined", "City"];

    private static readonly FileMapping Profiles = new(FileKind.ProfileRecords,
    [
        new("Customer", ColumnTarget.Identity, "crm_id"),
        new("Email", ColumnTarget.Identity, "email"),
        new("Amount", ColumnTarget.Attribute, "lifetime_value", AttributeType.Number),
        new("VIP", ColumnTarget.Attribute, "vip", AttributeType.Boolean),
        new("Joined", ColumnTarget.Attribute, "joined_at", AttributeType.Date),
        new("City", ColumnTarget.Attribute, "address.city"),
    ]);

    private static IncomingMessageView Convert(params string?[] values) =>
        new(FileRowConverter.Convert(Headers, values, Profiles, batchId: 7, line: 3, ReceivedAt));

    [Fact]
    public void Convert_ProfileRecord_BecomesIdentifyWithTypedNestedTraits()
    {
        var m = Convert("C-1", "ada@example.com", "120.50", "yes", "2024-05-01", "Paris");

        Assert.True(m.Message.IsValid);
        Assert.Equal("file-7-3", m.Message.MessageId);
        Assert.Equal(3, m.Message.LineNumber);
        Assert.Equal("identify", (string?)m.Json["type"]);
        Assert.Equal(120.5, (double)m.Json["traits"]!["lifetime_value"]!);
        Assert.True((bool)m.Json["traits"]!["vip"]!);
        Assert.Equal("2024-05-01T00:00:00.0000000Z", (string?)m.Json["traits"]!["joined_at"]);
        Assert.Equal("Paris", (string?)m.Json["traits"]!["address"]!["city"]);
        var ids = m.Json["context"]!["externalIds"]!.AsArray().Select(i => ((string?)i!["type"], (string?)i["id"])).ToList();
        Assert.Equal([("crm_id", "C-1"), ("email", "ada@example.com")], ids);
    }

    [Fact]
    public void Convert_EmptyCell_LeavesAttributeOut_NullTokenRemovesIt()
    {
        var m = Convert("C-1", "", "", "", "", "NULL");
        var traits = m.Json["traits"]!.AsObject();

        Assert.False(traits.ContainsKey("lifetime_value"));
        Assert.False(traits.ContainsKey("vip"));
        Assert.True(traits["address"]!.AsObject().ContainsKey("city"));
        Assert.Null(traits["address"]!["city"]);
    }

    [Theory]
    [InlineData("abc", "yes", "2024-01-01", "\"abc\" in column \"Amount\" is not a number")]
    [InlineData("1", "maybe", "2024-01-01", "\"maybe\" in column \"VIP\" is not true or false")]
    [InlineData("1", "no", "soon", "\"soon\" in column \"Joined\" is not a date")]
    public void Convert_BadTypedValue_RejectsRowWithLineAndColumn(string amount, string vip, string joined, string reason)
    {
        var m = new IncomingMessageView(FileRowConverter.Convert(Headers, ["C-1", "", amount, vip, joined, ""], Profiles, 7, 3, ReceivedAt));

        Assert.False(m.Message.IsValid);
        Assert.StartsWith("Line 3:", m.Message.Error);
        Assert.Contains(reason, m.Message.Error);
        Assert.Equal("C-1", (string?)m.Json["row"]!["Customer"]);
    }

    [Fact]
    public void Convert_RowWithoutIdentifier_IsRejected()
    {
        var m = Convert("", " ", "1", "no", "", "");

        Assert.False(m.Message.IsValid);
        Assert.Contains("has no identifier", m.Message.Error);
    }

    [Fact]
    public void Convert_EventRow_BecomesTrackAtItsTimestamp()
    {
        var mapping = new FileMapping(FileKind.Events,
        [
            new("Email", ColumnTarget.Identity, "email"),
            new("Action", ColumnTarget.EventName),
            new("At", ColumnTarget.EventTimestamp),
            new("Total", ColumnTarget.EventProperty, "total", AttributeType.Number),
        ]);

        var message = FileRowConverter.Convert(["Email", "Action", "At", "Total"], ["a@b.c", "Order Completed", "2026-10-01T08:30:00Z", "19.9"], mapping, 1, 2, ReceivedAt);
        var json = JsonNode.Parse(message.Payload)!;

        Assert.True(message.IsValid);
        Assert.Equal(new DateTime(2026, 10, 1, 8, 30, 0, DateTimeKind.Utc), message.EventAt);
        Assert.Equal("Order Completed", (string?)json["event"]);
        Assert.Equal(19.9, (double)json["properties"]!["total"]!);
    }

    [Theory]
    [InlineData("Bo\u001bught", "U+001B")]
    [InlineData("B\u0000x", "U+0000")]
    [InlineData("Two\nlines", "U+000A")]
    public void Convert_EventNameWithAControlCharacter_IsRejectedAsTheTrackingApiRejectsIt(string name, string character)
    {
        // The tracking API and NDJSON refused these names; an events CSV stored them, and the Profile API then returned "B\u0000x".
        var mapping = new FileMapping(FileKind.Events, [new("Email", ColumnTarget.Identity, "email"), new("Action", ColumnTarget.EventName)]);

        var message = FileRowConverter.Convert(["Email", "Action"], ["a@b.c", name], mapping, 1, 4, ReceivedAt);

        Assert.False(message.IsValid);
        Assert.StartsWith("Line 4:", message.Error);
        Assert.Contains(character, message.Error);
        Assert.Contains("a name is printable text", message.Error);
    }

    [Fact]
    public void ColumnNamedDeeperThanAMessageMayNest_IsRefusedByTheMappingAndItsRowsRejected()
    {
        // 64 dots made a stored row the worker could not read: it was counted as accepted and lost.
        var name = string.Join('.', Enumerable.Repeat("f", 64));
        var mapping = new FileMapping(FileKind.ProfileRecords, [new("id", ColumnTarget.Identity, "user_id"), new(name, ColumnTarget.Attribute, name)]);

        var problem = Assert.Single(mapping.Problems(["id", name]));
        var message = FileRowConverter.Convert(["id", name], ["u1", "5"], mapping, 1, 2, ReceivedAt);

        Assert.Contains("nests 66 levels deep", problem);
        Assert.Contains($"at most {ProfileStudio.Core.Ingestion.MessageShape.MaxDepth}", problem);
        Assert.False(message.IsValid);
        Assert.Contains("nests 66 levels deep", message.Error);
    }

    [Fact]
    public void ColumnNamedAsDeepAsAMessageMayNest_IsStored()
    {
        var name = string.Join('.', Enumerable.Repeat("f", ProfileStudio.Core.Ingestion.MessageShape.MaxDepth - 2));
        var mapping = new FileMapping(FileKind.ProfileRecords, [new("id", ColumnTarget.Identity, "user_id"), new(name, ColumnTarget.Attribute, name)]);

        var message = FileRowConverter.Convert(["id", name], ["u1", "5"], mapping, 1, 2, ReceivedAt);

        Assert.Empty(mapping.Problems(["id", name]));
        Assert.True(message.IsValid, message.Error);
        // The tracking API's own check agrees: the stored message is within its depth.
        Assert.Null(ProfileStudio.Core.Ingestion.MessageShape.Check(JsonNode.Parse(message.Payload)!.AsObject(), "identify"));
    }

    [Fact]
    public void ColumnsHoldingWriteKeys_AreIgnoredBySuggestionRefusedByTheMappingAndNeverWritten()
    {
        // A CSV with writeKey, write_key and props.writeKey columns stored the key as attributes.
        string[] headers = ["user_id", "writeKey", "Write Key", "props.write_key", "name"];
        var suggested = FileMapping.Suggest(FileKind.ProfileRecords, headers);
        var forced = new FileMapping(FileKind.ProfileRecords,
            [new("user_id", ColumnTarget.Identity, "user_id"), new("writeKey", ColumnTarget.Attribute, "token"), new("name", ColumnTarget.Attribute, "props.writeKey")]);

        Assert.Equal([ColumnTarget.Ignore, ColumnTarget.Ignore, ColumnTarget.Ignore],
            suggested.Columns.Where(c => c.Column is "writeKey" or "Write Key" or "props.write_key").Select(c => c.Target));
        Assert.Equal(2, forced.Problems(headers).Count(p => p.Contains("holds write keys")));
        var message = FileRowConverter.Convert(headers, ["u1", "wk_secret_1", "wk_secret_2", "wk_secret_3", "wk_secret_4"], forced, 1, 2, ReceivedAt);
        Assert.True(message.IsValid, message.Error);
        Assert.DoesNotContain("wk_secret", message.Payload);
    }

    [Fact]
    public void Problems_MappingWithoutIdentityOrEventName_SaysWhatToFix()
    {
        var mapping = new FileMapping(FileKind.Events, [new("Amount", ColumnTarget.EventProperty, "amount")]);

        var problems = mapping.Problems(["Amount", "Other"]);

        Assert.Contains(problems, p => p.Contains("at least one column to an identity"));
        Assert.Contains(problems, p => p.Contains("event name"));
    }

    [Fact]
    public void Suggest_KnownHeaders_MapToIdentitiesAndTypedAttributes()
    {
        var mapping = FileMapping.Suggest(FileKind.ProfileRecords, ["E-mail", "Phone Number", "Loyalty ID", "Total Amount", "Is VIP", "Signed up at", "Name"]);

        Assert.Equal(
            [(ColumnTarget.Identity, "email"), (ColumnTarget.Identity, "phone"), (ColumnTarget.Identity, "loyalty_id"),
             (ColumnTarget.Attribute, "total_amount"), (ColumnTarget.Attribute, "is_vip"), (ColumnTarget.Attribute, "signed_up_at"), (ColumnTarget.Attribute, "name")],
            mapping.Columns.Select(c => (c.Target, c.Name)));
        Assert.Equal([AttributeType.Number, AttributeType.Boolean, AttributeType.Date], mapping.Columns.Skip(3).Take(3).Select(c => c.Type));
        Assert.Empty(mapping.Problems(mapping.Columns.Select(c => c.Column).ToList()));
    }

    private sealed record IncomingMessageView(ProfileStudio.Core.Ingestion.IncomingMessage Message)
    {
        public JsonNode Json { get; } = JsonNode.Parse(Message.Payload)!;
    }
}
