using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ProfileStudio.Core.Segments;

/// <summary>One event of a profile as the index keeps it: name, time (UTC) and the stored properties text.</summary>
public readonly record struct SegmentIndexEvent(string Name, DateTime At, string PropertiesJson);

/// <summary>
/// One current profile as the index takes it in: present attribute values under
/// <see cref="SegmentProfileFacts.AttributeRule"/> with computed values as keys
/// (<see cref="SegmentProfileFacts.AttributeValues"/>), events, and the namespaces it has identifiers in.
/// </summary>
public sealed record SegmentIndexProfile(
    long ProfileId,
    IReadOnlyDictionary<string, JsonElement> Attributes,
    IReadOnlyList<SegmentIndexEvent> Events,
    IReadOnlyCollection<string> Namespaces);

/// <summary>
/// The compact columnar index of all current profiles that segment estimates and batch evaluation run over:
/// profiles as dense ordinals (ascending id as loaded); per attribute key a typed column of the winning value
/// (dictionary-coded text with its date, double, boolean); per event name a CSR layout of event times sorted per
/// profile, with the distinct properties texts dictionary coded and properties extracted on first use; a bitset
/// per identity namespace. A rule compiles to a tree of typed tests run over the ordinals with short-circuit,
/// event windows found by binary search. Same semantics as <see cref="SegmentEvaluator.Matches"/> (property test).
/// </summary>
/// <remarks>
/// Not thread-safe for writers: <see cref="SegmentIndexHost"/> serialises writes and excludes readers while one
/// runs. Several readers may run at once. Removed profiles keep their ordinal (not live, data cleared).
/// Aggregate sums and averages are <see cref="NumberSum"/>'s, as the evaluator's: exact decimals, whatever the order.
/// </remarks>
public sealed class SegmentIndex
{
    private long[] _ids = new long[16];
    private readonly Dictionary<long, int> _ordinals = [];
    private readonly Bitset _live = new();
    private readonly Dictionary<string, ValueColumn> _attributes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EventColumn> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Bitset> _identities = new(StringComparer.Ordinal);
    private bool _ascending = true;

    /// <summary>Ordinals handed out (live or not).</summary>
    public int Ordinals { get; private set; }

    /// <summary>Current profiles in the index.</summary>
    public int Count { get; private set; }

    /// <summary>Events of live profiles.</summary>
    public long EventCount => _events.Values.Sum(e => e.Used - e.Garbage);

    /// <summary>The index of exactly these profiles (ascending id order is kept for samples), built in bulk.</summary>
    public static SegmentIndex Build(IEnumerable<SegmentIndexProfile> profiles)
    {
        var index = new SegmentIndex();
        foreach (var profile in profiles.OrderBy(p => p.ProfileId))
        {
            index.Set(profile);
        }
        return index;
    }

    /// <summary>Adds or replaces a current profile.</summary>
    public void Set(SegmentIndexProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var ordinal = OrdinalFor(profile.ProfileId);
        if (!_live.Get(ordinal))
        {
            _live.Set(ordinal, true);
            Count++;
        }
        SetAttributes(ordinal, profile.Attributes);
        var byName = new Dictionary<string, List<(long, string)>>(StringComparer.Ordinal);
        foreach (var e in profile.Events)
        {
            if (!byName.TryGetValue(e.Name, out var list))
            {
                byName[e.Name] = list = [];
            }
            list.Add((SegmentValues.AsUtc(e.At).Ticks, e.PropertiesJson));
        }
        foreach (var (name, column) in _events)
        {
            if (!byName.ContainsKey(name) && column.Length(ordinal) > 0)
            {
                column.Replace(ordinal, []);
            }
        }
        foreach (var (name, list) in byName)
        {
            EventsOf(name).Replace(ordinal, list);
        }
        SetNamespaces(ordinal, profile.Namespaces);
        CompactIfWasteful();
    }

    /// <summary>Drops a profile that is no longer current (merged into another, deleted); unknown ids are ignored.</summary>
    public void Remove(long profileId)
    {
        if (!_ordinals.TryGetValue(profileId, out var ordinal) || !_live.Get(ordinal))
        {
            return;
        }
        _live.Set(ordinal, false);
        Count--;
        SetAttributes(ordinal, new Dictionary<string, JsonElement>());
        foreach (var column in _events.Values.Where(c => c.Length(ordinal) > 0))
        {
            column.Replace(ordinal, []);
        }
        SetNamespaces(ordinal, []);
    }

