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
        var counts = withValue.GroupBy(m => EventProperties.Key(m.Value), StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
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
                : kept.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key,
            ComputedFunction.CountDistinct => (overflow
                ? (long)Math.Round((kept.Count - 1) / ((double)kept.Select(c => ComputedAggregator.Hash(c.Key)).Max() / Math.Pow(2, 64)))
                : counts.Count).ToString(CultureInfo.InvariantCulture),
            _ => "[" + string.Join(",", kept.Select(c => c.Key).Order(StringComparer.Ordinal)) + "]",
        };
        return (true, value);
    }
}
