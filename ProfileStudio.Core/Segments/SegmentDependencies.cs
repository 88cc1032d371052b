using System.Runtime.CompilerServices;
using System.Text.Json;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// What a rule reads, so streaming evaluation re-evaluates a segment for a profile only when one of these
/// changed (an index from attribute keys / event names / namespaces / segments to segments), and schedules
/// clock re-checks only for time-dependent rules.
/// </summary>
public sealed record SegmentDependencies(
    IReadOnlySet<string> AttributeKeys,
    IReadOnlySet<string> EventNames,
    IReadOnlySet<string> IdentityNamespaces,
    IReadOnlySet<long> SegmentIds,
    bool IsTimeDependent)
{
    public static SegmentDependencies Of(SegmentRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var attributes = new SortedSet<string>(StringComparer.Ordinal);
        var events = new SortedSet<string>(StringComparer.Ordinal);
        var namespaces = new SortedSet<string>(StringComparer.Ordinal);
        var segments = new SortedSet<long>();
        var timeDependent = false;
        foreach (var node in SegmentRuleWalk.Nodes(rule.Root))
        {
            switch (node)
            {
                case AttributeCondition a:
                    attributes.Add(a.Path);
                    timeDependent |= IsRelative(a.Test);
                    break;
                case EventCondition e:
                    events.Add(e.EventName);
                    timeDependent |= e.Window?.Kind is WindowKind.LastDays or WindowKind.LastHours || e.Properties.Any(p => IsRelative(p.Test));
                    break;
                case IdentityCondition i:
                    namespaces.Add(i.Namespace);
                    break;
                case SegmentCondition s:
                    segments.Add(s.SegmentId);
                    break;
            }
        }
        return new SegmentDependencies(attributes, events, namespaces, segments, timeDependent);
    }

    /// <summary>A test whose result moves with "now".</summary>
    public static bool IsRelative(ValueTest test) =>
        test.Type == ValueTestType.Date && test.Operator is ValueOperator.WithinLastDays or ValueOperator.WithinNextDays or ValueOperator.MoreThanDaysAgo;

    /// <summary>
    /// The earliest instant after <paramref name="now"/> at which some condition of the rule may change
    /// its result for this profile by the clock alone (an event leaves or enters a window, a date attribute
    /// crosses "N days ago"), or null when nothing changes without new data. The rule's result can only
    /// change at such instants, so a scheduler re-evaluates the profile then (not before). Other segments'
    /// changes come through their own memberships, not the clock.
    /// </summary>
    public static DateTime? NextClockChange(SegmentRule rule, SegmentProfileFacts facts, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(facts);
        now = SegmentValues.AsUtc(now);
        DateTime? next = null;
        void Consider(DateTime at)
        {
            if (at > now && (next is null || at < next))
            {
                next = at;
            }
        }
        foreach (var node in ClockNodes.GetValue(rule, ClockNodesOf))
        {
            switch (node)
            {
                case AttributeCondition a when facts.Attributes.TryGetValue(a.Path, out var value):
                    foreach (var at in DateCrossings(a.Test, value))
                    {
                        Consider(at);
                    }
                    break;
                case EventCondition e:
                    EventCrossings(e, facts, now, Consider);
                    break;
            }
        }
        return next;
    }

    /// <summary>The conditions the clock can flip, per rule (walked once, not for every profile at every evaluation).</summary>
    private static readonly ConditionalWeakTable<SegmentRule, SegmentNode[]> ClockNodes = new();

    private static SegmentNode[] ClockNodesOf(SegmentRule rule) =>
        SegmentRuleWalk.Nodes(rule.Root).Where(n => n is EventCondition || n is AttributeCondition a && IsRelative(a.Test)).ToArray();

    /// <summary>
    /// The instants at which a relative date test flips for a value: its accepted range of "now" in
    /// milliseconds starts at one and ends one millisecond after the other (now is truncated to ms).
    /// </summary>
    private static IEnumerable<DateTime> DateCrossings(ValueTest test, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String || !SegmentValues.TryParseDateMs(value.GetString()!, out var v) || test.Days is not { } days)
        {
            yield break;
        }
        var n = days * SegmentValues.MillisecondsPerDay;
        switch (test.Operator)
        {
            case ValueOperator.WithinLastDays: // v ≤ now ≤ v + n
                yield return SegmentValues.FromMs(v);
                yield return SegmentValues.FromMs(v + n + 1);
                break;
            case ValueOperator.WithinNextDays: // v − n ≤ now ≤ v
                yield return SegmentValues.FromMs(v - n);
                yield return SegmentValues.FromMs(v + 1);
                break;
            case ValueOperator.MoreThanDaysAgo: // now > v + n
                yield return SegmentValues.FromMs(v + n + 1);
                break;
        }
    }

    private static void EventCrossings(EventCondition condition, SegmentProfileFacts facts, DateTime now, Action<DateTime> consider)
    {
        // Property tests with relative dates: each candidate event's own crossings.
        foreach (var property in condition.Properties.Where(p => IsRelative(p.Test)))
        {
            foreach (var e in facts.Events.Where(e => string.Equals(e.Name, condition.EventName, StringComparison.Ordinal)))
            {
                if (SegmentValues.At(e.Properties, property.Path) is { } value)
                {
                    foreach (var at in DateCrossings(property.Test, value))
                    {
                        consider(at);
                    }
                }
            }
        }
        if (condition.Window is not { Kind: WindowKind.LastDays or WindowKind.LastHours, Amount: { } amount } window)
        {
            return;
        }
        var length = window.Kind == WindowKind.LastDays ? TimeSpan.FromDays(amount) : TimeSpan.FromHours(amount);
        // An event is counted while e.At ≤ now ≤ e.At + length: it enters at its own time and leaves one tick after.
        var named = condition.Properties.Count == 0
            ? facts.Events.Where(e => string.Equals(e.Name, condition.EventName, StringComparison.Ordinal))
            : facts.Events.Where(e => string.Equals(e.Name, condition.EventName, StringComparison.Ordinal)
                                      && condition.Properties.Where(p => !IsRelative(p.Test)).All(p => SegmentValues.Passes(p.Test, SegmentValues.At(e.Properties, p.Path), now)));
        if (condition.Aggregate is null && condition.Count is null or { Operator: CountOperator.AtLeast } && condition.Properties.All(p => !IsRelative(p.Test)))
        {
            // "At least n times" that does not hold now cannot come to hold as events leave the window: only an event still
            // to come can make it hold. So the exits of the events counted now need no check (most people are in no such
            // segment: a check per event-window segment for each of them was most of the consumer's clock-check writes).
            var counted = 0;
            foreach (var e in named)
            {
                if (e.At <= now && now.Ticks - e.At.Ticks <= length.Ticks)
                {
                    counted++;
                }
            }
            if (counted < (condition.Count?.Times ?? 1))
            {
                foreach (var e in named)
                {
                    if (e.At > now)
                    {
                        consider(e.At);
                    }
                }
                return;
            }
        }
        foreach (var e in named)
        {
            consider(e.At);
            if (e.At <= DateTime.MaxValue - length - TimeSpan.FromTicks(1))
            {
                consider(e.At + length + TimeSpan.FromTicks(1));
            }
        }
    }
}

/// <summary>Walks a rule tree depth first (the root first).</summary>
internal static class SegmentRuleWalk
{
    public static IEnumerable<SegmentNode> Nodes(SegmentNode root)
    {
        var stack = new Stack<SegmentNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            if (node is GroupNode group)
            {
                for (var i = group.Children.Count - 1; i >= 0; i--)
                {
                    stack.Push(group.Children[i]);
                }
            }
        }
    }
}
