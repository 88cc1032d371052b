using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The mergeable state of one computed attribute for one profile: one <see cref="BucketState"/> per
/// time bucket (<see cref="ComputedWindows"/>; a single bucket 0 for all time). Two states of the same
/// definition combine with <see cref="ComputedAggregator.Merge"/>, whatever the order their events came
/// in: that is what lets merges combine profiles and live runs add to a backfilled state.
/// </summary>
public sealed class AggregateState
{
    /// <summary>
    /// By bucket start, ascending. A sorted list, not a sorted dictionary: every write walks the buckets several times (prune,
    /// value, expiry, encoding), which a sorted dictionary's enumerator paid for with an allocation each time. Most states hold
    /// a few buckets; a long window can hold thousands (3,660 days, 87,840 hours), so buckets are added in time order (live
    /// inputs, timelines), long states merged in one pass, and many expired buckets dropped in one copy.
    /// </summary>
    [JsonPropertyName("b")]
    public SortedList<long, BucketState> Buckets { get; set; } = new();

    /// <summary>No bucket (not stored: states written before it was ignored still carry it, and reading skips it).</summary>
    [JsonIgnore]
    public bool IsEmpty => Buckets.Count == 0;

    /// <summary>
    /// The state as JSON, written by hand: the same bytes as the generated serializer (<see cref="ToJsonBySerializer"/>, which a
    /// property test compares it with). States were stored so until they were stored as <see cref="Encode"/>'s bytes; it is their
    /// readable form now (tests compare states by it).
    /// </summary>
    public string ToJson()
    {
        var writer = ReusedJsonWriter.Start();
        writer.WriteStartObject();
        writer.WriteStartObject("b"u8);
        Span<byte> key = stackalloc byte[20];
        for (var i = 0; i < Buckets.Count; i++)
        {
            var (at, bucket) = (Buckets.GetKeyAtIndex(i), Buckets.GetValueAtIndex(i));
            at.TryFormat(key, out var length, default, CultureInfo.InvariantCulture);
            writer.WriteStartObject(key[..length]);
            writer.WriteNumber("n"u8, bucket.Count);
            writer.WriteNumber("k"u8, bucket.Numbers);
            writer.WriteNumber("s"u8, bucket.Sum);
            if (bucket.Min is { } min)
            {
                writer.WriteNumber("lo"u8, min);
            }
            if (bucket.Max is { } max)
            {
                writer.WriteNumber("hi"u8, max);
            }
            if (bucket.Values is { } values)
            {
                writer.WriteStartObject("v"u8);
                foreach (var (value, count) in values)
                {
                    writer.WriteNumber(value, count);
                }
                writer.WriteEndObject();
            }
            if (bucket.Overflow)
            {
                writer.WriteBoolean("o"u8, true);
            }
            WritePick(writer, "f"u8, bucket.First);
            WritePick(writer, "l"u8, bucket.Last);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
        return ReusedJsonWriter.Finish();
    }

    private static void WritePick(Utf8JsonWriter writer, ReadOnlySpan<byte> name, Pick? pick)
    {
        if (pick is null)
        {
            return;
        }
        writer.WriteStartObject(name);
        writer.WriteNumber("t"u8, pick.At);
        writer.WriteNumber("m"u8, pick.MessageId);
        writer.WriteString("v"u8, pick.ValueJson);
        writer.WriteEndObject();
    }

    /// <summary>The generated serializer's JSON for this state: what <see cref="ToJson"/> must equal.</summary>
    public string ToJsonBySerializer() => JsonSerializer.Serialize(this, AggregateStateJson.Default.AggregateState);

    public static AggregateState FromJson(string json) =>
        string.IsNullOrEmpty(json) ? new() : JsonSerializer.Deserialize(json, AggregateStateJson.Default.AggregateState) ?? new();

    /// <summary>
    /// The stored form: <see cref="AggregateStateCodec"/>'s bytes, in a buffer reused per thread and valid until the thread's next
    /// encoding (SQLite copies a bound value). Decoding and encoding JSON states was a fifth of the live writer's time.
    /// </summary>
    public ReadOnlySpan<byte> Encode() => AggregateStateCodec.Encode(this);

    /// <summary>
    /// A stored state: <see cref="Encode"/>'s bytes; empty is an empty state. (States stored as JSON text by earlier builds went with
    /// the per-definition rows: the migration to one row per profile computes every state again.)
    /// </summary>
    public static AggregateState Decode(ReadOnlySpan<byte> stored) => stored.IsEmpty ? new() : AggregateStateCodec.Decode(stored);
}

/// <summary>
/// The binary form of a stored <see cref="AggregateState"/>: a version byte, then the buckets in key order, each key as the
/// difference from the previous one, integers as (zigzag) varints, decimals as their sign, scale and 96-bit magnitude (exact,
/// trailing zeros kept), texts as UTF-8 with their length. A third of the JSON's size on average, and read without a parser.
/// </summary>
internal static class AggregateStateCodec
{
    private const byte Version1 = 1;

