using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// Bytes that are not UTF-8 in an uploaded file: the Tracking API answers 400 for them, and files
/// stored them altered (U+FFFD) as if accepted. Now the row or line holding them is rejected with the
/// reason and its line number, and the rest of the file is read.
/// </summary>
public sealed class FileTextTests
{
    private static readonly DateTime ReceivedAt = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private static readonly FileMapping Mapping = new(FileKind.ProfileRecords,
        [new("id", ColumnTarget.Identity, "crm_id"), new("name", ColumnTarget.Attribute, "name")]);

    private static byte[] Bytes(params object[] parts) =>
        [.. parts.SelectMany(p => p is string s ? Encoding.UTF8.GetBytes(s) : (byte[])p)];

    private static List<IncomingMessage> Csv(byte[] bytes) =>
        FileBatchProcessor.ReadCsv(new MemoryStream(bytes), Mapping, batchId: 1, ReceivedAt).ToList();

    private static List<IncomingMessage> Ndjson(byte[] bytes) =>
        FileBatchProcessor.ReadNdjson(new MemoryStream(bytes), batchId: 1, ReceivedAt).ToList();

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0x80 })] // an overlong NUL
    [InlineData(new byte[] { 0xFC })] // "ü" in Latin-1
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // a UTF-16 surrogate encoded as UTF-8
    public void Csv_RowWithBytesThatAreNotUtf8_IsRejectedWithItsLineAndTheOthersRead(byte[] bad)
    {
        var read = Csv(Bytes("id,name\nC1,Ada\nC2,M", bad, "ller\nC3,Zoë\n"));

        Assert.Equal([true, false, true], read.Select(m => m.IsValid));
        Assert.Equal(3, read[1].LineNumber);
        Assert.StartsWith("Line 3:", read[1].Error);
        Assert.Contains("not UTF-8", read[1].Error);
        Assert.Equal("Zoë", (string?)JsonNode.Parse(read[2].Payload)!["traits"]!["name"]);
    }

    [Fact]
    public void Csv_ReplacementCharacterWrittenInTheFile_IsKept()
    {
        var read = Csv(Bytes("id,name\nC1,a\uFFFDb\n"));

        var message = Assert.Single(read);
        Assert.True(message.IsValid, message.Error);
        Assert.Equal("a\uFFFDb", (string?)JsonNode.Parse(message.Payload)!["traits"]!["name"]);
    }

    [Fact]
    public void Csv_ReplacementCharacterInAFileWithBadBytesElsewhere_IsKept_OnlyTheBadRowIsRejected()
    {
        // The decoder's flag is set by bad bytes anywhere in its read-ahead: a row with a U+FFFD written on purpose was rejected too.
        var read = Csv(Bytes("id,name\nC1,a\uFFFDb\nC2,ok\nC3,M", new byte[] { 0xFC }, "ller\nC4,\"two\nlines \uFFFD\"\n"));

        Assert.Equal([true, true, false, true], read.Select(m => m.IsValid));
        Assert.Equal(4, read[2].LineNumber);
        Assert.Equal("a\uFFFDb", (string?)JsonNode.Parse(read[0].Payload)!["traits"]!["name"]);
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\r\n")]
    [InlineData("\n")]
    public void Csv_BadBytesOnOneLine_RejectThatRowWhateverTheLineEnds(string newline)
    {
        var read = Csv(Bytes($"id,name{newline}C1,ok{newline}C2,\"quoted{newline}M", new byte[] { 0xFF }, $"\"{newline}C3,fine{newline}"));

        Assert.Equal([true, false, true], read.Select(m => m.IsValid));
        Assert.Equal([2, 3, 5], read.Select(m => m.LineNumber));
    }

    [Fact]
    public void Csv_BadBytesOnTheLastLineOfAQuotedRowWithNoFinalNewline_RejectThatRow()
    {
        // The file's last record spans two lines and the second has no newline after it: its lines were counted one short.
        var read = Csv(Bytes("id,name,note\nC1,Ada,\"a\nb\"\nC2,Bo,\"x\n", new byte[] { 0xFF }, "y\""));

        Assert.Equal([true, false], read.Select(m => m.IsValid));
        Assert.Equal([2, 4], read.Select(m => m.LineNumber));
    }

    [Theory]
    [InlineData("\n", false)]
    [InlineData("\r\n", true)]
    [InlineData("\r", false)]
    public void Csv_RowAfterABrokenOneHoldingAnEmoji_IsReadWhole(string newline, bool bom)
    {
        // Reading restarts after a broken row at a byte position; the reader's own byte count was off for characters outside
        // the BMP, so "r-3,😀" was stored as "-3": the row lost its first two characters, and nothing flagged it.
        var text = string.Join(newline, "id,name", "r-1,ok", "r-2,\"broken", "r-3,😀 𝄞", "r-4,ok") + newline;
        var read = Csv(bom ? [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text)] : Encoding.UTF8.GetBytes(text));

        Assert.Equal([true, false, true, true], read.Select(m => m.IsValid));
        Assert.Equal([2, 3, 4, 5], read.Select(m => m.LineNumber));
        var ids = read.Where(m => m.IsValid).Select(m => (string?)JsonNode.Parse(m.Payload)!["context"]!["externalIds"]![0]!["id"]).ToList();
        Assert.Equal(["r-1", "r-3", "r-4"], ids);
        Assert.Equal("😀 𝄞", (string?)JsonNode.Parse(read[2].Payload)!["traits"]!["name"]);
    }

    [Fact]
    public void Ndjson_LineWithBytesThatAreNotUtf8_IsRejectedWithItsLineAndTheOthersRead()
    {
        var read = Ndjson(Bytes(
            """{"type":"identify","userId":"u1"}""", "\n",
            """{"type":"identify","userId":"nd-b5""", new byte[] { 0xFF }, "\"}\n",
            """{"type":"track","userId":"u2","event":"E""", new byte[] { 0xC0, 0x80 }, "\"}\r\n",
            """{"type":"identify","userId":"u3","traits":{"name":"Zoë"}}"""));

        Assert.Equal([true, false, false, true], read.Select(m => m.IsValid));
        Assert.Equal([1, 2, 3, 4], read.Select(m => m.LineNumber));
        Assert.All(read.Where(m => !m.IsValid), m => Assert.Contains("not UTF-8", m.Error));
        Assert.Equal("Zoë", (string?)JsonNode.Parse(read[3].Payload)!["traits"]!["name"]);
    }

    [Fact]
    public void Ndjson_ByteOrderMarkCrLfAndBlankLines_AreReadWithTheirLineNumbers()
    {
        var read = Ndjson(Bytes(Encoding.UTF8.GetPreamble(), """{"type":"identify","userId":"u1"}""", "\r\n\r\n  \n",
            """{"type":"identify","userId":"u2"}""", "\r\n"));

        Assert.All(read, m => Assert.True(m.IsValid, m.Error));
        Assert.Equal([1, 4], read.Select(m => m.LineNumber));
    }

    /// <summary>Whatever the bytes and the buffer's size, the lines are those of splitting the whole on '\n'.</summary>
    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Utf8Lines_AreTheBytesSplitOnNewlines()
    {
        var bytes = Gen.Elements<byte>((byte)'\n', (byte)'a', (byte)'\r', 0xFF, 0xC3, 0xA9).ArrayOf();
        return Prop.ForAll(bytes.ToArbitrary(), Gen.Choose(1, 9).ToArbitrary(), (data, size) =>
        {
            var expected = Split(data);
            var lines = Utf8Lines.Read(new MemoryStream(data), size).Select(l => l.ToArray()).ToList();
            return lines.Count == expected.Count && lines.Zip(expected).All(p => p.First.AsSpan().SequenceEqual(p.Second));
        });
    }

    private static List<byte[]> Split(byte[] data)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == '\n')
            {
                lines.Add(data[start..i]);
                start = i + 1;
            }
        }
        if (start < data.Length)
        {
            lines.Add(data[start..]);
        }
        return lines;
    }
}
