using System.Text.RegularExpressions;

namespace ProfileStudio.Core.Segments;

/// <summary>One thing wrong with a rule, at the node the builder highlights.</summary>
public sealed record SegmentRuleProblem(string NodeId, string Message)
{
    /// <summary>
    /// A number test has no number ("\">\" needs a number."). The builder's number box hands on none for text it cannot read
    /// ("abc", "1e309") and says why under itself, more clearly: the builder leaves this message out then (for that test only).
    /// </summary>
    public bool NumberMissing { get; init; }

    /// <summary>Which of the node's value tests a <see cref="NumberMissing"/> problem is about: <see cref="TestPart"/>'s names.</summary>
    public string Part { get; init; } = TestPart.Attribute;
}

/// <summary>The names of a condition's value tests, by which the builder's number boxes and the validator's problems meet.</summary>
public static class TestPart
{
    /// <summary>An attribute condition's one test.</summary>
    public const string Attribute = "";

    /// <summary>An event condition's aggregate test.</summary>
    public const string Aggregate = "aggregate";

    /// <summary>An event condition's property condition at <paramref name="index"/>.</summary>
    public static string Property(int index) => $"property {index}";
}

/// <summary>
/// Whether a rule can be saved, with one clear message per problem, each at its node id (the builder
/// shows them inline). An empty list means valid. Cycles between segments need the other segments'
/// rules: <see cref="SegmentCycles"/>.
/// </summary>
public static partial class SegmentRuleValidator
{
    public const int MaxDepth = 20;
    public const int MaxNodes = 500;
    public const int MaxListValues = 1_000;
    public const int MaxTextLength = 1_000;
    public const int MaxPathLength = Profiles.PropertyPaths.MaxLength;
    public const int MaxIdLength = 64;
    public const int MaxDays = 36_500;
    public const int MaxHours = 24 * 36_500;
    public const int MaxTimes = 1_000_000;


    public static IReadOnlyList<SegmentRuleProblem> Validate(SegmentRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var problems = new List<SegmentRuleProblem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        Node(rule.Root, 1, problems, ids, ref count);
        if (count > MaxNodes)
        {
            problems.Add(new SegmentRuleProblem(rule.Root.Id ?? "", $"The rule has {count} nodes; at most {MaxNodes} are allowed."));
        }
        return problems;
    }

