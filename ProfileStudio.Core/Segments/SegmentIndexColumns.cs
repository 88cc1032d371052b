using System.Text.Json;

namespace ProfileStudio.Core.Segments;

/// <summary>What a stored JSON value is, as a segment test reads it (strict types, see <see cref="SegmentValues"/>).</summary>
internal enum IndexedKind : byte
{
    /// <summary>No value (absent, or JSON null).</summary>
    Absent = 0,

    /// <summary>A JSON string: the payload is its code in the column's <see cref="StringPool"/>.</summary>
    Text = 1,

    /// <summary>A JSON number: the payload is the double's bits.</summary>
    Number = 2,
    True = 3,
    False = 4,

    /// <summary>An object or an array (or a number no double holds): present, but no typed test passes.</summary>
    Other = 5,
}

/// <summary>Distinct strings of one column as dense codes, with each string's instant when it is a date (dictionary coding).</summary>
internal sealed class StringPool
{
    /// <summary>The date of a string that is not one.</summary>
    public const long NotADate = long.MinValue;

    private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
    private readonly bool _dates;

    public StringPool(bool dates) => _dates = dates;

    public List<string> Values { get; } = [];

    /// <summary>Milliseconds since the epoch per code (<see cref="NotADate"/> when not a date); empty unless dates are kept.</summary>
    public List<long> DateMs { get; } = [];

    public int Count => Values.Count;

    public int Intern(string value)
    {
        if (_codes.TryGetValue(value, out var code))
        {
            return code;
        }
        code = Values.Count;
        _codes[value] = code;
        Values.Add(value);
        if (_dates)
        {
            DateMs.Add(SegmentValues.TryParseDateMs(value, out var ms) ? ms : NotADate);
        }
        return code;
    }

    public int CodeOf(string value) => _codes.TryGetValue(value, out var code) ? code : -1;

    public long ApproximateBytes => Values.Sum(v => 24L + 2L * v.Length) + Values.Count * 24L + DateMs.Count * 8L;
}

/// <summary>Typed values by slot (a profile ordinal for attributes, a properties code for event properties): a kind byte and 8 bytes.</summary>
internal sealed class ValueColumn
{
    private byte[] _kinds;
    private long[] _payloads;

    public ValueColumn(int capacity)
    {
        _kinds = new byte[Math.Max(capacity, 16)];
        _payloads = new long[_kinds.Length];
    }

    public StringPool Strings { get; } = new(dates: true);

    /// <summary>Slots below this have been written (the rest read as absent).</summary>
    public int Length { get; private set; }

    public IndexedKind Kind(int slot) => slot < Length ? (IndexedKind)_kinds[slot] : IndexedKind.Absent;

    public long Payload(int slot) => _payloads[slot];

    public double NumberAt(int slot) => BitConverter.Int64BitsToDouble(_payloads[slot]);

    public void Set(int slot, JsonElement? value)
    {
        var (kind, payload) = value is { } v ? Encode(v) : (IndexedKind.Absent, 0L);
        if (kind == IndexedKind.Absent && slot >= Length)
        {
            return;
        }
        Grow(slot + 1);
        _kinds[slot] = (byte)kind;
        _payloads[slot] = payload;
        Length = Math.Max(Length, slot + 1);
    }

    public void Clear(int slot)
    {
        if (slot < Length)
        {
            _kinds[slot] = (byte)IndexedKind.Absent;
            _payloads[slot] = 0;
        }
    }

    private (IndexedKind, long) Encode(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => (IndexedKind.Text, Strings.Intern(value.GetString()!)),
        JsonValueKind.Number => value.TryGetDouble(out var d) ? (IndexedKind.Number, BitConverter.DoubleToInt64Bits(d)) : (IndexedKind.Other, 0L),
        JsonValueKind.True => (IndexedKind.True, 0L),
        JsonValueKind.False => (IndexedKind.False, 0L),
        JsonValueKind.Object or JsonValueKind.Array => (IndexedKind.Other, 0L),
        _ => (IndexedKind.Absent, 0L),
    };

    private void Grow(int needed)
    {
        if (needed <= _kinds.Length)
        {
            return;
        }
        var size = Math.Max(needed, _kinds.Length * 2);
        Array.Resize(ref _kinds, size);
        Array.Resize(ref _payloads, size);
    }