    [Flags]
    private enum Has : byte { Min = 1, Max = 2, Values = 4, Overflow = 8, First = 16, Last = 32 }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    public static ReadOnlySpan<byte> Encode(AggregateState state)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = new Writer(buffer);
        w.Byte(Version1);
        w.Unsigned((ulong)state.Buckets.Count);
        var previous = 0L;
        for (var i = 0; i < state.Buckets.Count; i++)
        {
            var (at, b) = (state.Buckets.GetKeyAtIndex(i), state.Buckets.GetValueAtIndex(i));
            w.Signed(at - previous);
            previous = at;
            var has = (b.Min is null ? 0 : Has.Min) | (b.Max is null ? 0 : Has.Max) | (b.Values is null ? 0 : Has.Values)
                | (b.Overflow ? Has.Overflow : 0) | (b.First is null ? 0 : Has.First) | (b.Last is null ? 0 : Has.Last);
            w.Byte((byte)has);
            w.Signed(b.Count);
            w.Signed(b.Numbers);
            w.Decimal(b.Sum);
            if (b.Min is { } min)
            {
                w.Decimal(min);
            }
            if (b.Max is { } max)
            {
                w.Decimal(max);
            }
            if (b.Values is { } values)
            {
                w.Unsigned((ulong)values.Count);
                foreach (var (value, count) in values)
                {
                    w.Text(value);
                    w.Signed(count);
                }
            }
            w.Pick(b.First);
            w.Pick(b.Last);
        }
        return buffer.WrittenSpan;
    }