    /// <summary>
    /// What saves but does not do what it seems to, each at its node: a condition on a draft or disabled segment, which
    /// nobody is in, so "are in" it matches nobody and "are not in" it everybody. <paramref name="segment"/> gives a
    /// referenced segment's name and status (null: no such segment, a problem <see cref="SegmentStore.ValidateAsync"/> names).
    /// </summary>
    public static IReadOnlyList<SegmentRuleProblem> Warnings(SegmentRule rule, Func<long, (string Name, SegmentStatus Status)?> segment)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(segment);
        var warnings = new List<SegmentRuleProblem>();
        foreach (var reference in SegmentRuleWalk.Nodes(rule.Root).OfType<SegmentCondition>())
        {
            if (segment(reference.SegmentId) is { } target && NobodyIn(target.Status) is { } why)
            {
                warnings.Add(new SegmentRuleProblem(reference.Id, $"\"{target.Name}\" is {(target.Status == SegmentStatus.Draft ? "a " : "")}{why}, so this condition matches {(reference.IsIn ? "nobody" : "everybody")}."));
            }
        }
        return warnings;
    }

    /// <summary>
    /// Why nobody is in a segment of <paramref name="status"/> ("draft: nobody is in it until it is activated"), as the
    /// builder's segment picker and <see cref="Warnings"/> say it; null for an active segment.
    /// </summary>
    public static string? NobodyIn(SegmentStatus status) => status switch
    {
        SegmentStatus.Active => null,
        SegmentStatus.Disabled => "disabled: nobody is in it until it is activated again",
        _ => "draft: nobody is in it until it is activated",
    };

    private static void Node(SegmentNode? node, int depth, List<SegmentRuleProblem> problems, HashSet<string> ids, ref int count)
    {
        if (node is null)
        {
            problems.Add(new SegmentRuleProblem("", "A node is missing (null)."));
            return;
        }
        count++;
        var id = node.Id ?? "";
        void Problem(string message) => problems.Add(new SegmentRuleProblem(id, message));
        Action<string> NumberMissing(string part) => message => problems.Add(new SegmentRuleProblem(id, message) { NumberMissing = true, Part = part });

        if (string.IsNullOrWhiteSpace(node.Id))
        {
            Problem("A node has no id.");
        }
        else if (node.Id.Length > MaxIdLength)
        {
            Problem($"The node id is longer than {MaxIdLength} characters.");
        }
        else if (!ids.Add(node.Id))
        {
            Problem($"The node id \"{node.Id}\" is used twice; every node needs its own.");
        }

        switch (node)
        {
            case GroupNode group:
                if (depth > MaxDepth)
                {
                    Problem($"Groups are nested more than {MaxDepth} deep.");
                    return;
                }
                if (!Enum.IsDefined(group.Kind))
                {
                    Problem("The group is neither \"all of\", \"any of\" nor \"none of\".");
                }
                if (group.Children is null || group.Children.Count == 0)
                {
                    // The top group cannot be removed: a new segment starts here, and is told what to do next.
                    Problem(depth == 1 ? "Add a condition to say who is in the segment." : $"The \"{GroupName(group.Kind)}\" group is empty: add a condition or remove the group.");
                    return;
                }
                foreach (var child in group.Children)
                {
                    Node(child, depth + 1, problems, ids, ref count);
                }
                break;
            case AttributeCondition attribute:
                Path(attribute.Path, "attribute", Problem);
                Test(attribute.Test, "", Problem, NumberMissing(TestPart.Attribute));
                break;
            case EventCondition e:
                Event(e, Problem, NumberMissing);
                break;
            case IdentityCondition identity:
                if (string.IsNullOrWhiteSpace(identity.Namespace))
                {
                    Problem("Choose an identity namespace.");
                }
                else if (identity.Namespace.Length > 64)
                {
                    Problem("The identity namespace is longer than 64 characters.");
                }
                break;
            case SegmentCondition segment:
                if (segment.SegmentId <= 0)
                {
                    Problem("Choose a segment.");
                }
                break;
        }
    }

    private static void Event(EventCondition e, Action<string> problem, Func<string, Action<string>> numberMissing)
    {
        if (string.IsNullOrWhiteSpace(e.EventName))
        {
            problem("Choose an event.");
        }
        else if (e.EventName.Length > MaxTextLength)
        {
            problem($"The event name is longer than {MaxTextLength} characters.");
        }
        var index = -1;
        foreach (var property in e.Properties ?? [])
        {
            index++;
            if (property is null)
            {
                problem("A property condition is missing (null).");
                continue;
            }
            Path(property.Path, "property", problem);
            Test(property.Test, $"property {property.Path}: ", problem, numberMissing(TestPart.Property(index)));
        }
        if (e.Count is { } count)
        {
            if (!Enum.IsDefined(count.Operator))
            {
                problem("The count is neither \"at least\", \"at most\" nor \"exactly\".");
            }
            var min = count.Operator == CountOperator.AtLeast ? 1 : 0;
            if (count.Times < min || count.Times > MaxTimes)
            {
                problem(count.Operator == CountOperator.AtLeast && count.Times == 0
                    ? "\"At least 0 times\" always holds: use 1 or more."
                    : $"The number of times must be between {min} and {MaxTimes:N0}{Echo(count.Times)}.");
            }
        }
        if (e.Window is { } window)
        {
            switch (window.Kind)
            {
                case WindowKind.LastDays:
                    Range(window.Amount, 1, MaxDays, "days in the window", problem);
                    break;
                case WindowKind.LastHours:
                    Range(window.Amount, 1, MaxHours, "hours in the window", problem);
                    break;
                case WindowKind.Between:
                    if (window.From is not { } from || window.To is not { } to)
                    {
                        problem("A window between two dates needs both dates.");
                    }
                    else if (SegmentValues.AsUtc(from) > SegmentValues.AsUtc(to))
                    {
                        problem($"The window starts ({SegmentSentence.Instant(from)}) after it ends ({SegmentSentence.Instant(to)}).");
                    }
                    break;
                default:
                    problem("The window is neither \"last N hours\", \"last N days\" nor \"between\".");
                    break;
            }
        }
        if (e.Aggregate is { } aggregate)
        {
            if (!Enum.IsDefined(aggregate.Function))
            {
                problem("The aggregate is neither sum, average, minimum nor maximum.");
            }
            Path(aggregate.Path, "aggregated property", problem);
            if (aggregate.Test is null || aggregate.Test.Type != ValueTestType.Number
                || aggregate.Test.Operator is ValueOperator.Exists or ValueOperator.NotExists)
            {
                problem("An aggregate is compared as a number (=, ≠, <, ≤, >, ≥ or between).");
            }
            else
            {
                Test(aggregate.Test, $"{SegmentSentence.Function(aggregate.Function)} of {aggregate.Path}: ", problem, numberMissing(TestPart.Aggregate));
            }
        }
    }

    private static void Path(string? path, string what, Action<string> problem)
    {
        if (Profiles.PropertyPaths.Problem(path, what) is { } message)
        {
            problem(message);
        }
    }

    /// <summary>Which operators each type offers (the builder's operator picker reads this too).</summary>
    public static IReadOnlyList<ValueOperator> Operators(ValueTestType type) => type switch
    {
        ValueTestType.Text =>
        [
            ValueOperator.Equals, ValueOperator.NotEquals, ValueOperator.Contains, ValueOperator.StartsWith,
            ValueOperator.EndsWith, ValueOperator.InList, ValueOperator.Exists, ValueOperator.NotExists,
        ],
        ValueTestType.Number =>
        [
            ValueOperator.Equals, ValueOperator.NotEquals, ValueOperator.LessThan, ValueOperator.LessOrEqual,
            ValueOperator.GreaterThan, ValueOperator.GreaterOrEqual, ValueOperator.Between, ValueOperator.Exists, ValueOperator.NotExists,
        ],
        ValueTestType.Boolean => [ValueOperator.IsTrue, ValueOperator.IsFalse, ValueOperator.Exists, ValueOperator.NotExists],
        ValueTestType.Date =>
        [
            ValueOperator.Before, ValueOperator.After, ValueOperator.Between, ValueOperator.WithinLastDays,
            ValueOperator.WithinNextDays, ValueOperator.MoreThanDaysAgo, ValueOperator.Exists, ValueOperator.NotExists,
        ],
        _ => [],
    };

    private static void Test(ValueTest? test, string prefix, Action<string> problem, Action<string> numberMissing)
    {
        if (test is null)
        {
            problem(prefix + "The condition has no test.");
            return;
        }
        if (!Enum.IsDefined(test.Type))
        {
            problem(prefix + "The value type is neither text, number, boolean nor date.");
            return;
        }
        if (!Operators(test.Type).Contains(test.Operator))
        {
            problem(prefix + $"The operator \"{SegmentSentence.Operator(test.Operator)}\" does not apply to a {test.Type.ToString().ToLowerInvariant()} value.");
            return;
        }
        void Missing(string what, Action<string>? said = null) => (said ?? problem)(prefix + $"\"{SegmentSentence.Operator(test.Operator)}\" needs {what}.");
        switch (test.Operator)
        {
            case ValueOperator.Exists or ValueOperator.NotExists or ValueOperator.IsTrue or ValueOperator.IsFalse:
                break;
            case ValueOperator.Equals or ValueOperator.NotEquals when test.Type == ValueTestType.Text:
                if (test.Text is null)
                {
                    Missing("a text value");
                }
                else if (test.Text.Length > MaxTextLength)
                {
                    problem(prefix + $"The value is longer than {MaxTextLength} characters.");
                }
                break;
            case ValueOperator.Contains or ValueOperator.StartsWith or ValueOperator.EndsWith:
                if (string.IsNullOrEmpty(test.Text))
                {
                    Missing("a non-empty text value");
                }
                else if (test.Text.Length > MaxTextLength)
                {
                    problem(prefix + $"The value is longer than {MaxTextLength} characters.");
                }
                break;
            case ValueOperator.InList:
                if (test.Texts is null || test.Texts.Count == 0)
                {
                    Missing("at least one value");
                }
                else if (test.Texts.Count > MaxListValues)
                {
                    problem(prefix + $"The list has {test.Texts.Count:N0} values; at most {MaxListValues:N0} are allowed.");
                }
                else if (test.Texts.Any(t => t is null || t.Length > MaxTextLength))
                {
                    problem(prefix + $"Every value in the list must be a text of at most {MaxTextLength} characters.");
                }
                break;
            case ValueOperator.Between when test.Type == ValueTestType.Number:
                if ((Infinite(test.Number, "The low number") ?? Infinite(test.NumberTo, "The high number")) is { } tooLargeRange)
                {
                    problem(prefix + tooLargeRange);
                }
                else if (!Finite(test.Number) || !Finite(test.NumberTo))
                {
                    Missing("two numbers (low and high)", numberMissing);
                }
                else if (test.Number > test.NumberTo)
                {
                    problem(prefix + $"Between {SegmentValues.Number(test.Number!.Value)} and {SegmentValues.Number(test.NumberTo!.Value)}: the low value is above the high value.");
                }
                break;
            case ValueOperator.Between:
                if (test.Date is not { } low || test.DateTo is not { } high)
                {
                    Missing("two dates (from and to)");
                }
                else if (SegmentValues.AsUtc(low) > SegmentValues.AsUtc(high))
                {
                    problem(prefix + $"Between {SegmentSentence.Instant(low)} and {SegmentSentence.Instant(high)}: the first date is after the second.");
                }
                break;
            case ValueOperator.Before or ValueOperator.After:
                if (test.Date is null)
                {
                    Missing("a date");
                }
                break;
            case ValueOperator.WithinLastDays or ValueOperator.WithinNextDays or ValueOperator.MoreThanDaysAgo:
                Range(test.Days, 1, MaxDays, "days", m => problem(prefix + m));
                break;
            default: // number comparisons
                if (Infinite(test.Number, "The number") is { } tooLarge)
                {
                    problem(prefix + tooLarge);
                }
                else if (!Finite(test.Number))
                {
                    Missing("a number", numberMissing);
                }
                break;
        }
    }

    private static bool Finite(double? value) => value is { } v && double.IsFinite(v);

    // An infinite number (a rule built in code: JSON refuses 1e309 by its text) was a number, too large, not a missing one.
    private static string? Infinite(double? value, string what) =>
        value is { } v && double.IsInfinity(v) ? Formatting.NumberBounds.TooLarge(what, v < 0, Formatting.NumberBounds.DoubleMax) : null;

    private static void Range(int? value, int min, int max, string what, Action<string> problem)
    {
        if (value is not { } n)
        {
            problem($"Give the number of {what}.");
        }
        else if (n < min || n > max)
        {
            problem($"The number of {what} must be between {min} and {max:N0}{Echo(n)}.");
        }
    }

    // The builder's number fields hold a number too large for an int, or text that is no whole number, as int's bounds:
    // "(it is 2147483647)" would name a number nobody typed.
    private static string Echo(int n) => n switch
    {
        int.MinValue => " (type a whole number)",
        int.MaxValue => " (what was typed is far beyond that)",
        _ => $" (it is {n})",
    };

    private static string GroupName(GroupKind kind) => kind switch
    {
        GroupKind.AllOf => "all of",
        GroupKind.AnyOf => "any of",
        _ => "none of",
    };
}