    public bool Contains(long profileId) => _ordinals.TryGetValue(profileId, out var o) && _live.Get(o);

    /// <summary>The current profile ids in ascending order.</summary>
    public IEnumerable<long> ProfileIds()
    {
        var ids = new List<long>(Count);
        for (var o = 0; o < Ordinals; o++)
        {
            if (_live.Get(o))
            {
                ids.Add(_ids[o]);
            }
        }
        if (!_ascending)
        {
            ids.Sort();
        }
        return ids;
    }

    private int OrdinalFor(long profileId)
    {
        if (_ordinals.TryGetValue(profileId, out var ordinal))
        {
            return ordinal;
        }
        ordinal = Ordinals++;
        if (ordinal >= _ids.Length)
        {
            Array.Resize(ref _ids, _ids.Length * 2);
        }
        if (ordinal > 0 && _ids[ordinal - 1] > profileId)
        {
            _ascending = false;
        }
        _ids[ordinal] = profileId;
        _ordinals[profileId] = ordinal;
        return ordinal;
    }

    private void SetAttributes(int ordinal, IReadOnlyDictionary<string, JsonElement> values)
    {
        foreach (var (key, column) in _attributes)
        {
            if (!values.ContainsKey(key))
            {
                column.Clear(ordinal);
            }
        }
        foreach (var (key, value) in values)
        {
            if (!_attributes.TryGetValue(key, out var column))
            {
                if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
                {
                    continue;
                }
                _attributes[key] = column = new ValueColumn(Math.Max(16, _ids.Length));
            }
            column.Set(ordinal, value);
        }
    }

    private void SetNamespaces(int ordinal, IReadOnlyCollection<string> namespaces)
    {
        foreach (var (ns, bits) in _identities)
        {
            bits.Set(ordinal, namespaces.Contains(ns));
        }
        foreach (var ns in namespaces)
        {
            if (!_identities.TryGetValue(ns, out var bits))
            {
                _identities[ns] = bits = new Bitset();
            }
            bits.Set(ordinal, true);
        }
    }

    private EventColumn EventsOf(string name)
    {
        if (!_events.TryGetValue(name, out var column))
        {
            _events[name] = column = new EventColumn();
        }
        return column;
    }

    /// <summary>A name's events are compacted when more than this many (and more than half) are garbage of reloaded profiles (tests lower it).</summary>
    internal static long CompactAbove { get; set; } = 100_000;

    private void CompactIfWasteful()
    {
        foreach (var column in _events.Values)
        {
            if (column.Garbage > CompactAbove && column.Garbage > column.Used / 2)
            {
                column.Compact(Ordinals);
            }
        }
    }

    /// <summary>Bulk load of one event name for profiles already added (ordinals in any order): far faster than <see cref="Set"/> per profile.</summary>
    internal void BuildEvents(string name, List<int> ordinals, List<long> ticks, List<int> codes) =>
        EventsOf(name).Build(Ordinals, ordinals, ticks, codes);

    internal EventColumn EventColumnForBuild(string name) => EventsOf(name);

    /// <summary>Bulk load: one more identifier namespace of a profile added by <see cref="AddForBuild"/>.</summary>
    internal void AddNamespaceForBuild(int ordinal, string ns)
    {
        if (!_identities.TryGetValue(ns, out var bits))
        {
            _identities[ns] = bits = new Bitset();
        }
        bits.Set(ordinal, true);
    }

    /// <summary>Bulk load: a computed value, which replaces a stored key of the same name.</summary>
    internal void SetAttributeForBuild(int ordinal, string key, JsonElement value)
    {
        if (!_attributes.TryGetValue(key, out var column))
        {
            _attributes[key] = column = new ValueColumn(Math.Max(16, _ids.Length));
        }
        column.Set(ordinal, value);
    }

    internal bool TryOrdinal(long profileId, out int ordinal) => _ordinals.TryGetValue(profileId, out ordinal) && _live.Get(ordinal);