    /// <summary>The value of a slot back as text, for comparing two indexes (tests).</summary>
    public string Describe(int slot) => Kind(slot) switch
    {
        IndexedKind.Absent => "",
        IndexedKind.Text => "s:" + Strings.Values[(int)_payloads[slot]],
        IndexedKind.Number => "n:" + NumberAt(slot).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        var k => k.ToString(),
    };

    public long ApproximateBytes => _kinds.Length * 9L + Strings.ApproximateBytes;
}

/// <summary>A growable bit per profile ordinal.</summary>
internal sealed class Bitset
{
    private ulong[] _words = new ulong[16];

    public bool Get(int i) => (i >> 6) < _words.Length && (_words[i >> 6] & (1UL << i)) != 0;

    public void Set(int i, bool value)
    {
        if ((i >> 6) >= _words.Length)
        {
            if (!value)
            {
                return;
            }
            Array.Resize(ref _words, Math.Max((i >> 6) + 1, _words.Length * 2));
        }
        if (value)
        {
            _words[i >> 6] |= 1UL << i;
        }
        else
        {
            _words[i >> 6] &= ~(1UL << i);
        }
    }

    public long ApproximateBytes => _words.Length * 8L;
}

/// <summary>
/// One event name's events in a CSR layout: per profile ordinal a slice (start, length) of one array of event
/// times (ticks, ascending within the slice) and one of properties codes (the distinct properties texts of the
/// name, dictionary coded). A reloaded profile's new slice is appended at the end; the old one becomes garbage
/// until <see cref="Compact"/>. Referenced properties are extracted from the distinct texts on first use.
/// </summary>
internal sealed class EventColumn
{
    private int[] _start = new int[16];
    private int[] _length = new int[16];
    private long[] _ticks = new long[64];
    private int[] _codes = new int[64];
    private readonly Dictionary<string, ValueColumn> _properties = new(StringComparer.Ordinal);
    private readonly Lock _extracting = new();

    public StringPool PropertyTexts { get; } = new(dates: false);

    /// <summary>Used entries of the time / code arrays (live slices and garbage).</summary>
    public int Used { get; private set; }

    public long Garbage { get; private set; }

    public long[] Ticks => _ticks;

    public int[] Codes => _codes;

    public int Start(int ordinal) => ordinal < _start.Length ? _start[ordinal] : 0;

    public int Length(int ordinal) => ordinal < _length.Length ? _length[ordinal] : 0;

    /// <summary>Replaces a profile's events of this name (any order in; sorted by time, stable, in the slice).</summary>
    public void Replace(int ordinal, List<(long Ticks, string Properties)> events)
    {
        GrowProfiles(ordinal + 1);
        Garbage += _length[ordinal];
        _length[ordinal] = 0;
        if (events.Count == 0)
        {
            return;
        }
        var sorted = events.Count == 1 ? events : events.OrderBy(e => e.Ticks).ToList();
        GrowEvents(Used + sorted.Count);
        _start[ordinal] = Used;
        foreach (var (ticks, properties) in sorted)
        {
            _ticks[Used] = ticks;
            _codes[Used] = PropertyTexts.Intern(properties);
            Used++;
        }
        _length[ordinal] = sorted.Count;
    }

    /// <summary>Bulk build: every profile's events at once, <paramref name="ordinals"/> any order, slices in ordinal order.</summary>
    public void Build(int profiles, List<int> ordinals, List<long> ticks, List<int> codes)
    {
        GrowProfiles(profiles);
        var counts = new int[profiles + 1];
        foreach (var o in ordinals)
        {
            counts[o + 1]++;
        }
        for (var i = 0; i < profiles; i++)
        {
            _start[i] = counts[i] + (i == 0 ? 0 : _start[i - 1]);
            _length[i] = 0;
        }
        _ticks = new long[Math.Max(64, ordinals.Count)];
        _codes = new int[_ticks.Length];
        for (var k = 0; k < ordinals.Count; k++)
        {
            var o = ordinals[k];
            var at = _start[o] + _length[o]++;
            _ticks[at] = ticks[k];
            _codes[at] = codes[k];
        }
        Used = ordinals.Count;
        Garbage = 0;
        for (var i = 0; i < profiles; i++)
        {
            SortSlice(_start[i], _length[i]);
        }
    }

