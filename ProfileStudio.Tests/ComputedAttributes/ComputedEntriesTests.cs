using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>A profile's computed row: every definition's entry in one blob, read back exactly, and corrupt bytes refused clearly.</summary>
public sealed class ComputedEntriesTests
{
    private static readonly Gen<DateTime> Times = Gen.OneOf(
        Gen.Elements(DateTime.MinValue, DateTime.MaxValue, new DateTime(2026, 12, 7, 18, 0, 0, DateTimeKind.Utc)),
        Gen.Choose(0, int.MaxValue).Select(i => new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i).AddTicks(i % 10_000)))
        .Select(t => DateTime.SpecifyKind(t, DateTimeKind.Utc));

    private static readonly Gen<string?> Values = Gen.Elements<string?>(null, "0", "12.50", "\"books\"", "\"é ✓ 中文\"", "[\"a\",\"b\"]", "", "true");

    private static readonly Gen<byte[]> States = Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i));

    private static readonly Gen<List<ComputedEntry>> Rows =
        Gen.ListOf(
            from definition in Gen.Choose(1, int.MaxValue)
            from version in Gen.Choose(1, 1000)
            from state in States
            from value in Values
            from computedAt in Times
            from expiry in Gen.Frequency((1, Gen.Constant<DateTime?>(null)), (2, Times.Select(t => (DateTime?)t)))
            select new ComputedEntry(definition, version, state, value, computedAt, expiry))
        .Select(l => l.DistinctBy(e => e.DefinitionId).OrderBy(e => e.DefinitionId).ToList());

    private static string Text(ComputedEntry e) =>
        $"{e.DefinitionId}/{e.Version}/{Convert.ToHexString(e.State.Span)}/{e.ValueJson ?? "null"}/{e.ComputedAt.Ticks}/{e.ComputedAt.Kind}/{e.NextExpiryAt?.Ticks}";

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property Encode_ReadsBackToTheSameEntries_AndFindAndDefinitionsAgree() =>
        Prop.ForAll(Rows.ToArbitrary(), entries =>
        {
            var bytes = ComputedEntries.Encode(entries);
            var decoded = ComputedEntries.Decode(bytes);
            var same = decoded.Select(Text).SequenceEqual(entries.Select(Text));
            var found = entries.All(e => ComputedEntries.Find(bytes, e.DefinitionId) is { } f && Text(f) == Text(e));
            var listed = ComputedEntries.Definitions(bytes).SequenceEqual(entries.Select(e => (e.DefinitionId, e.Version)));
            return (same && found && listed && ComputedEntries.Find(bytes, 0) is null).Label($"{bytes.Length} bytes");
        });

    [Fact]
    public void NextExpiry_IsTheEarliestOfTheEntries()
    {
        var at = new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);
        List<ComputedEntry> entries =
        [
            new(1, 1, Array.Empty<byte>(), "1", at, null),
            new(2, 1, Array.Empty<byte>(), "2", at, at.AddDays(3)),
            new(3, 1, Array.Empty<byte>(), "3", at, at.AddHours(5)),
        ];

        Assert.Equal(at.AddHours(5), ComputedEntries.NextExpiry(entries));
        Assert.Null(ComputedEntries.NextExpiry(entries.Take(1).ToList()));
        Assert.Equal(at.AddHours(5), ComputedProfileState.Of(9, entries[2], entries[0], entries[1]).NextExpiryAt);
        Assert.Equal([1, 2, 3], ComputedProfileState.Of(9, entries[2], entries[0], entries[1]).Decode().Select(e => e.DefinitionId)); // in definition order
    }

    [Fact]
    public void EmptyBytes_AreNoEntries()
    {
        Assert.Empty(ComputedEntries.Decode([]));
        Assert.Null(ComputedEntries.Find([], 1));
    }

    [Fact]
    public void EveryTruncation_AndAnUnknownFormat_FailAsCorruptData_NotAsSomethingElse()
    {
        var at = new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);
        var bytes = ComputedEntries.Encode([new(4, 2, new byte[] { 1, 2, 3 }, "\"books\"", at, at.AddDays(1)), new(7, 1, new byte[] { 9 }, null, at, null)]);

        // Cut anywhere inside an entry: a clear error naming the row, never a wrong entry or an exception of another kind.
        var boundaries = new HashSet<int> { 1, ComputedEntries.Encode([ComputedEntries.Decode(bytes)[0]]).Length, bytes.Length };
        for (var length = 2; length < bytes.Length; length++)
        {
            if (boundaries.Contains(length))
            {
                continue;
            }
            var cut = bytes[..length];
            var error = Assert.Throws<InvalidDataException>(() => ComputedEntries.Decode(cut));
            Assert.Contains("computed attributes row", error.Message);
        }
        var unknown = (byte[])bytes.Clone();
        unknown[0] = 9;
        Assert.Contains("no known format", Assert.Throws<InvalidDataException>(() => ComputedEntries.Decode(unknown)).Message);
        // A length far beyond the bytes: refused, not allocated.
        Assert.Throws<InvalidDataException>(() => ComputedEntries.Decode([1, 4, 2, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]));
    }
}
