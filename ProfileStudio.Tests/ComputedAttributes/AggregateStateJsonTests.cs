using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>
/// A state's JSON (its readable form, and how states were stored before they were bytes) is written by hand: the text must be
/// the generated serializer's, byte for byte, and read back to the same state. The stored bytes must read back to the same
/// state, exactly, whatever it holds; states stored as JSON must still read; corrupt bytes must fail with a clear error.
/// </summary>
public sealed class AggregateStateJsonTests
{
    private static readonly Gen<string> Texts = Gen.Elements(
        "\"shoes\"", "12", "-3.5", "true", "null", "[1,2]", "{\"a\":1}", "\"<script>alert('x')</script>\"", "\"Zoë & co\"",
        "\"日本語\"", "\"a\\\"quote\"", "\"\\u0000\"", "\"emoji 😀\"", "\"' OR 1=1 --\"", "\"/path/with/slash\"", "\"\"");

    private static readonly Gen<decimal> Decimals = Gen.OneOf(
        Gen.Elements(0m, 1m, -1m, 0.1m, 2.50m, 100.10m, decimal.MaxValue, decimal.MinValue, 1e-28m, 79228162514264337593543950.335m),
        Gen.Choose(-1_000_000, 1_000_000).Select(i => i / 100m));

    private static readonly Gen<Pick?> Picks = Gen.Frequency(
        (1, Gen.Constant<Pick?>(null)),
        (2, from at in Gen.Choose(0, int.MaxValue) from m in Gen.Choose(0, int.MaxValue) from v in Texts select (Pick?)new Pick(at * 1000L, m, v)));

