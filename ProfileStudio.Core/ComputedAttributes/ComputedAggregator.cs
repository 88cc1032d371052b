using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The arithmetic of one definition: adds a matching event to a state, merges two states, drops buckets
/// that left the window, and reads the value at a moment. Pure (no storage, no clock), so the live
/// stage, the backfill and the expiry job give the same value for the same events.
/// <para>
/// Values: <c>count</c> and <c>count_distinct</c> are 0 and <c>sum</c> 0 when the window holds no
/// matching event; <c>avg</c>, <c>min</c>, <c>max</c>, <c>most_frequent</c>, <c>first</c>, <c>last</c>
/// are null then; <c>distinct</c> is []. A profile has a value (an entry in its computed row) once it had one matching
/// event, at any time. sum/avg/min/max read JSON numbers (others are passed over); the others read any
/// non-null value. Values are kept by their key (<see cref="EventProperties.Key"/>), so equal numbers are one value
/// whatever their text (1, 1.0, 1e0). <c>distinct</c> lists values in <see cref="ValueKeyOrder"/> (numbers by value, then
/// text, ordinal); <c>most_frequent</c> gives a tie to the value that comes first in that order (the smallest number, else
/// the alphabetically first text): the same answer whatever order the events came in or how profiles merged, which a tie
/// broken by the latest event could not promise without keeping a time per value.
/// </para>
/// <para>
/// Distinct values are bounded by <see cref="DistinctLimit"/> (default 1,000) per profile: the values
/// with the smallest 64-bit hashes are kept, with exact counts. Up to the bound everything is exact; past
/// it <c>count_distinct</c> is the k-minimum-values estimate, <c>distinct</c> lists the kept values (a
/// uniform sample), and <c>most_frequent</c> is the most frequent of them. The kept set of a union is
/// the kept set of the union of the parts' kept sets, so merged states equal states computed from scratch.
/// </para>
/// </summary>
public sealed class ComputedAggregator(ComputedAttributeSpec spec, int distinctLimit = ComputedAggregator.DefaultDistinctLimit)
{
    public const int DefaultDistinctLimit = 1000;

    public ComputedAttributeSpec Spec => spec;

    public EventFilter Filter { get; } = new(spec);

    public int DistinctLimit => distinctLimit;

    private bool UsesValues => spec.Function is ComputedFunction.MostFrequent or ComputedFunction.CountDistinct or ComputedFunction.Distinct;

    /// <summary>Adds one event (already known to match the filter) to <paramref name="state"/>.</summary>
    public void Add(AggregateState state, DateTime eventAt, long messageId, JsonElement properties)
    {
        Add(state, Read(eventAt, messageId, properties));
    }

    /// <summary>
    /// What a matching event brings to this definition, read out of its properties: its number for sum / avg / min / max, its value's
    /// key for the others but <c>count</c>. When the function reads a property the event does not have, the input does not count
    /// (<see cref="ComputedInput.Counts"/>), though the event still gives the profile a state.
    /// </summary>
    public ComputedInput Read(DateTime eventAt, long messageId, JsonElement properties)
    {
        decimal number = 0;
        var hasNumber = false;
        string? key = null;
        if (spec.Function != ComputedFunction.Count)
        {
            if (EventProperties.Find(properties, spec.PropertyPath!) is not { } value)
            {
                return new(eventAt.Ticks, messageId, 0, false, null, Counts: false);
            }
            if (spec.Function is ComputedFunction.Sum or ComputedFunction.Avg or ComputedFunction.Min or ComputedFunction.Max)
            {
                hasNumber = EventProperties.TryNumber(value, out number);
            }
            else
            {
                key = EventProperties.Key(value);
            }
        }
        return new(eventAt.Ticks, messageId, number, hasNumber, key, Counts: true);
    }

