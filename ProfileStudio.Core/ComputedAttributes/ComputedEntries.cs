using System.Buffers;
using System.Text;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// One definition's part of a profile's computed row: the state (<see cref="AggregateState.Encode"/>'s bytes) of
/// <see cref="Version"/> of the definition, its value as JSON at <see cref="ComputedAt"/> (null: no value, e.g. no event in
/// the window), and when its oldest time bucket leaves the window. An entry of an older version (a profile the new
/// backfill has not reached) is read for its stored value only; its state is never combined with the current version's.
/// </summary>
public sealed record ComputedEntry(int DefinitionId, int Version, ReadOnlyMemory<byte> State, string? ValueJson, DateTime ComputedAt, DateTime? NextExpiryAt);

/// <summary>
/// The bytes of <see cref="ComputedProfileState.Entries"/>: a format byte, then each entry in turn: definition id, version,
/// computed-at (ticks, as the difference from the entry before's: entries written together cost a byte), next expiry (ticks after
/// computed-at + 1; 0 for none), value (UTF-8 length + 1, 0 for none, then its bytes), state (length, then its bytes), numbers as
/// varints (differences zigzag). Decoded states are slices of the row's bytes, not copies.
/// </summary>
public static class ComputedEntries
{
    private const byte Format1 = 1;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    public static byte[] Encode(IReadOnlyList<ComputedEntry> entries)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Write(buffer, Format1);
        var previous = 0L;
        foreach (var e in entries)
        {
            Unsigned(buffer, (ulong)e.DefinitionId);
            Unsigned(buffer, (ulong)e.Version);
            Unsigned(buffer, Zigzag(e.ComputedAt.Ticks - previous));
            previous = e.ComputedAt.Ticks;
            Unsigned(buffer, e.NextExpiryAt is { } expiry ? Zigzag(expiry.Ticks - previous) + 1 : 0);
            if (e.ValueJson is null)
            {
                Unsigned(buffer, 0);
            }
            else
            {
                var length = Encoding.UTF8.GetByteCount(e.ValueJson);
                Unsigned(buffer, (ulong)length + 1);
                Encoding.UTF8.GetBytes(e.ValueJson, buffer.GetSpan(length));
                buffer.Advance(length);
            }
            Unsigned(buffer, (ulong)e.State.Length);
            e.State.Span.CopyTo(buffer.GetSpan(e.State.Length));
            buffer.Advance(e.State.Length);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The entries of a stored row (empty bytes: none); corrupt bytes throw <see cref="InvalidDataException"/>.</summary>
    public static List<ComputedEntry> Decode(byte[] bytes)
    {
        var list = new List<ComputedEntry>();
        var r = new Reader(bytes);
        while (r.Next() is { } header)
        {
            var value = r.Value();
            list.Add(new(header.Definition, header.Version, r.State(), value, header.ComputedAt, header.NextExpiryAt));
        }
        return list;
    }

    /// <summary>Each entry's definition and version, without reading values or states.</summary>
    public static IEnumerable<(int Definition, int Version)> Definitions(byte[] bytes)
    {
        var r = new Reader(bytes);
        while (r.Next() is { } header)
        {
            r.SkipRest();
            yield return (header.Definition, header.Version);
        }
    }

    /// <summary>The entry of a definition, or null.</summary>
    public static ComputedEntry? Find(byte[] bytes, int definitionId)
    {
        var r = new Reader(bytes);
        while (r.Next() is { } header)
        {
            if (header.Definition == definitionId)
            {
                var value = r.Value();
                return new(header.Definition, header.Version, r.State(), value, header.ComputedAt, header.NextExpiryAt);
            }
            r.SkipRest();
        }
        return null;
    }

    /// <summary>The earliest next expiry of the entries (the row's indexed column).</summary>
    public static DateTime? NextExpiry(IReadOnlyList<ComputedEntry> entries)
    {
        DateTime? earliest = null;
        foreach (var e in entries)
        {
            if (e.NextExpiryAt is { } at && (earliest is null || at < earliest))
            {
                earliest = at;
            }
        }
        return earliest;
    }

    private static ulong Zigzag(long value) => Varint.Zigzag(value);

    private static void Write(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void Unsigned(ArrayBufferWriter<byte> buffer, ulong value) => Varint.Write(buffer, value);

    private readonly record struct Header(int Definition, int Version, DateTime ComputedAt, DateTime? NextExpiryAt);

    private struct Reader
    {
        private readonly byte[] _bytes;
        private int _at;
        private long _previous;

        public Reader(byte[] bytes)
        {
            _bytes = bytes;
            if (bytes.Length > 0)
            {
                _at = 1;
                if (bytes[0] != Format1)
                {
                    throw new InvalidDataException($"A stored computed attributes row starts with byte {bytes[0]}, which is no known format.");
                }
            }
        }

        public Header? Next()
        {
            if (_at >= _bytes.Length)
            {
                return null;
            }
            var definition = Int();
            var version = Int();
            var computedAt = Time(_previous, Signed());
            _previous = computedAt.Ticks;
            var expiry = Unsigned();
            return new(definition, version, computedAt, expiry == 0 ? null : Time(_previous, Unzigzag(expiry - 1)));
        }

        public string? Value()
        {
            var length = Unsigned();
            if (length == 0)
            {
                return null;
            }
            var n = Length(length - 1);
            var text = Encoding.UTF8.GetString(_bytes, _at, n);
            _at += n;
            return text;
        }

        public ReadOnlyMemory<byte> State()
        {
            var n = Length(Unsigned());
            var state = new ReadOnlyMemory<byte>(_bytes, _at, n);
            _at += n;
            return state;
        }

        /// <summary>Skips an entry's value and state.</summary>
        public void SkipRest()
        {
            // (Lengths are read before _at is added to: `_at += Length(Unsigned())` would add to _at as it was before the read.)
            var value = Unsigned();
            var skip = value == 0 ? 0 : Length(value - 1);
            _at += skip;
            var state = Length(Unsigned());
            _at += state;
        }

        private int Length(ulong n) => n <= (ulong)(_bytes.Length - _at) ? (int)n : throw Corrupt("is cut short");

        private int Int()
        {
            var v = Unsigned();
            return v <= int.MaxValue ? (int)v : throw Corrupt("holds an id out of range");
        }

        /// <summary><paramref name="from"/> plus <paramref name="step"/> ticks, which must be a time.</summary>
        private static DateTime Time(long from, long step) =>
            step >= -from && step <= DateTime.MaxValue.Ticks - from ? new DateTime(from + step, DateTimeKind.Utc) : throw Corrupt("holds a time out of range");

        private long Signed() => Unzigzag(Unsigned());

        private static long Unzigzag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

        private ulong Unsigned()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _bytes.Length)
                {
                    throw Corrupt("is cut short");
                }
                var b = _bytes[_at++];
                if (shift == 63 && b > 1)
                {
                    throw Corrupt("holds a number longer than 64 bits");
                }
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
            throw Corrupt("holds a number longer than 64 bits");
        }

        private static InvalidDataException Corrupt(string what) => new($"A stored computed attributes row {what}.");
    }
}