    /// <summary>Interns a properties text (bulk build).</summary>
    public int Code(string properties) => PropertyTexts.Intern(properties);

    // Insertion sort, stable: slices are short and usually sorted already.
    private void SortSlice(int start, int length)
    {
        for (var i = start + 1; i < start + length; i++)
        {
            var (t, c) = (_ticks[i], _codes[i]);
            var j = i - 1;
            while (j >= start && _ticks[j] > t)
            {
                _ticks[j + 1] = _ticks[j];
                _codes[j + 1] = _codes[j];
                j--;
            }
            _ticks[j + 1] = t;
            _codes[j + 1] = c;
        }
    }

    /// <summary>Drops the garbage of reloaded slices (slices rewritten in ordinal order).</summary>
    public void Compact(int profiles)
    {
        var live = Used - Garbage;
        var ticks = new long[Math.Max(64, live + live / 4)];
        var codes = new int[ticks.Length];
        var at = 0;
        for (var o = 0; o < Math.Min(profiles, _start.Length); o++)
        {
            Array.Copy(_ticks, _start[o], ticks, at, _length[o]);
            Array.Copy(_codes, _start[o], codes, at, _length[o]);
            _start[o] = at;
            at += _length[o];
        }
        (_ticks, _codes, Used, Garbage) = (ticks, codes, at, 0);
    }

    /// <summary>
    /// A property of every distinct properties text, as typed values by code: extracted on first use and extended
    /// as new texts arrive. Safe to call from concurrent readers (the index's writer is excluded by its lock).
    /// </summary>
    public ValueColumn Property(string path)
    {
        lock (_extracting)
        {
            if (!_properties.TryGetValue(path, out var column))
            {
                _properties[path] = column = new ValueColumn(PropertyTexts.Count);
            }
            // Length tracks written slots only (absent values are skipped), so the extracted count is kept apart.
            for (var code = ExtractedCount(path); code < PropertyTexts.Count; code++)
            {
                column.Set(code, SegmentValues.At(SegmentProfileFacts.Properties(PropertyTexts.Values[code]), path));
            }
            _extracted[path] = PropertyTexts.Count;
            return column;
        }
    }

    /// <summary>
    /// For one event condition at "now", per properties code: whether every property test passes (null: no tests) and
    /// the aggregated property as a number (NaN: not a number; null: no aggregate). Built under the extraction lock,
    /// so concurrent estimates never read a property column while another one extends it.
    /// </summary>
    public (bool[]? Pass, double[]? Numbers) Prepare(EventCondition condition, DateTime now)
    {
        lock (_extracting)
        {
            var codes = PropertyTexts.Count;
            bool[]? pass = null;
            if (condition.Properties.Count > 0)
            {
                pass = Enumerable.Repeat(true, codes).ToArray();
                foreach (var property in condition.Properties)
                {
                    var values = Property(property.Path);
                    var test = ValuePredicate.Of(property.Test, values, now);
                    for (var code = 0; code < codes; code++)
                    {
                        pass[code] &= test.Passes(values.Kind(code), code < values.Length ? values.Payload(code) : 0);
                    }
                }
            }
            double[]? numbers = null;
            if (condition.Aggregate is { } aggregate)
            {
                var values = Property(aggregate.Path);
                numbers = new double[codes];
                for (var code = 0; code < codes; code++)
                {
                    numbers[code] = values.Kind(code) == IndexedKind.Number ? values.NumberAt(code) : double.NaN;
                }
            }
            return (pass, numbers);
        }
    }

    private readonly Dictionary<string, int> _extracted = new(StringComparer.Ordinal);

    private int ExtractedCount(string path) => _extracted.GetValueOrDefault(path);

    private void GrowProfiles(int needed)
    {
        if (needed > _start.Length)
        {
            var size = Math.Max(needed, _start.Length * 2);
            Array.Resize(ref _start, size);
            Array.Resize(ref _length, size);
        }
    }

    private void GrowEvents(int needed)
    {
        if (needed > _ticks.Length)
        {
            var size = Math.Max(needed, _ticks.Length * 2);
            Array.Resize(ref _ticks, size);
            Array.Resize(ref _codes, size);
        }
    }

    public long ApproximateBytes =>
        _start.Length * 8L + _ticks.Length * 12L + PropertyTexts.ApproximateBytes + _properties.Values.Sum(p => p.ApproximateBytes);
}