    /// <summary>Adds one event's input (<see cref="Read"/>) to <paramref name="state"/>.</summary>
    public void Add(AggregateState state, in ComputedInput input)
    {
        if (!input.Counts)
        {
            return; // only events with the property count for the functions that read it
        }
        var key = ComputedWindows.Bucket(spec.Window, new DateTime(input.At, DateTimeKind.Utc));
        if (!state.Buckets.TryGetValue(key, out var bucket))
        {
            state.Buckets[key] = bucket = new BucketState();
        }
        bucket.Count++;
        switch (spec.Function)
        {
            case ComputedFunction.Sum or ComputedFunction.Avg:
                if (input.HasNumber)
                {
                    bucket.Numbers++;
                    bucket.Sum += input.Number;
                }
                break;
            case ComputedFunction.Min or ComputedFunction.Max:
                if (input.HasNumber)
                {
                    var n = input.Number;
                    bucket.Min = bucket.Min is { } lo && lo <= n ? lo : n;
                    bucket.Max = bucket.Max is { } hi && hi >= n ? hi : n;
                }
                break;
            case ComputedFunction.First or ComputedFunction.Last:
                var pick = new Pick(input.At, input.MessageId, input.Key!);
                if (bucket.First is null || pick.Before(bucket.First))
                {
                    bucket.First = pick;
                }
                if (bucket.Last is null || bucket.Last.Before(pick))
                {
                    bucket.Last = pick;
                }
                break;
            case var _ when UsesValues:
                bucket.Values ??= [];
                var k = input.Key!;
                bucket.Values[k] = bucket.Values.GetValueOrDefault(k) + 1;
                if (bucket.Values.Count > distinctLimit)
                {
                    Bound(bucket.Values);
                    bucket.Overflow = true;
                }
                break;
        }
    }

    /// <summary>Adds <paramref name="from"/> into <paramref name="into"/> (bucket by bucket).</summary>
    public void Merge(AggregateState into, AggregateState from)
    {
        if (from.Buckets.Count > 8 && into.Buckets.Count > 8)
        {
            // Two long states (a merge of two profiles): one pass over both in order, rather than an insertion per bucket.
            into.Buckets = Interleave(into.Buckets, from.Buckets);
            return;
        }
        for (var i = 0; i < from.Buckets.Count; i++)
        {
            var (key, b) = (from.Buckets.GetKeyAtIndex(i), from.Buckets.GetValueAtIndex(i));
            if (into.Buckets.TryGetValue(key, out var a))
            {
                AddBucket(a, b);
            }
            else
            {
                into.Buckets[key] = Copy(b);
            }
        }
    }

    /// <summary>Adds bucket <paramref name="b"/> into bucket <paramref name="a"/>.</summary>
    private void AddBucket(BucketState a, BucketState b)
    {
        AddScalars(a, b);
        if (b.Values is not null)
        {
            AddValues(a.Values ??= [], b.Values);
            if (a.Values.Count > distinctLimit)
            {
                Bound(a.Values);
                a.Overflow = true;
            }
        }
        a.Overflow |= b.Overflow;
    }

    /// <summary><see cref="Merge"/> of two sorted lists of buckets in one pass: a new list, <paramref name="into"/>'s buckets added to.</summary>
    private SortedList<long, BucketState> Interleave(SortedList<long, BucketState> into, SortedList<long, BucketState> from)
    {
        var all = new SortedList<long, BucketState>(into.Count + from.Count);
        var (i, j) = (0, 0);
        while (i < into.Count || j < from.Count)
        {
            var c = i == into.Count ? 1 : j == from.Count ? -1 : into.GetKeyAtIndex(i).CompareTo(from.GetKeyAtIndex(j));
            if (c < 0)
            {
                all.Add(into.GetKeyAtIndex(i), into.GetValueAtIndex(i));
                i++;
            }
            else if (c > 0)
            {
                all.Add(from.GetKeyAtIndex(j), Copy(from.GetValueAtIndex(j)));
                j++;
            }
            else
            {
                var a = into.GetValueAtIndex(i);
                AddBucket(a, from.GetValueAtIndex(j));
                all.Add(into.GetKeyAtIndex(i), a);
                i++;
                j++;
            }
        }
        return all;
    }