    private static readonly Gen<BucketState> Buckets =
        from count in Gen.Choose(0, 1000)
        from numbers in Gen.Choose(0, 1000)
        from sum in Decimals
        from min in Gen.Frequency((1, Gen.Constant<decimal?>(null)), (2, Decimals.Select(d => (decimal?)d)))
        from max in Gen.Frequency((1, Gen.Constant<decimal?>(null)), (2, Decimals.Select(d => (decimal?)d)))
        from values in Gen.Frequency((1, Gen.Constant<Dictionary<string, long>?>(null)),
            (2, Gen.ListOf(Gen.Zip(Texts, Gen.Choose(1, 50))).Select(l => (Dictionary<string, long>?)l.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => (long)p.Item2))))
        from overflow in Gen.Elements(false, true)
        from first in Picks
        from last in Picks
        select new BucketState { Count = count, Numbers = numbers, Sum = sum, Min = min, Max = max, Values = values, Overflow = overflow, First = first, Last = last };

    private static readonly Gen<AggregateState> States =
        Gen.ListOf(Gen.Zip(Gen.OneOf(Gen.Constant(0L), Gen.Choose(-5, 5).Select(i => i * TimeSpan.TicksPerDay), Gen.Choose(0, int.MaxValue).Select(i => i * 1_000_000_000L)), Buckets))
            .Select(l => new AggregateState { Buckets = new SortedList<long, BucketState>(l.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2)) });

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property ToJson_IsTheGeneratedSerializersText_AndReadsBack() =>
        Prop.ForAll(States.ToArbitrary(), state =>
        {
            var json = state.ToJson();
            Assert.Equal(state.ToJsonBySerializer(), json);
            Assert.Equal(json, AggregateState.FromJson(json).ToJson());
        });

    /// <summary>Any decimal: every sign, scale (0–28) and 96-bit magnitude, negative zeros included.</summary>
    private static readonly Gen<decimal> AnyDecimal =
        from lo in ArbMap.Default.GeneratorFor<int>()
        from mid in Gen.Frequency((2, Gen.Constant(0)), (1, ArbMap.Default.GeneratorFor<int>()))
        from hi in Gen.Frequency((3, Gen.Constant(0)), (1, ArbMap.Default.GeneratorFor<int>()))
        from negative in ArbMap.Default.GeneratorFor<bool>()
        from scale in Gen.Choose(0, 28)
        select new decimal(lo, mid, hi, negative, (byte)scale);

    [FsCheck.Xunit.Property(MaxTest = 2000)]
    public Property Number_IsTheCustomFormatsText_WithoutTrailingZeros() =>
        Prop.ForAll(Gen.OneOf(AnyDecimal, Decimals).ToArbitrary(), value =>
            Assert.Equal(value.ToString("0.############################", System.Globalization.CultureInfo.InvariantCulture), EventProperties.Number(value)));

    [Fact]
    public void ToJson_OfAnEmptyState_IsAnEmptyBucketObject() => Assert.Equal("{\"b\":{}}", new AggregateState().ToJson());

    [Fact]
    public void FromJson_OfAStateStoredWithIsEmpty_ReadsItsBuckets()
    {
        // Written by earlier builds, whose serializer also stored the IsEmpty property.
        var state = AggregateState.FromJson("{\"b\":{\"0\":{\"n\":2,\"k\":2,\"s\":12.5}},\"IsEmpty\":false}");
        Assert.Equal(12.5m, state.Buckets[0].Sum);
        Assert.Equal("{\"b\":{\"0\":{\"n\":2,\"k\":2,\"s\":12.5}}}", state.ToJson());
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property Encode_ReadsBackToTheSameState() =>
        Prop.ForAll(States.ToArbitrary(), state =>
        {
            var decoded = AggregateState.Decode(state.Encode());
            Assert.Equal(state.ToJson(), decoded.ToJson());
            // Decimals exactly (the JSON shows "2.50" and "2.5" alike only if the writer drops the scale): sign, scale and magnitude.
            Assert.Equal(state.Buckets.Values.Select(b => Bits(b.Sum, b.Min, b.Max)), decoded.Buckets.Values.Select(b => Bits(b.Sum, b.Min, b.Max)));
        });

    [FsCheck.Xunit.Property(MaxTest = 2000)]
    public Property Encode_KeepsAnyDecimalExactly() =>
        Prop.ForAll(AnyDecimal.ToArbitrary(), value =>
        {
            var state = new AggregateState { Buckets = { [0] = new BucketState { Sum = value, Min = value, Max = -value } } };
            var bucket = AggregateState.Decode(state.Encode()).Buckets[0];
            Assert.Equal(Bits(value, value, -value), Bits(bucket.Sum, bucket.Min, bucket.Max));
        });

    private static string Bits(decimal sum, decimal? min, decimal? max) =>
        string.Join("/", new[] { (decimal?)sum, min, max }.Select(d => d is { } v ? string.Join(",", decimal.GetBits(v)) : "-"));

    [Fact]
    public void Encode_IsSmallerThanTheJson_OfATypicalState()
    {
        var state = new AggregateState();
        for (var day = 0; day < 7; day++)
        {
            state.Buckets[day * TimeSpan.TicksPerDay] = new BucketState
            {
                Count = 3, Numbers = 3, Sum = 59.97m, Values = new() { ["\"shoes\""] = 2, ["\"hats\""] = 1 },
            };
        }
        Assert.True(state.Encode().Length * 2 < System.Text.Encoding.UTF8.GetByteCount(state.ToJson()),
            $"{state.Encode().Length} bytes against {state.ToJson().Length} of JSON");
    }

    [Fact]
    public void Decode_OfNoBytes_IsAnEmptyState() => Assert.True(AggregateState.Decode([]).IsEmpty);

    [Fact]
    public void Decode_OfCorruptBytes_FailsWithAClearError_WithoutAllocatingWhatALengthClaims()
    {
        var state = new AggregateState { Buckets = { [0] = new BucketState { Count = 1, Values = new() { ["\"x\""] = 1 } } } };
        var bytes = state.Encode().ToArray();
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var e = Assert.Throws<InvalidDataException>(() => AggregateState.Decode(bytes.AsSpan(0, cut)));
            Assert.Contains("computed attribute state", e.Message);
        }
        Assert.Contains("no known format", Assert.Throws<InvalidDataException>(() => AggregateState.Decode([9, 0])).Message);
        // Version 1, then a bucket count of 2^62: a count the bytes cannot hold.
        Assert.Throws<InvalidDataException>(() => AggregateState.Decode([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]));
        Assert.Contains("after its last bucket", Assert.Throws<InvalidDataException>(() => AggregateState.Decode([.. bytes, 0])).Message);
        // Two buckets with the same key (a difference of 0): out of order, not a duplicate key of the sorted list.
        var two = new AggregateState { Buckets = { [0] = new BucketState { Count = 1 }, [5] = new BucketState { Count = 1 } } }.Encode().ToArray();
        var second = Array.IndexOf(two, (byte)10); // the zigzag varint of the difference 5
        two[second] = 0;
        Assert.Contains("out of order", Assert.Throws<InvalidDataException>(() => AggregateState.Decode(two)).Message);
    }
}
