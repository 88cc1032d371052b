using System.Security.Cryptography;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// The builder's edits of a rule tree, as pure functions over the immutable nodes: new blank nodes with fresh
/// ids, duplicate (a deep copy with fresh ids, so validation messages and explanations never point at two
/// nodes), move a child, change a value test's type or operator while keeping what still applies.
/// </summary>
public static class SegmentRuleEdits
{
    /// <summary>A fresh node id: short, URL- and CSS-safe, unique within any realistic rule.</summary>
    public static string NewId() => "n" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));

    /// <summary>The rule a new segment starts from: an empty "all of" group (the validator asks for a condition).</summary>
    public static SegmentRule NewRule() => new(NewGroup(GroupKind.AllOf));

    public static GroupNode NewGroup(GroupKind kind) => new(NewId(), kind, []);

    public static AttributeCondition NewAttribute() => new(NewId(), "", new ValueTest(ValueTestType.Text, ValueOperator.Equals));

    public static EventCondition NewEvent() => new(NewId(), "", Performed: true);

    public static IdentityCondition NewIdentity(string? @namespace = null) => new(NewId(), @namespace ?? "", Has: true);

    public static SegmentCondition NewSegmentReference() => new(NewId(), 0, IsIn: true);

    /// <summary>A deep copy of <paramref name="node"/> where every node has a fresh id.</summary>
    public static SegmentNode Duplicate(SegmentNode node) => node switch
    {
        GroupNode g => g with { Id = NewId(), Children = [.. g.Children.Select(Duplicate)] },
        AttributeCondition a => a with { Id = NewId() },
        EventCondition e => e with { Id = NewId() },
        IdentityCondition i => i with { Id = NewId() },
        SegmentCondition s => s with { Id = NewId() },
        _ => throw new ArgumentOutOfRangeException(nameof(node), node.GetType().Name, "Unknown node type."),
    };

    /// <summary>The group with <paramref name="child"/> appended.</summary>
    public static GroupNode Add(GroupNode group, SegmentNode child) => group with { Children = [.. group.Children, child] };

    /// <summary>The group with the child at <paramref name="index"/> replaced.</summary>
    public static GroupNode Replace(GroupNode group, int index, SegmentNode child)
    {
        var children = group.Children.ToList();
        children[index] = child;
        return group with { Children = children };
    }

    public static GroupNode Remove(GroupNode group, int index)
    {
        var children = group.Children.ToList();
        children.RemoveAt(index);
        return group with { Children = children };
    }

    /// <summary>The group with a duplicate of the child at <paramref name="index"/> right after it.</summary>
    public static GroupNode DuplicateChild(GroupNode group, int index)
    {
        var children = group.Children.ToList();
        children.Insert(index + 1, Duplicate(children[index]));
        return group with { Children = children };
    }

    /// <summary>The group with the child at <paramref name="index"/> moved by <paramref name="delta"/> places (clamped to the ends).</summary>
    public static GroupNode Move(GroupNode group, int index, int delta)
    {
        var target = Math.Clamp(index + delta, 0, group.Children.Count - 1);
        if (target == index)
        {
            return group;
        }
        var children = group.Children.ToList();
        var child = children[index];
        children.RemoveAt(index);
        children.Insert(target, child);
        return group with { Children = children };
    }

    /// <summary>
    /// The test read as another type: the type's first operator unless the current one also applies
    /// (exists / not exists), and no values (a number is no date).
    /// </summary>
    public static ValueTest WithType(ValueTest test, ValueTestType type)
    {
        if (test.Type == type)
        {
            return test;
        }
        var operators = SegmentRuleValidator.Operators(type);
        return new ValueTest(type, operators.Contains(test.Operator) ? test.Operator : operators[0]);
    }

    /// <summary>The test with another operator, keeping the values that operator still reads.</summary>
    public static ValueTest WithOperator(ValueTest test, ValueOperator op) => test with
    {
        Operator = op,
        Date = test.Date is { } date && IsDayEdge(date) ? DayOf(op, date) : test.Date,
        Texts = op == ValueOperator.InList ? test.Texts ?? (string.IsNullOrEmpty(test.Text) ? null : [test.Text]) : null,
        Text = op is ValueOperator.Equals or ValueOperator.NotEquals or ValueOperator.Contains or ValueOperator.StartsWith or ValueOperator.EndsWith ? test.Text : null,
        NumberTo = op == ValueOperator.Between ? test.NumberTo : null,
        DateTo = op == ValueOperator.Between ? test.DateTo : null,
        Days = op is ValueOperator.WithinLastDays or ValueOperator.WithinNextDays or ValueOperator.MoreThanDaysAgo ? test.Days ?? 30 : null,
    };

    /// <summary>
    /// A date picked for a date test, as the instant the operator reads: "after 31 Mar" is after the whole day (from
    /// 1 April), "before" and "between" start at midnight. A picked day was stored at midnight for all three, so "after
    /// 31 Mar" held on 31 March itself.
    /// </summary>
    public static ValueTest WithDate(ValueTest test, DateTime? picked) =>
        test with { Date = picked is { } day ? DayOf(test.Operator, day) : null };

    /// <summary>The last day of "between": the whole of it (the end of the day), as an event window's last day is.</summary>
    public static ValueTest WithDateTo(ValueTest test, DateTime? picked) =>
        test with { DateTo = picked is { } day ? EndOfDay(day) : null };

    /// <summary>Midnight UTC of a picked day.</summary>
    public static DateTime StartOfDay(DateTime day) => DateTime.SpecifyKind(day.Date, DateTimeKind.Utc);

    /// <summary>The last millisecond of a picked day, UTC (rule times are whole milliseconds).</summary>
    public static DateTime EndOfDay(DateTime day) => DateTime.SpecifyKind(day.Date + LastMillisecond, DateTimeKind.Utc); // 31 Dec 9999 too

    /// <summary>Midnight or the day's last millisecond: a whole day the editor picked (a precise time is kept as it is).</summary>
    public static bool IsDayEdge(DateTime at) => at.TimeOfDay == TimeSpan.Zero || at.TimeOfDay == LastMillisecond;

    private static readonly TimeSpan LastMillisecond = TimeSpan.FromDays(1) - TimeSpan.FromMilliseconds(1);

    private static DateTime DayOf(ValueOperator op, DateTime day) => op == ValueOperator.After ? EndOfDay(day) : StartOfDay(day);

    /// <summary>The operators that read no value (the value editor shows nothing for them).</summary>
    public static bool NeedsNoValue(ValueOperator op) =>
        op is ValueOperator.Exists or ValueOperator.NotExists or ValueOperator.IsTrue or ValueOperator.IsFalse;
}