    /// <summary>Drops the buckets outside the window at <paramref name="now"/> (they never come back in).</summary>
    public void Prune(AggregateState state, DateTime now)
    {
        if (spec.Window.IsAllTime)
        {
            return;
        }
        var cut = ComputedWindows.Cut(spec.Window, now);
        var buckets = state.Buckets;
        var outside = 0;
        while (outside < buckets.Count && buckets.GetKeyAtIndex(outside) <= cut)
        {
            outside++;
        }
        if (outside <= 8)
        {
            // The usual case: a bucket or two left since the last write; each removal moves the rest down once.
            for (var i = 0; i < outside; i++)
            {
                buckets.RemoveAt(0);
            }
            return;
        }
        // Many at once (a long-idle profile with many buckets): the rest copied once rather than moved once per removal.
        var kept = new SortedList<long, BucketState>(buckets.Count - outside);
        for (var i = outside; i < buckets.Count; i++)
        {
            kept.Add(buckets.GetKeyAtIndex(i), buckets.GetValueAtIndex(i));
        }
        state.Buckets = kept;
    }

    /// <summary>When the oldest bucket leaves the window (null: all time, or nothing left to leave).</summary>
    public DateTime? NextExpiry(AggregateState state) =>
        spec.Window.IsAllTime || state.Buckets.Count == 0 ? null : ComputedWindows.Expiry(spec.Window, state.Buckets.GetKeyAtIndex(0));

    /// <summary>The value at <paramref name="now"/> as JSON (null: none, e.g. no number in the window for avg).</summary>
    public string? Value(AggregateState state, DateTime now)
    {
        var cut = ComputedWindows.Cut(spec.Window, now);
        // The buckets inside the window folded into one, without copying any: what merging them one by one gives (the kept
        // distinct values of a union are the kept values of the union of the parts' kept values, so bounding once at the end
        // keeps the same values with the same counts).
        BucketState? only = null;
        var inside = 0;
        var distinct = 0;
        for (var i = 0; i < state.Buckets.Count; i++)
        {
            var (key, b) = (state.Buckets.GetKeyAtIndex(i), state.Buckets.GetValueAtIndex(i));
            if (key > cut)
            {
                (only, inside, distinct) = (b, inside + 1, distinct + (b.Values?.Count ?? 0));
            }
        }
        // One bucket inside (always so for all time) is read as it is: it is bounded already, and reading changes nothing.
        var total = inside == 1 && (only!.Values?.Count ?? 0) <= distinctLimit ? only : Fold(state, cut, distinct);
        return spec.Function switch
        {
            ComputedFunction.Count => total.Count.ToString(CultureInfo.InvariantCulture),
            ComputedFunction.Sum => EventProperties.Number(total.Sum),
            ComputedFunction.Avg => total.Numbers == 0 ? null : EventProperties.Number(Math.Round(total.Sum / total.Numbers, 6, MidpointRounding.ToEven)),
            ComputedFunction.Min => total.Min is { } min ? EventProperties.Number(min) : null,
            ComputedFunction.Max => total.Max is { } max ? EventProperties.Number(max) : null,
            ComputedFunction.First => total.First?.ValueJson,
            ComputedFunction.Last => total.Last?.ValueJson,
            ComputedFunction.MostFrequent => MostFrequent(total.Values),
            ComputedFunction.CountDistinct => CountDistinct(total).ToString(CultureInfo.InvariantCulture),
            _ => "[" + string.Join(",", (total.Values?.Keys ?? Enumerable.Empty<string>()).Order(ValueKeyOrder.Instance)) + "]",
        };
    }

