using System.Globalization;
using System.Text.Json;
using ProfileStudio.Core.Formatting;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// Why a node holds or not for one profile: the node's phrase, the values that decided it, and its
/// children (groups). <see cref="Display"/> reads "country is France ✓ (value: France)".
/// </summary>
public sealed record SegmentExplanation(string NodeId, bool Matched, string Text, string Detail, IReadOnlyList<SegmentExplanation> Children)
{
    public string Display => $"{Text} {(Matched ? "✓" : "✗")}" + (Detail.Length > 0 ? $" ({Detail})" : "");
}

public sealed record SegmentEvaluation(bool Matches, SegmentExplanation Explanation);

/// <summary>
/// Applies a rule to one profile in memory, at an injected "now", and explains the result. Pure and
/// thread-safe. Every child of every group is evaluated (no short-circuit) so the explanation is
/// complete. <see cref="SegmentSql"/> selects exactly the profiles this returns true for (property test).
/// </summary>
public static class SegmentEvaluator
{
    /// <summary>
    /// Whether the profile matches, without an explanation: short-circuits and allocates nothing per event,
    /// for streaming re-evaluation and bulk runs. Always the same answer as <see cref="Evaluate"/> (property test).
    /// </summary>
    public static bool Matches(SegmentRule rule, SegmentProfileFacts facts, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(facts);
        return Holds(rule.Root, facts, SegmentValues.AsUtc(now));
    }

    private static bool Holds(SegmentNode node, SegmentProfileFacts facts, DateTime now)
    {
        switch (node)
        {
            case GroupNode group:
                foreach (var child in group.Children)
                {
                    var holds = Holds(child, facts, now);
                    if (group.Kind == GroupKind.AllOf ? !holds : holds)
                    {
                        return group.Kind == GroupKind.AnyOf;
                    }
                }
                return group.Kind != GroupKind.AnyOf;
            case AttributeCondition a:
                return SegmentValues.Passes(a.Test, facts.Attributes.TryGetValue(a.Path, out var value) ? value : null, now);
            case EventCondition e:
                return EventHolds(e, facts.Events, now);
            case IdentityCondition i:
                return i.Has == (facts.Identities.TryGetValue(i.Namespace, out var values) && values.Count > 0);
            case SegmentCondition s:
                return s.IsIn == facts.Segments.Contains(s.SegmentId);
            default:
                throw new ArgumentOutOfRangeException(nameof(node), node.GetType().Name, "Unknown node type.");
        }
    }