/// <summary>
/// Segment references must not loop (A is in B, B is not in A): such a rule has no meaning. Checked when a
/// segment is saved, against the rules of all other segments.
/// </summary>
public static class SegmentCycles
{
    /// <summary>
    /// The first cycle among <paramref name="rules"/> as the path of segment ids that closes it
    /// (<c>[3, 5, 3]</c>), or null. Deterministic: segments are visited in id order.
    /// </summary>
    public static IReadOnlyList<long>? Find(IReadOnlyDictionary<long, SegmentRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var references = rules.ToDictionary(r => r.Key, r => SegmentDependencies.Of(r.Value).SegmentIds.Order().ToList());
        var state = new Dictionary<long, bool>(); // false: on the current path; true: done
        var path = new List<long>();

        List<long>? Visit(long id)
        {
            if (state.TryGetValue(id, out var done))
            {
                return done ? null : path.Skip(path.IndexOf(id)).Append(id).ToList();
            }
            state[id] = false;
            path.Add(id);
            foreach (var next in references.GetValueOrDefault(id) ?? [])
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[id] = true;
            return null;
        }

        foreach (var id in references.Keys.Order())
        {
            if (Visit(id) is { } cycle)
            {
                return cycle;
            }
        }
        return null;
    }

    /// <summary>
    /// The problem with saving <paramref name="rule"/> as segment <paramref name="segmentId"/> next to the
    /// stored <paramref name="others"/>, or null: a cycle through it, named as a path, at the node that refers
    /// to the first segment of the cycle.
    /// </summary>
    public static SegmentRuleProblem? Check(long segmentId, SegmentRule rule, IReadOnlyDictionary<long, SegmentRule> others, Func<long, string?>? segmentName = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(others);
        var all = new Dictionary<long, SegmentRule>(others) { [segmentId] = rule };
        // Only cycles through the saved segment are its fault; start the search there.
        var cycle = FindFrom(segmentId, all);
        if (cycle is null)
        {
            return null;
        }
        var node = SegmentRuleWalk.Nodes(rule.Root).OfType<SegmentCondition>().First(c => c.SegmentId == cycle[1]);
        string Name(long id) => segmentName?.Invoke(id) is { Length: > 0 } name ? $"{name} (#{id})" : $"#{id}";
        var text = string.Join(" → ", cycle.Select(Name));
        return new SegmentRuleProblem(node.Id, cycle.Count == 2
            ? $"A segment cannot refer to itself: {text}."
            : $"This reference makes a cycle of segments: {text}. Remove one of the references.");
    }

    private static List<long>? FindFrom(long start, IReadOnlyDictionary<long, SegmentRule> rules)
    {
        var references = rules.ToDictionary(r => r.Key, r => SegmentDependencies.Of(r.Value).SegmentIds.Order().ToList());
        var seen = new HashSet<long>();
        var path = new List<long> { start };

        List<long>? Visit(long id)
        {
            foreach (var next in references.GetValueOrDefault(id) ?? [])
            {
                if (next == start)
                {
                    return [.. path, start];
                }
                if (seen.Add(next))
                {
                    path.Add(next);
                    if (Visit(next) is { } cycle)
                    {
                        return cycle;
                    }
                    path.RemoveAt(path.Count - 1);
                }
            }
            return null;
        }

        return Visit(start);
    }
}
