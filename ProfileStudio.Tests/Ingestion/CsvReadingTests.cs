using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsvHelper;
using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.Ingestion.Files;

namespace ProfileStudio.Tests.Ingestion;

public sealed class CsvReadingTests
{
    private static readonly DateTime ReceivedAt = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private static readonly FileMapping Mapping = new(FileKind.ProfileRecords,
        [new("id", ColumnTarget.Identity, "crm_id"), new("name", ColumnTarget.Attribute, "name"), new("note", ColumnTarget.Attribute, "note")]);

    private static List<ProfileStudio.Core.Ingestion.IncomingMessage> Read(string csv, bool bom = false)
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        var stream = new MemoryStream(bom ? [.. Encoding.UTF8.GetPreamble(), .. bytes] : bytes);
        return FileBatchProcessor.ReadCsv(stream, Mapping, batchId: 1, ReceivedAt).ToList();
    }

    [Fact]
    public void ReadCsv_SemicolonsBomQuotedNewlines_ReadsRowsWithTheirStartLines()
    {
        var rows = Read("id;name;note\nC1;Ada;\"two\nlines\"\nC2;Zoë;\"say \"\"hi\"\"\"\n", bom: true);

        Assert.Equal([2, 4], rows.Select(r => r.LineNumber));
        Assert.All(rows, r => Assert.True(r.IsValid, r.Error));
        Assert.Equal("two\nlines", (string?)JsonNode.Parse(rows[0].Payload)!["traits"]!["note"]);
        Assert.Equal("Zoë", (string?)JsonNode.Parse(rows[1].Payload)!["traits"]!["name"]);
        Assert.Equal("say \"hi\"", (string?)JsonNode.Parse(rows[1].Payload)!["traits"]!["note"]);
    }

    [Fact]
    public void ReadCsv_BrokenRows_AreRejectedOnTheirOwnLinesAndTheRestIsRead()
    {
        var rows = Read("id,name,note\nC1,Ada,ok\nC2,\"Bo\"b\",x\nC3,Cy\nC4,Di,fine\n");

        Assert.Equal([2, 3, 4, 5], rows.Select(r => r.LineNumber));
        Assert.Equal([true, false, false, true], rows.Select(r => r.IsValid));
        Assert.Contains("stray quote", rows[1].Error);
        Assert.Contains("the row has 2 fields; the header has 3", rows[2].Error);
    }

    [Fact]
    public void ReadCsv_ARowOfOneField_SaysField()
    {
        var rows = Read("id,name,note\nC1\n");

        Assert.Contains("the row has 1 field; the header has 3", rows[0].Error);
    }

    [Theory]
    [InlineData("C2,\"Bob,x")] // an opening quote in the middle column
    [InlineData("C2,Bob,\"never closed")] // in the last column: the rest of the file would be one field
    [InlineData("C2,\"Bob\" \"x,y")] // a stray quote and then an unterminated one
    public void ReadCsv_UnterminatedQuote_RejectsThatRowAloneAndReadsTheRest(string broken)
    {
        var rows = Read($"id,name,note\nC1,Ada,ok\n{broken}\nC3,Cy,\"two\nlines\"\nC4,Di,fine\n");

        Assert.Equal([2, 3, 4, 6], rows.Select(r => r.LineNumber));
        Assert.Equal([true, false, true, true], rows.Select(r => r.IsValid));
        Assert.Equal(broken, (string?)JsonNode.Parse(rows[1].Payload)!["row"]);
        Assert.Equal("two\nlines", (string?)JsonNode.Parse(rows[2].Payload)!["traits"]!["note"]);
        Assert.Equal("Di", (string?)JsonNode.Parse(rows[3].Payload)!["traits"]!["name"]);
    }

    [Theory]
    [InlineData(false, "\n")]
    [InlineData(true, "\r\n")]
    public void ReadCsv_QuoteOpenUntilTheEnd_RejectsThatRowAloneAndReadsTheRest(bool bom, string newline)
    {
        var rows = Read(string.Join(newline, "id,name,note", "C1,Ada,ok", "C2,Bob,\"never closed", "C3,Cy,fine", "C4,Zoë,fine", ""), bom);

        Assert.Equal([2, 3, 4, 5], rows.Select(r => r.LineNumber));
        Assert.Equal([true, false, true, true], rows.Select(r => r.IsValid));
        Assert.Equal("C2,Bob,\"never closed", (string?)JsonNode.Parse(rows[1].Payload)!["row"]);
        Assert.Equal("Zoë", (string?)JsonNode.Parse(rows[3].Payload)!["traits"]!["name"]);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void ReadCsv_BlankLines_CountInTheLineNumbersOfTheRowsAfterThem(string newline)
    {
        var rows = Read(string.Join(newline, "id,name,note", "C1,Ada,ok", "", "", "C2,Bob,\"two", "lines\"", "", "C3,Cy,zz,extra", "C4,Di,fine", ""));

        Assert.Equal([2, 5, 8, 9], rows.Select(r => r.LineNumber)); // the physical lines of the file, as a text editor numbers them
        Assert.Equal([true, true, false, true], rows.Select(r => r.IsValid));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void ReadCsv_BlankLinesBeforeTheHeaderAndBeforeAQuoteLeftOpen_CountToo(string newline)
    {
        var rows = Read(string.Join(newline, "", "id,name,note", "C1,Ada,ok", "", "C2,Bob,\"never closed", "C3,Cy,fine", ""));

        Assert.Equal([3, 5, 6], rows.Select(r => r.LineNumber));
        Assert.Equal([true, false, true], rows.Select(r => r.IsValid));
    }

    [Fact]
    public void ReadCsv_HeaderOnly_YieldsNothing() => Assert.Empty(Read("id,name,note\n"));

    /// <summary>
    /// Whatever text people put in cells (quotes, separators, newlines, unicode, markup), a CSV written
    /// by a standard writer reads back to the same values, one message per row, on the right lines.
    /// </summary>
    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property ReadCsv_WhatAWriterWrote_ReadsBackTheSameValues()
    {
        var cell = Gen.Elements("a", "Zoë", "\"", ",", ";", "\n", "<script>", "'; DROP TABLE x;--", " ", "日本", "🚀", "x y")
            .ArrayOf().Select(parts => string.Concat(parts)).Where(s => s.Trim().Length > 0 && !s.Trim().Equals("null", StringComparison.OrdinalIgnoreCase));
        var row = Gen.Zip(cell, cell);
        return Prop.ForAll(row.ListOf().Where(l => l.Count is > 0 and < 20).ToArbitrary(), rows =>
        {
            var writer = new StringWriter();
            using (var csv = new CsvWriter(writer, CultureInfo.InvariantCulture))
            {
                csv.WriteField("id");
                csv.WriteField("name");
                csv.WriteField("note");
                csv.NextRecord();
                for (var i = 0; i < rows.Count; i++)
                {
                    csv.WriteField($"C{i}");
                    csv.WriteField(rows[i].Item1);
                    csv.WriteField(rows[i].Item2);
                    csv.NextRecord();
                }
            }
            var read = Read(writer.ToString());
            return read.Count == rows.Count
                && read.All(m => m.IsValid)
                && read.Select(m => JsonNode.Parse(m.Payload)!["traits"]!).Select(t => ((string?)t["name"], (string?)t["note"]))
                    .SequenceEqual(rows.Select(r => ((string?)r.Item1.Trim(), (string?)r.Item2.Trim())))
                && read.Select(m => m.LineNumber).SequenceEqual(read.Select(m => m.LineNumber).Order().Distinct());
        });
    }

    /// <summary>
    /// Whatever the rows hold (quotes left open, stray quotes, too few or too many fields, values over several lines), what the
    /// mapping step shows of a file (<see cref="CsvFiles.ReadPreview"/>) is what the import stores, row for row: a quote left open
    /// once made the rest of the file one value in the step's "First values", while the import read the rows after it.
    /// </summary>
    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property ReadPreview_AnyRows_ShowsTheValuesTheImportStores()
    {
        var cell = Gen.Elements("a", "Zoë", "\"", "\"b\"", "\"open", "close\"", "x\"y", "\"two\nlines\"", "p,q", " ", "🚀")
            .ArrayOf().Select(parts => string.Concat(parts));
        var line = Gen.Zip(cell, cell).Select(c => $"{c.Item1},{c.Item2}");
        return Prop.ForAll(line.ListOf().Where(l => l.Count is > 0 and < 15).ToArbitrary(), lines =>
        {
            var text = "id,name,note\n" + string.Concat(lines.Select((l, i) => $"C{i},{l}\n"));
            var preview = CsvFiles.ReadPreview(new MemoryStream(Encoding.UTF8.GetBytes(text)), rows: int.MaxValue);
            var stored = Read(text).Where(m => m.IsValid).Select(m => JsonNode.Parse(m.Payload)!["traits"]!)
                .Select(t => ((string?)t["name"], (string?)t["note"]));
            static string? Kept(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim(); // as the import keeps a cell
            return preview.Rows.Select(r => (Kept(r[1]), Kept(r[2]))).SequenceEqual(stored)
                .Label($"preview {string.Join(" | ", preview.Rows.Select(r => string.Join(",", r)))}");
        });
    }
}
