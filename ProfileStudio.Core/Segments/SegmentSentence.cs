using System.Globalization;
using ProfileStudio.Core.Formatting;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// A rule in plain English: "People whose country is France and who performed Order Completed at least
/// 2 times in the last 30 days". Nested groups of several children are put in parentheses; "any of" reads
/// "who either … or …" (or "either … or …" when its clauses do not all start with "who"); "none of" reads "who match none of (…; …)". The same phrases label the explanation.
/// </summary>
public static class SegmentSentence
{
    /// <summary>The whole rule; <paramref name="segmentName"/> names referenced segments (else "segment #id").</summary>
    public static string Describe(SegmentRule rule, Func<long, string?>? segmentName = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Root is GroupNode { Children.Count: 0 })
        {
            return "No condition yet: add one to say who is in the segment."; // a new segment (which cannot be saved like this)
        }
        return "People " + Clause(rule.Root, nested: false, segmentName);
    }

    /// <summary>One node as the clause that follows "People" (a group with its children).</summary>
    public static string Clause(SegmentNode node, bool nested, Func<long, string?>? segmentName = null) => node switch
    {
        GroupNode group => Group(group, nested, segmentName),
        _ => Condition(node, segmentName),
    };

    private static string Group(GroupNode group, bool nested, Func<long, string?>? segmentName)
    {
        var parts = group.Children.Select(c => Clause(c, nested: true, segmentName)).ToList();
        if (parts.Count == 0)
        {
            return group.Kind == GroupKind.AnyOf ? "matching an empty \"any of\" group (no one)" : "without conditions (everyone)";
        }
        if (group.Kind == GroupKind.NoneOf)
        {
            return "who match none of (" + string.Join("; ", parts) + ")";
        }
        if (parts.Count == 1)
        {
            return parts[0];
        }
        var text = group.Kind == GroupKind.AllOf ? Join(parts, "and") : Either(parts);
        return nested ? "(" + text + ")" : text;
    }

    // "who either performed A or performed B", not "either who performed A or who performed B"; clauses that do not all
    // start with "who" keep their own words ("either whose country is France or who performed …").
    private static string Either(IReadOnlyList<string> parts) => parts.All(p => p.StartsWith("who ", StringComparison.Ordinal))
        ? "who either " + Join(parts.Select(p => p["who ".Length..]).ToList(), "or")
        : "either " + Join(parts, "or");

    /// <summary>One condition: "whose country is France", "who performed Order Completed at least once".</summary>
    public static string Condition(SegmentNode node, Func<long, string?>? segmentName = null) => node switch
    {
        AttributeCondition a => $"whose {a.Path} {Test(a.Test)}",
        EventCondition e => Event(e),
        IdentityCondition i => i.Has ? $"who have {Article(i.Namespace)} {i.Namespace} identifier" : $"who have no {i.Namespace} identifier",
        SegmentCondition s => $"who are {(s.IsIn ? "" : "not ")}in {SegmentName(s.SegmentId, segmentName)}",
        GroupNode g => Group(g, nested: true, segmentName),
        _ => throw new ArgumentOutOfRangeException(nameof(node), node.GetType().Name, "Unknown node type."),
    };

    private static string SegmentName(long id, Func<long, string?>? segmentName) =>
        id <= 0 ? "a segment not chosen yet" // a new "is in segment" condition
        : segmentName?.Invoke(id) is { Length: > 0 } name ? $"segment {name}" : $"segment #{id}";

    private static string Event(EventCondition e)
    {
        var text = (e.Performed ? "who performed " : "who did not perform ") + e.EventName;
        if (e.Properties.Count > 0)
        {
            text += " (" + string.Join(", ", e.Properties.Select(p => $"{p.Path} {Test(p.Test)}")) + ")";
        }
        if (e.Count is { } count)
        {
            text += " " + Count(count);
        }
        if (e.Window is { } window)
        {
            text += " " + Window(window);
        }
        if (e.Aggregate is { } aggregate)
        {
            var function = aggregate.Function switch
            {
                AggregateFunction.Sum => "a total",
                AggregateFunction.Avg => "an average",
                AggregateFunction.Min => "a smallest",
                _ => "a largest",
            };
            text += $", with {function} {aggregate.Path} that {Test(aggregate.Test)}";
        }
        return text;
    }

    public static string Count(EventCount count)
    {
        var op = count.Operator switch
        {
            CountOperator.AtLeast => "at least",
            CountOperator.AtMost => "at most",
            _ => "exactly",
        };
        return $"{op} {Times(count.Times)}";
    }

    private static string Times(int n) => n switch
    {
        1 => "once",
        2 => "twice",
        _ => $"{Number(n)} times",
    };

    public static string Window(EventWindow window) => window.Kind switch
    {
        WindowKind.LastHours => window.Amount == 1 ? "in the last hour" : $"in the last {Number(window.Amount)} hours",
        WindowKind.LastDays => window.Amount == 1 ? "in the last day" : $"in the last {Number(window.Amount)} days",
        _ => $"between {Instant(window.From)} and {Instant(window.To)}",
    };

    /// <summary>
    /// A count or window size as people read it; "?" for what the builder's number fields hand on for text that is no whole
    /// number or one beyond an int (<c>int.MinValue</c>, <c>int.MaxValue</c>), which is not the number typed.
    /// </summary>
    private static string Number(int? n) => n switch
    {
        null or int.MinValue or int.MaxValue => "?",
        _ => n.Value.ToString("N0", CultureInfo.InvariantCulture),
    };

    /// <summary>The test as a verb phrase: "is France", "is set and is not France", "is between 1 and 5".</summary>
    public static string Test(ValueTest test) => test.Operator switch
    {
        ValueOperator.Exists => "is set",
        ValueOperator.NotExists => "is not set",
        ValueOperator.Equals => $"is {Value(test, test.Text, test.Number)}",
        // Said in full: a person without the value is not included (the NotEquals trap other tools fall into).
        ValueOperator.NotEquals => $"is set and is not {Value(test, test.Text, test.Number)}",
        ValueOperator.Contains => $"contains \"{test.Text}\"",
        ValueOperator.StartsWith => $"starts with \"{test.Text}\"",
        ValueOperator.EndsWith => $"ends with \"{test.Text}\"",
        ValueOperator.InList => "is one of " + Join((test.Texts ?? []).Select(t => t.Length == 0 ? "\"\"" : t).ToList(), "or"),
        ValueOperator.LessThan => $"is less than {Num(test.Number)}",
        ValueOperator.LessOrEqual => $"is at most {Num(test.Number)}",
        ValueOperator.GreaterThan => $"is more than {Num(test.Number)}",
        ValueOperator.GreaterOrEqual => $"is at least {Num(test.Number)}",
        ValueOperator.Between when test.Type == ValueTestType.Date => $"is between {Instant(test.Date)} and {Instant(test.DateTo)}",
        ValueOperator.Between => $"is between {Num(test.Number)} and {Num(test.NumberTo)}",
        ValueOperator.IsTrue => "is true",
        ValueOperator.IsFalse => "is false",
        ValueOperator.Before => $"is before {Instant(test.Date)}",
        ValueOperator.After => $"is after {Instant(test.Date)}",
        ValueOperator.WithinLastDays => test.Days == 1 ? "is within the last day" : $"is within the last {test.Days} days",
        ValueOperator.WithinNextDays => test.Days == 1 ? "is within the next day" : $"is within the next {test.Days} days",
        ValueOperator.MoreThanDaysAgo => test.Days == 1 ? "is more than a day ago" : $"is more than {test.Days} days ago",
        _ => test.Operator.ToString(),
    };

    /// <summary>An aggregate as the builder's picker names it ("sum", "average"); the validator's messages name it so too.</summary>
    public static string Function(AggregateFunction function) => function switch
    {
        AggregateFunction.Sum => "sum",
        AggregateFunction.Avg => "average",
        AggregateFunction.Min => "minimum",
        AggregateFunction.Max => "maximum",
        _ => function.ToString(),
    };

    /// <summary>An operator as the builder's picker names it ("is", "≥", "between"); the validator's messages name it so too.</summary>
    public static string Operator(ValueOperator op) => op switch
    {
        ValueOperator.Equals => "is",
        ValueOperator.NotEquals => "is not",
        ValueOperator.Contains => "contains",
        ValueOperator.StartsWith => "starts with",
        ValueOperator.EndsWith => "ends with",
        ValueOperator.InList => "is one of",
        ValueOperator.Exists => "is set",
        ValueOperator.NotExists => "is not set",
        ValueOperator.LessThan => "<",
        ValueOperator.LessOrEqual => "≤",
        ValueOperator.GreaterThan => ">",
        ValueOperator.GreaterOrEqual => "≥",
        ValueOperator.Between => "between",
        ValueOperator.IsTrue => "is true",
        ValueOperator.IsFalse => "is false",
        ValueOperator.Before => "before",
        ValueOperator.After => "after",
        ValueOperator.WithinLastDays => "within the last … days",
        ValueOperator.WithinNextDays => "within the next … days",
        ValueOperator.MoreThanDaysAgo => "more than … days ago",
        _ => op.ToString(),
    };

    private static string Value(ValueTest test, string? text, double? number) =>
        test.Type == ValueTestType.Number ? Num(number) : text is { Length: 0 } ? "\"\"" : text ?? "?";

    private static string Num(double? n) => n is { } v ? SegmentValues.Number(v) : "?";

    /// <summary>
    /// A rule's time: the day alone at midnight UTC or at the day's last millisecond (a whole day picked in the editor:
    /// "between 1 Mar and 31 Mar", "after 31 Mar"), else the minute (or the exact time when it has seconds).
    /// </summary>
    public static string Instant(DateTime? at)
    {
        if (at is not { } value)
        {
            return "?";
        }
        var utc = SegmentValues.AsUtc(value);
        return SegmentRuleEdits.IsDayEdge(utc) ? DisplayFormat.Date(utc)
            : utc.Second == 0 && utc.Millisecond == 0 ? DisplayFormat.TimeUtc(utc)
            : DisplayFormat.ExactTime(utc);
    }

    private static string Join(IReadOnlyList<string> parts, string last) => parts.Count switch
    {
        0 => "",
        1 => parts[0],
        _ => string.Join(", ", parts.Take(parts.Count - 1)) + $" {last} " + parts[^1],
    };

    /// <summary>"a" or "an" before a word as it is said: "an email", "an anonymous_id", but "a user_id", "a unique_id".</summary>
    public static string Article(string word)
    {
        if (word.Length == 0 || !"aeiouAEIOU".Contains(word[0]))
        {
            return "a";
        }
        // A "u" said "you" (user, unique, usual, utility, uri) takes "a"; "one" too.
        var lower = word.ToLowerInvariant();
        return lower.StartsWith("one", StringComparison.Ordinal)
            || lower.Length > 2 && lower[0] == 'u' && !"aeiou".Contains(lower[1]) && "aeiou".Contains(lower[2])
            ? "a" : "an";
    }
}