    /// <summary>Adds a profile with only its attributes and namespaces (bulk load, ascending ids; events follow by <see cref="BuildEvents"/>).</summary>
    internal int AddForBuild(long profileId, IReadOnlyDictionary<string, JsonElement> attributes, IReadOnlyCollection<string> namespaces)
    {
        var ordinal = OrdinalFor(profileId);
        if (!_live.Get(ordinal))
        {
            _live.Set(ordinal, true);
            Count++;
        }
        SetAttributes(ordinal, attributes);
        SetNamespaces(ordinal, namespaces);
        return ordinal;
    }

    /// <summary>Approximate bytes held (arrays and dictionary strings; not the .NET dictionaries' own overhead of id → ordinal).</summary>
    public long ApproximateBytes =>
        _ids.Length * 8L + _ordinals.Count * 24L + _live.ApproximateBytes
        + _attributes.Values.Sum(c => c.ApproximateBytes) + _events.Values.Sum(c => c.ApproximateBytes)
        + _identities.Values.Sum(b => b.ApproximateBytes);

    /// <summary>Every current profile's content as text (ids ascending), so two indexes can be compared (tests).</summary>
    internal string Describe()
    {
        var text = new StringBuilder();
        foreach (var id in ProfileIds())
        {
            var o = _ordinals[id];
            text.Append('#').Append(id.ToString(CultureInfo.InvariantCulture)).Append(" attrs[");
            foreach (var (key, column) in _attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                if (column.Kind(o) != IndexedKind.Absent)
                {
                    text.Append(key).Append('=').Append(column.Describe(o)).Append(';');
                }
            }
            text.Append("] events[");
            foreach (var (name, column) in _events.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                var events = Enumerable.Range(column.Start(o), column.Length(o))
                    .Select(i => $"{column.Ticks[i]}:{column.PropertyTexts.Values[column.Codes[i]]}")
                    .Order(StringComparer.Ordinal);
                foreach (var e in events)
                {
                    text.Append(name).Append('@').Append(e).Append(';');
                }
            }
            text.Append("] ids[");
            foreach (var (ns, bits) in _identities.OrderBy(i => i.Key, StringComparer.Ordinal))
            {
                if (bits.Get(o))
                {
                    text.Append(ns).Append(';');
                }
            }
            text.Append("]\n");
        }
        return text.ToString();
    }

    /// <summary>The number of current profiles matching the rule at <paramref name="now"/>, and the lowest matching ids (up to <paramref name="samples"/>).</summary>
    public (long Matching, List<long> Samples) Estimate(SegmentRule rule, DateTime now, IReadOnlyDictionary<long, IReadOnlySet<long>> memberships, int samples, CancellationToken ct = default)
    {
        var matcher = Compile(rule, now, memberships);
        long matching = 0;
        var found = new List<long>();
        for (var o = 0; o < Ordinals; o++)
        {
            if ((o & 0xFFFF) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }
            if (_live.Get(o) && matcher.Holds(o))
            {
                matching++;
                if (!_ascending || found.Count < samples)
                {
                    found.Add(_ids[o]);
                }
            }
        }
        if (!_ascending)
        {
            found.Sort();
            found = found.Take(samples).ToList();
        }
        return (matching, found);
    }

    /// <summary>Every current profile matching the rule at <paramref name="now"/>, ids ascending.</summary>
    public List<long> MatchingIds(SegmentRule rule, DateTime now, IReadOnlyDictionary<long, IReadOnlySet<long>> memberships, CancellationToken ct = default)
    {
        var matcher = Compile(rule, now, memberships);
        var ids = new List<long>();
        for (var o = 0; o < Ordinals; o++)
        {
            if ((o & 0xFFFF) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }
            if (_live.Get(o) && matcher.Holds(o))
            {
                ids.Add(_ids[o]);
            }
        }
        if (!_ascending)
        {
            ids.Sort();
        }
        return ids;
    }

    /// <summary>Whether one current profile matches (for tests against the one-profile evaluator).</summary>
    internal bool Matches(long profileId, SegmentRule rule, DateTime now, IReadOnlyDictionary<long, IReadOnlySet<long>> memberships) =>
        TryOrdinal(profileId, out var o) && Compile(rule, now, memberships).Holds(o);