    private static bool EventHolds(EventCondition condition, IReadOnlyList<SegmentEventFact> events, DateTime now)
    {
        var (from, to) = WindowBounds(condition.Window, now);
        var aggregate = condition.Aggregate;
        var count = 0;
        var sum = new NumberSum();
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (!string.Equals(e.Name, condition.EventName, StringComparison.Ordinal)
                || (from is { } f && e.At < f) || (to is { } t && e.At > t) || !PropertiesPass(condition.Properties, e, now))
            {
                continue;
            }
            count++;
            if (aggregate is not null && SegmentValues.At(e.Properties, aggregate.Path) is { ValueKind: JsonValueKind.Number } number)
            {
                var x = number.GetDouble();
                sum.Add(x);
                min = Math.Min(min, x);
                max = Math.Max(max, x);
            }
        }
        var holds = CountPasses(condition.Count, count);
        if (holds && aggregate is not null)
        {
            double? value = aggregate.Function switch
            {
                AggregateFunction.Sum => sum.Sum,
                _ when sum.Count == 0 => null,
                AggregateFunction.Avg => sum.Average,
                AggregateFunction.Min => min,
                _ => max,
            };
            holds = value is { } v && SegmentValues.PassesNumber(aggregate.Test.Operator, v, aggregate.Test.Number, aggregate.Test.NumberTo);
        }
        return condition.Performed ? holds : !holds;
    }

    private static bool PropertiesPass(IReadOnlyList<PropertyTest> tests, SegmentEventFact e, DateTime now)
    {
        for (var i = 0; i < tests.Count; i++)
        {
            if (!SegmentValues.Passes(tests[i].Test, SegmentValues.At(e.Properties, tests[i].Path), now))
            {
                return false;
            }
        }
        return true;
    }

    public static SegmentEvaluation Evaluate(SegmentRule rule, SegmentProfileFacts facts, DateTime now, Func<long, string?>? segmentName = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(facts);
        var explanation = Node(rule.Root, facts, SegmentValues.AsUtc(now), segmentName);
        return new SegmentEvaluation(explanation.Matched, explanation);
    }

    private static SegmentExplanation Node(SegmentNode node, SegmentProfileFacts facts, DateTime now, Func<long, string?>? segmentName) => node switch
    {
        GroupNode group => Group(group, facts, now, segmentName),
        AttributeCondition a => Attribute(a, facts, now),
        EventCondition e => Event(e, facts, now),
        IdentityCondition i => Identity(i, facts),
        SegmentCondition s => Segment(s, facts, segmentName),
        _ => throw new ArgumentOutOfRangeException(nameof(node), node.GetType().Name, "Unknown node type."),
    };

    private static SegmentExplanation Group(GroupNode group, SegmentProfileFacts facts, DateTime now, Func<long, string?>? segmentName)
    {
        var children = group.Children.Select(c => Node(c, facts, now, segmentName)).ToList();
        var holding = children.Count(c => c.Matched);
        var (matched, text) = group.Kind switch
        {
            GroupKind.AllOf => (holding == children.Count, "all of"),
            GroupKind.AnyOf => (holding > 0, "any of"),
            _ => (holding == 0, "none of"),
        };
        return new SegmentExplanation(group.Id, matched, text, $"{holding} of {children.Count} hold", children);
    }

    private static SegmentExplanation Attribute(AttributeCondition condition, SegmentProfileFacts facts, DateTime now)
    {
        JsonElement? value = facts.Attributes.TryGetValue(condition.Path, out var v) ? v : null;
        var matched = SegmentValues.Passes(condition.Test, value, now);
        var detail = value is { } present ? "value: " + DisplayFormat.Value(present) : "no value";
        if (value is { } d && condition.Test.Type == ValueTestType.Date && condition.Test.Operator is not (ValueOperator.Exists or ValueOperator.NotExists))
        {
            detail += d.ValueKind == JsonValueKind.String && SegmentValues.TryParseDateMs(d.GetString()!, out var ms)
                ? $", {DisplayFormat.ExactTime(SegmentValues.FromMs(ms))}"
                : ", not a date";
        }
        return Leaf(condition, matched, detail);
    }

    /// <summary>The events a condition counts: its name, its window at <paramref name="now"/>, every property test.</summary>
    internal static List<SegmentEventFact> Counted(EventCondition condition, IEnumerable<SegmentEventFact> events, DateTime now)
    {
        var (from, to) = WindowBounds(condition.Window, now);
        return events
            .Where(e => string.Equals(e.Name, condition.EventName, StringComparison.Ordinal)
                        && (from is null || e.At >= from) && (to is null || e.At <= to)
                        && condition.Properties.All(p => SegmentValues.Passes(p.Test, SegmentValues.At(e.Properties, p.Path), now)))
            .ToList();
    }

    /// <summary>The window's inclusive bounds at <paramref name="now"/> (null: open); the same instants the SQL path binds.</summary>
    public static (DateTime? From, DateTime? To) WindowBounds(EventWindow? window, DateTime now) => window switch
    {
        null => (null, null),
        { Kind: WindowKind.LastHours, Amount: { } h } => (now.AddHours(-h), now),
        { Kind: WindowKind.LastDays, Amount: { } d } => (now.AddDays(-d), now),
        { Kind: WindowKind.Between, From: { } f, To: { } t } => (SegmentValues.AsUtc(f), SegmentValues.AsUtc(t)),
        _ => (DateTime.MaxValue, DateTime.MinValue), // incomplete: counts nothing (the validator refuses it)
    };

    /// <summary>The aggregate over counted events, or null when it has no value (avg / min / max of no numeric value).</summary>
    internal static double? Aggregate(EventAggregate aggregate, IReadOnlyList<SegmentEventFact> counted)
    {
        var numbers = counted
            .Select(e => SegmentValues.At(e.Properties, aggregate.Path))
            .Where(v => v is { ValueKind: JsonValueKind.Number })
            .Select(v => v!.Value.GetDouble())
            .ToList();
        var sum = new NumberSum();
        foreach (var x in numbers)
        {
            sum.Add(x);
        }
        return aggregate.Function switch
        {
            AggregateFunction.Sum => sum.Sum,
            _ when numbers.Count == 0 => null,
            AggregateFunction.Avg => sum.Average,
            AggregateFunction.Min => numbers.Min(),
            _ => numbers.Max(),
        };
    }

    internal static bool CountPasses(EventCount? count, int n) => count switch
    {
        null => n >= 1,
        { Operator: CountOperator.AtLeast } => n >= count.Times,
        { Operator: CountOperator.AtMost } => n <= count.Times,
        _ => n == count.Times,
    };

    private static SegmentExplanation Event(EventCondition condition, SegmentProfileFacts facts, DateTime now)
    {
        var counted = Counted(condition, facts.Events, now);
        var performed = CountPasses(condition.Count, counted.Count);
        var detail = counted.Count switch
        {
            0 => "no such event",
            1 => $"1 time, at {DisplayFormat.TimeUtc(counted[0].At)}",
            _ => $"{counted.Count.ToString("N0", CultureInfo.InvariantCulture)} times, {DisplayFormat.TimeUtc(counted.Min(e => e.At))} to {DisplayFormat.TimeUtc(counted.Max(e => e.At))}",
        };
        if (condition.Aggregate is { } aggregate)
        {
            var value = Aggregate(aggregate, counted);
            performed &= value is { } x && SegmentValues.PassesNumber(aggregate.Test.Operator, x, aggregate.Test.Number, aggregate.Test.NumberTo);
            var name = aggregate.Function.ToString().ToLowerInvariant();
            detail += value is { } shown ? $"; {name} of {aggregate.Path}: {SegmentValues.Number(shown)}" : $"; no numeric {aggregate.Path}";
        }
        return Leaf(condition, condition.Performed ? performed : !performed, detail);
    }

    private static SegmentExplanation Identity(IdentityCondition condition, SegmentProfileFacts facts)
    {
        var values = facts.Identities.TryGetValue(condition.Namespace, out var list) ? list : [];
        var detail = values.Count == 0 ? "none" : string.Join(", ", values.Take(3)) + (values.Count > 3 ? $" and {values.Count - 3} more" : "");
        return Leaf(condition, condition.Has == values.Count > 0, detail);
    }

    private static SegmentExplanation Segment(SegmentCondition condition, SegmentProfileFacts facts, Func<long, string?>? segmentName)
    {
        var member = facts.Segments.Contains(condition.SegmentId);
        return new SegmentExplanation(condition.Id, condition.IsIn == member, Phrase(condition, segmentName),
            member ? "a current member" : "not a member", []);
    }

    private static SegmentExplanation Leaf(SegmentNode node, bool matched, string detail) =>
        new(node.Id, matched, Phrase(node, null), detail, []);

    // The sentence's phrase without its relative pronoun: "country is France", "performed Order Completed …".
    private static string Phrase(SegmentNode node, Func<long, string?>? segmentName)
    {
        var text = SegmentSentence.Condition(node, segmentName);
        foreach (var prefix in new[] { "whose ", "who " })
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal))
            {
                return text[prefix.Length..];
            }
        }
        return text;
    }
}