    public static AggregateState Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes);
        if (r.Byte() != Version1)
        {
            throw new InvalidDataException($"A stored computed attribute state starts with byte {bytes[0]}, which is no known format.");
        }
        var count = r.Length();
        var state = new AggregateState { Buckets = new SortedList<long, BucketState>(count) };
        var at = 0L;
        for (var i = 0; i < count; i++)
        {
            var step = r.Signed();
            if (i > 0 && step <= 0)
            {
                throw new InvalidDataException("A stored computed attribute state has its buckets out of order.");
            }
            at += step;
            var has = (Has)r.Byte();
            var b = new BucketState { Count = r.Signed(), Numbers = r.Signed(), Sum = r.Decimal() };
            b.Min = has.HasFlag(Has.Min) ? r.Decimal() : null;
            b.Max = has.HasFlag(Has.Max) ? r.Decimal() : null;
            if (has.HasFlag(Has.Values))
            {
                var n = r.Length();
                b.Values = new Dictionary<string, long>(n, StringComparer.Ordinal);
                for (var v = 0; v < n; v++)
                {
                    b.Values[r.Text()] = r.Signed();
                }
            }
            b.Overflow = has.HasFlag(Has.Overflow);
            b.First = has.HasFlag(Has.First) ? r.Pick() : null;
            b.Last = has.HasFlag(Has.Last) ? r.Pick() : null;
            // Keys come in ascending order: appending keeps the sorted list's insert at its end.
            state.Buckets.Add(at, b);
        }
        if (!r.AtEnd)
        {
            throw new InvalidDataException("A stored computed attribute state has bytes after its last bucket.");
        }
        return state;
    }

    private readonly ref struct Writer(ArrayBufferWriter<byte> buffer)
    {
        public void Byte(byte value)
        {
            buffer.GetSpan(1)[0] = value;
            buffer.Advance(1);
        }

        public void Unsigned(ulong value) => Varint.Write(buffer, value);

        public void Signed(long value) => Unsigned(Varint.Zigzag(value));

        public void Decimal(decimal value)
        {
            Span<int> bits = stackalloc int[4];
            decimal.GetBits(value, bits);
            // flags: scale in bits 16–23, sign in bit 31; a byte holds both (scale ≤ 28).
            Byte((byte)(((bits[3] >> 16) & 0x7F) | ((bits[3] >>> 31) << 7)));
            Unsigned((uint)bits[0] | ((ulong)(uint)bits[1] << 32));
            Unsigned((uint)bits[2]);
        }

        public void Text(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            Unsigned((ulong)length);
            Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
            buffer.Advance(length);
        }

        public void Pick(Pick? pick)
        {
            if (pick is not null)
            {
                Signed(pick.At);
                Signed(pick.MessageId);
                Text(pick.ValueJson);
            }
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public readonly bool AtEnd => _at == _bytes.Length;

        public byte Byte() => _at < _bytes.Length ? _bytes[_at++] : throw Truncated();

        public ulong Unsigned()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
            throw new InvalidDataException("A stored computed attribute state holds a number longer than 64 bits.");
        }

        public long Signed()
        {
            var v = Unsigned();
            return (long)(v >> 1) ^ -(long)(v & 1);
        }

        /// <summary>A count or length: one that cannot be in the remaining bytes is corrupt data, not an allocation to try.</summary>
        public int Length()
        {
            var n = Unsigned();
            return n <= (ulong)(_bytes.Length - _at) ? (int)n : throw Truncated();
        }

        public decimal Decimal()
        {
            var flags = Byte();
            var low = Unsigned();
            var high = Unsigned();
            if ((flags & 0x7F) > 28 || high > uint.MaxValue)
            {
                throw new InvalidDataException("A stored computed attribute state holds a decimal out of range.");
            }
            return new decimal((int)(uint)low, (int)(uint)(low >> 32), (int)(uint)high, (flags & 0x80) != 0, (byte)(flags & 0x7F));
        }

        public string Text()
        {
            var length = Length();
            var text = Encoding.UTF8.GetString(_bytes.Slice(_at, length));
            _at += length;
            return text;
        }

        public Pick Pick() => new(Signed(), Signed(), Text());

        private static InvalidDataException Truncated() => new("A stored computed attribute state is cut short.");
    }
}

/// <summary>
/// What one bucket holds; only the parts the function needs are filled. Distinct values are bounded
/// (see <see cref="ComputedAggregator.DistinctLimit"/>): the values with the smallest hashes are kept
/// with their exact counts, and <see cref="Overflow"/> says some were left out.
/// </summary>
public sealed class BucketState
{
    /// <summary>Matching events.</summary>
    [JsonPropertyName("n")]
    public long Count { get; set; }

    /// <summary>Events with a usable number (sum, avg).</summary>
    [JsonPropertyName("k")]
    public long Numbers { get; set; }

    [JsonPropertyName("s")]
    public decimal Sum { get; set; }

    [JsonPropertyName("lo")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Min { get; set; }

    [JsonPropertyName("hi")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Max { get; set; }

    /// <summary>Value key (<see cref="EventProperties.Key"/>) → events with it.</summary>
    [JsonPropertyName("v")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, long>? Values { get; set; }

    [JsonPropertyName("o")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Overflow { get; set; }

    [JsonPropertyName("f")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Pick? First { get; set; }

    [JsonPropertyName("l")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Pick? Last { get; set; }
}

/// <summary>A value with the event it came from, ordered by event time then message id (first / last).</summary>
public sealed record Pick(
    [property: JsonPropertyName("t")] long At,
    [property: JsonPropertyName("m")] long MessageId,
    [property: JsonPropertyName("v")] string ValueJson)
{
    public bool Before(Pick other) => At < other.At || (At == other.At && MessageId < other.MessageId);
}

[JsonSerializable(typeof(AggregateState))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal sealed partial class AggregateStateJson : JsonSerializerContext;

/// <summary>Unsigned LEB128 varints (7 bits a byte, low first) and zigzag for signed values, as the stored computed bytes use them.</summary>
internal static class Varint
{
    public static void Write(ArrayBufferWriter<byte> buffer, ulong value)
    {
        var span = buffer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        buffer.Advance(n);
    }

    public static ulong Zigzag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