    private IndexMatcher Compile(SegmentRule rule, DateTime now, IReadOnlyDictionary<long, IReadOnlySet<long>> memberships)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return Compile(rule.Root, SegmentValues.AsUtc(now), memberships);
    }

    private IndexMatcher Compile(SegmentNode node, DateTime now, IReadOnlyDictionary<long, IReadOnlySet<long>> memberships) => node switch
    {
        GroupNode g => new GroupMatcher(g.Kind, g.Children.Select(c => Compile(c, now, memberships)).ToArray()),
        AttributeCondition a => new AttributeMatcher(_attributes.GetValueOrDefault(a.Path), ValuePredicate.Of(a.Test, _attributes.GetValueOrDefault(a.Path), now)),
        EventCondition e => EventMatcher.Of(e, _events.GetValueOrDefault(e.EventName), now),
        IdentityCondition i => new BitMatcher(_identities.GetValueOrDefault(i.Namespace), i.Has),
        SegmentCondition s => new BitMatcher(Members(memberships.GetValueOrDefault(s.SegmentId)), s.IsIn),
        _ => throw new ArgumentOutOfRangeException(nameof(node), node.GetType().Name, "Unknown node type."),
    };

    private Bitset Members(IReadOnlySet<long>? members)
    {
        var bits = new Bitset();
        foreach (var id in members ?? new HashSet<long>())
        {
            if (_ordinals.TryGetValue(id, out var o))
            {
                bits.Set(o, true);
            }
        }
        return bits;
    }
}

internal abstract class IndexMatcher
{
    public abstract bool Holds(int ordinal);
}

internal sealed class GroupMatcher(GroupKind kind, IndexMatcher[] children) : IndexMatcher
{
    public override bool Holds(int ordinal)
    {
        foreach (var child in children)
        {
            var holds = child.Holds(ordinal);
            if (kind == GroupKind.AllOf ? !holds : holds)
            {
                return kind == GroupKind.AnyOf;
            }
        }
        return kind != GroupKind.AnyOf;
    }
}

internal sealed class BitMatcher(Bitset? bits, bool whenSet) : IndexMatcher
{
    public override bool Holds(int ordinal) => (bits?.Get(ordinal) ?? false) == whenSet;
}

internal sealed class AttributeMatcher(ValueColumn? column, ValuePredicate test) : IndexMatcher
{
    public override bool Holds(int ordinal) =>
        column is null ? test.Passes(IndexedKind.Absent, 0) : test.Passes(column.Kind(ordinal), column.Payload(ordinal));
}

/// <summary>
/// A <see cref="ValueTest"/> compiled against one column at one "now": text tests become a pass / fail per
/// dictionary code (each distinct string tested once with <see cref="SegmentValues"/>' own functions), dates
/// the column's parsed instants against <see cref="SegmentValues.DateBounds"/>.
/// </summary>
internal sealed class ValuePredicate
{
    private readonly ValueTest _test;
    private readonly bool[]? _textPasses;
    private readonly List<long>? _dates;
    private readonly long _low;
    private readonly long _high;

    private ValuePredicate(ValueTest test, bool[]? textPasses, List<long>? dates, long low, long high)
    {
        (_test, _textPasses, _dates, _low, _high) = (test, textPasses, dates, low, high);
    }

    public static ValuePredicate Of(ValueTest test, ValueColumn? column, DateTime now)
    {
        var strings = column?.Strings;
        bool[]? passes = null;
        if (test.Type == ValueTestType.Text && test.Operator is not (ValueOperator.Exists or ValueOperator.NotExists) && strings is not null)
        {
            passes = new bool[strings.Count];
            for (var code = 0; code < passes.Length; code++)
            {
                passes[code] = test.Operator switch
                {
                    // As SegmentValues.Passes: compared in place, and only with a text to compare with.
                    ValueOperator.Equals => test.Text is not null && string.Equals(strings.Values[code], test.Text, StringComparison.Ordinal),
                    ValueOperator.NotEquals => test.Text is not null && !string.Equals(strings.Values[code], test.Text, StringComparison.Ordinal),
                    _ => SegmentValues.PassesText(test, strings.Values[code]),
                };
            }
        }
        var (low, high) = test.Type == ValueTestType.Date ? SegmentValues.DateBounds(test, now) : (null, null);
        return new ValuePredicate(test, passes, strings?.DateMs, low ?? long.MinValue + 1, high ?? long.MaxValue);
    }