    /// <summary>The buckets after <paramref name="cut"/> folded into a new one (<paramref name="distinct"/>: how many values they hold).</summary>
    private BucketState Fold(AggregateState state, long cut, int distinct)
    {
        var total = new BucketState();
        for (var i = 0; i < state.Buckets.Count; i++)
        {
            var (key, b) = (state.Buckets.GetKeyAtIndex(i), state.Buckets.GetValueAtIndex(i));
            if (key <= cut)
            {
                continue;
            }
            AddScalars(total, b);
            total.Overflow |= b.Overflow;
            if (b.Values is not null)
            {
                AddValues(total.Values ??= new Dictionary<string, long>(distinct, StringComparer.Ordinal), b.Values);
            }
        }
        if (total.Values is { } kept && kept.Count > distinctLimit)
        {
            Bound(kept);
            total.Overflow = true;
        }
        return total;
    }

    /// <summary>Adds a bucket's counts, sums and extremes, and keeps the earlier first and the later last pick.</summary>
    private static void AddScalars(BucketState into, BucketState b)
    {
        into.Count += b.Count;
        into.Numbers += b.Numbers;
        into.Sum += b.Sum;
        into.Min = Lower(into.Min, b.Min);
        into.Max = Higher(into.Max, b.Max);
        into.First = into.First is null || (b.First is not null && b.First.Before(into.First)) ? b.First : into.First;
        into.Last = into.Last is null || (b.Last is not null && into.Last.Before(b.Last)) ? b.Last : into.Last;
    }

    private static void AddValues(Dictionary<string, long> into, Dictionary<string, long> values)
    {
        foreach (var (v, count) in values)
        {
            into[v] = into.GetValueOrDefault(v) + count;
        }
    }

    /// <summary>The value with the most events; of several, the first in <see cref="ValueKeyOrder"/>.</summary>
    private static string? MostFrequent(Dictionary<string, long>? values)
    {
        string? best = null;
        var most = 0L;
        foreach (var (value, count) in values ?? [])
        {
            if (count > most || (count == most && ValueKeyOrder.Instance.Compare(value, best) < 0))
            {
                (best, most) = (value, count);
            }
        }
        return best;
    }

    private long CountDistinct(BucketState total)
    {
        var values = total.Values;
        if (values is null)
        {
            return 0;
        }
        if (!total.Overflow)
        {
            return values.Count;
        }
        // k-minimum-values: with the k smallest of uniformly spread 64-bit hashes, (k - 1) / (k-th hash / 2^64) estimates the distinct count.
        var kth = values.Keys.Select(Hash).Max();
        return (long)Math.Round((values.Count - 1) / ((double)kth / Math.Pow(2, 64)));
    }

    /// <summary>Keeps the <see cref="DistinctLimit"/> values with the smallest (hash, text).</summary>
    private void Bound(Dictionary<string, long> values)
    {
        var drop = values.Keys.OrderBy(Hash).ThenBy(k => k, StringComparer.Ordinal).Skip(distinctLimit).ToList();
        foreach (var key in drop)
        {
            values.Remove(key);
        }
    }

    /// <summary>FNV-1a over the UTF-8 bytes, then a finalizer (so nearby texts spread over all 64 bits); stable across processes.</summary>
    public static ulong Hash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }

    private static BucketState Copy(BucketState b) => new()
    {
        Count = b.Count, Numbers = b.Numbers, Sum = b.Sum, Min = b.Min, Max = b.Max, First = b.First, Last = b.Last,
        Values = b.Values is null ? null : new Dictionary<string, long>(b.Values), Overflow = b.Overflow,
    };

    private static decimal? Lower(decimal? a, decimal? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
    private static decimal? Higher(decimal? a, decimal? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}

/// <summary>
/// What one matching event brings to one definition (<see cref="ComputedAggregator.Read"/>): its time and message id
/// (buckets, first / last), its number if the function reads one, its value's key if the function keeps values, and
/// whether it counts at all (not when the property the function reads is missing).
/// </summary>
public readonly record struct ComputedInput(long At, long MessageId, decimal Number, bool HasNumber, string? Key, bool Counts);
