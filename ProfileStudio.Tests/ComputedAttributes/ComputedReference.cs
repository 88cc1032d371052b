using System.Globalization;
using System.Text.Json;
using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>
/// The from-scratch computation the property tests compare with: a plain pass over a profile's events
/// at a moment, no states, no buckets kept, no merging. It shares only the window rule
/// (<see cref="ComputedWindows.Includes"/>), the condition rule (<see cref="EventFilter.Holds"/>) and the
/// value encodings with the engine; everything the engine does incrementally is done here in one go.
/// </summary>
internal static class ComputedReference
{
    public static (bool HasValue, string? Value) Compute(ComputedAttributeSpec spec, IEnumerable<ComputedEvent> events, DateTime now, int distinctLimit)
    {
        var matching = new List<(ComputedEvent Event, JsonElement Properties)>();
        foreach (var e in events)
        {
            if (!spec.EventNames.Contains(e.Name))
            {
                continue;
            }
            var properties = JsonDocument.Parse(e.Properties).RootElement;
            if (spec.Conditions.All(c => EventFilter.Holds(c, properties)))
            {
                matching.Add((e, properties));
            }
        }
        if (matching.Count == 0)
        {
            return (false, null);
        }
        var inside = matching.Where(m => ComputedWindows.Includes(spec.Window, m.Event.EventAt, now)).ToList();
        if (spec.Function == ComputedFunction.Count)
        {
            return (true, inside.Count.ToString(CultureInfo.InvariantCulture));
        }
        var withValue = inside.Select(m => (m.Event, Value: EventProperties.Find(m.Properties, spec.PropertyPath!)))
            .Where(m => m.Value is not null).Select(m => (m.Event, Value: m.Value!.Value)).ToList();
        var numbers = withValue.Select(m => EventProperties.TryNumber(m.Value, out var n) ? (decimal?)n : null).Where(n => n is not null).Select(n => n!.Value).ToList();
        var ordered = withValue.OrderBy(m => m.Event.EventAt).ThenBy(m => m.Event.MessageId).ToList();
        // Values grouped by what they mean (numbers by value, whatever their text), each group named by its key; the order and the
        // equality are this class's own, only the key's text is the engine's.
        var groups = withValue.GroupBy(m => Meaning(m.Value)).Select(g => (Keys: g.Select(m => EventProperties.Key(m.Value)).Distinct().ToList(), Meaning: g.Key, Count: (long)g.Count())).ToList();
        if (spec.Function is ComputedFunction.MostFrequent or ComputedFunction.CountDistinct or ComputedFunction.Distinct
            && groups.FirstOrDefault(g => g.Keys.Count > 1) is { Keys: not null } split)
        {
            return (true, $"one value with several keys: {string.Join(" ", split.Keys)}");
        }
        var order = groups.ToDictionary(g => g.Keys[0], g => g.Meaning, StringComparer.Ordinal);
        var counts = groups.ToDictionary(g => g.Keys[0], g => g.Count, StringComparer.Ordinal);
        var overflow = counts.Count > distinctLimit;
        var kept = counts.OrderBy(c => ComputedAggregator.Hash(c.Key)).ThenBy(c => c.Key, StringComparer.Ordinal).Take(distinctLimit).ToList();
        string? value = spec.Function switch
        {
            ComputedFunction.Sum => EventProperties.Number(numbers.Sum()),
            ComputedFunction.Avg => numbers.Count == 0 ? null : EventProperties.Number(Math.Round(numbers.Sum() / numbers.Count, 6, MidpointRounding.ToEven)),
            ComputedFunction.Min => numbers.Count == 0 ? null : EventProperties.Number(numbers.Min()),
            ComputedFunction.Max => numbers.Count == 0 ? null : EventProperties.Number(numbers.Max()),
            ComputedFunction.First => ordered.Count == 0 ? null : EventProperties.Key(ordered[0].Value),
            ComputedFunction.Last => ordered.Count == 0 ? null : EventProperties.Key(ordered[^1].Value),
            ComputedFunction.MostFrequent => kept.Count == 0 ? null
                : kept.OrderByDescending(c => c.Value).ThenBy(c => order[c.Key]).First().Key,
            ComputedFunction.CountDistinct => (overflow
                ? (long)Math.Round((kept.Count - 1) / ((double)kept.Select(c => ComputedAggregator.Hash(c.Key)).Max() / Math.Pow(2, 64)))
                : counts.Count).ToString(CultureInfo.InvariantCulture),
            _ => "[" + string.Join(",", kept.OrderBy(c => order[c.Key]).Select(c => c.Key)) + "]",
        };
        return (true, value);
    }

    /// <summary>
    /// What a value means, ordered as a spreadsheet orders a column: numbers by value (as a decimal when one holds it exactly,
    /// else as a double: the generated numbers are far apart), then text, then false, true, then anything else by its JSON.
    /// </summary>
    private static Meaning Meaning(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => new(0, value.TryGetDecimal(out var d) ? d : null, value.GetDouble(), ""),
        JsonValueKind.String => new(1, null, 0, value.GetString()!),
        JsonValueKind.False => new(2, null, 0, ""),
        JsonValueKind.True => new(3, null, 0, ""),
        _ => new(4, null, 0, value.GetRawText()),
    };
}

internal sealed record Meaning(int Kind, decimal? Decimal, double Double, string Text) : IComparable<Meaning>
{
    public int CompareTo(Meaning? other)
    {
        if (other is null || Kind != other.Kind)
        {
            return other is null ? 1 : Kind.CompareTo(other.Kind);
        }
        if (Kind == 0)
        {
            return Decimal is { } a && other.Decimal is { } b ? a.CompareTo(b) : Double.CompareTo(other.Double);
        }
        return string.CompareOrdinal(Text, other.Text);
    }

    // Equal numbers are equal whatever their text: a decimal's trailing zeros (1.0 vs 1) are not part of its meaning.
    public bool Equals(Meaning? other) => other is not null && CompareTo(other) == 0;

    public override int GetHashCode() => HashCode.Combine(Kind, Kind == 0 ? Double : 0, Text);
}