    public bool Passes(IndexedKind kind, long payload)
    {
        switch (_test.Operator)
        {
            case ValueOperator.Exists:
                return kind != IndexedKind.Absent;
            case ValueOperator.NotExists:
                return kind == IndexedKind.Absent;
        }
        if (kind == IndexedKind.Absent)
        {
            return false;
        }
        switch (_test.Type)
        {
            case ValueTestType.Text:
                return kind == IndexedKind.Text && _textPasses is { } passes && passes[(int)payload];
            case ValueTestType.Number:
                return kind == IndexedKind.Number
                       && SegmentValues.PassesNumber(_test.Operator, BitConverter.Int64BitsToDouble(payload), _test.Number, _test.NumberTo);
            case ValueTestType.Boolean:
                return _test.Operator switch
                {
                    ValueOperator.IsTrue => kind == IndexedKind.True,
                    ValueOperator.IsFalse => kind == IndexedKind.False,
                    _ => false,
                };
            case ValueTestType.Date:
                if (kind != IndexedKind.Text || _dates is null)
                {
                    return false;
                }
                var ms = _dates[(int)payload];
                return ms != StringPool.NotADate && ms >= _low && ms <= _high;
            default:
                return false;
        }
    }
}

/// <summary>
/// An event condition over one name's CSR column: the window's events found by binary search in the profile's
/// sorted times; property tests and the aggregate read per-code tables built once per estimate.
/// </summary>
internal sealed class EventMatcher : IndexMatcher
{
    private readonly EventCondition _condition;
    private readonly EventColumn? _column;
    private readonly long _from;
    private readonly long _to;
    private readonly bool[]? _propertiesPass;
    private readonly double[]? _numbers;

    private EventMatcher(EventCondition condition, EventColumn? column, long from, long to, bool[]? propertiesPass, double[]? numbers)
    {
        (_condition, _column, _from, _to, _propertiesPass, _numbers) = (condition, column, from, to, propertiesPass, numbers);
    }

    public static EventMatcher Of(EventCondition condition, EventColumn? column, DateTime now)
    {
        var (from, to) = SegmentEvaluator.WindowBounds(condition.Window, now);
        var (pass, numbers) = column?.Prepare(condition, now) ?? (null, null);
        return new EventMatcher(condition, column, from?.Ticks ?? long.MinValue, to?.Ticks ?? long.MaxValue, pass, numbers);
    }

    public override bool Holds(int ordinal)
    {
        var holds = Performed(ordinal);
        return _condition.Performed ? holds : !holds;
    }

    private bool Performed(int ordinal)
    {
        int lo = 0, hi = 0;
        long[]? ticks = null;
        int[]? codes = null;
        if (_column is not null && _from <= _to)
        {
            var start = _column.Start(ordinal);
            var length = _column.Length(ordinal);
            ticks = _column.Ticks;
            codes = _column.Codes;
            lo = LowerBound(ticks, start, start + length, _from);
            hi = UpperBound(ticks, lo, start + length, _to);
        }
        var aggregate = _condition.Aggregate;
        if (_propertiesPass is null && aggregate is null)
        {
            return SegmentEvaluator.CountPasses(_condition.Count, hi - lo);
        }
        var count = 0;
        var sum = new NumberSum();
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (var i = lo; i < hi; i++)
        {
            var code = codes![i];
            if (_propertiesPass is not null && !_propertiesPass[code])
            {
                continue;
            }
            count++;
            if (_numbers is not null && !double.IsNaN(_numbers[code]))
            {
                var x = _numbers[code];
                sum.Add(x);
                min = Math.Min(min, x);
                max = Math.Max(max, x);
            }
        }
        if (!SegmentEvaluator.CountPasses(_condition.Count, count))
        {
            return false;
        }
        if (aggregate is null)
        {
            return true;
        }
        double? value = aggregate.Function switch
        {
            AggregateFunction.Sum => sum.Sum,
            _ when sum.Count == 0 => null,
            AggregateFunction.Avg => sum.Average,
            AggregateFunction.Min => min,
            _ => max,
        };
        return value is { } v && SegmentValues.PassesNumber(aggregate.Test.Operator, v, aggregate.Test.Number, aggregate.Test.NumberTo);
    }

    // The first index in [lo, hi) whose time is ≥ value.
    private static int LowerBound(long[] ticks, int lo, int hi, long value)
    {
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ticks[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    // The first index in [lo, hi) whose time is > value.
    private static int UpperBound(long[] ticks, int lo, int hi, long value)
    {
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ticks[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
