using System.Collections.Frozen;

namespace ProfileStudio.Core.ComputedAttributes.Expressions;

/// <summary>One call being evaluated: its arguments are evaluated only when asked for (if/coalesce skip branches).</summary>
public interface IExpressionCall
{
    int Count { get; }

    object? Argument(int index);

    /// <summary>The evaluation's clock reading (UTC): the same for every call in one evaluation.</summary>
    DateTime Now { get; }
}

/// <summary>
/// A function a formula may call. These are the only code a formula reaches: the expression library's
/// own built-ins (and any reflection or type access) are never offered, see <see cref="ExpressionFormula"/>.
/// </summary>
/// <param name="ParameterTypes">One per parameter; the last repeats for a variadic function.</param>
/// <param name="UsesClock">The result changes as days pass (today(), age()), so the clock job re-evaluates it.</param>
public sealed record ExpressionFunction(
    string Name,
    string Signature,
    string Description,
    int MinArguments,
    int MaxArguments,
    IReadOnlyList<ExpressionValueType> ParameterTypes,
    Func<IReadOnlyList<ExpressionValueType>, ExpressionValueType> ResultType,
    Func<IExpressionCall, object?> Invoke,
    bool UsesClock = false)
{
    public ExpressionValueType ParameterType(int index) => ParameterTypes.Count == 0 ? ExpressionValueType.Any : ParameterTypes[Math.Min(index, ParameterTypes.Count - 1)];
}

/// <summary>A value a formula cannot work with on one profile (text where a number is needed, a result too long).</summary>
public sealed class ExpressionEvaluationException(string message) : Exception(message);

/// <summary>The functions formulas may call (names are case-insensitive).</summary>
public static class ExpressionFunctions
{
    public const int Unbounded = int.MaxValue;

    private const ExpressionValueType Any = ExpressionValueType.Any;
    private const ExpressionValueType Number = ExpressionValueType.Number;
    private const ExpressionValueType Text = ExpressionValueType.Text;
    private const ExpressionValueType Boolean = ExpressionValueType.Boolean;
    private const ExpressionValueType Date = ExpressionValueType.Date;

    public static IReadOnlyList<ExpressionFunction> All { get; } =
    [
        new("if", "if(condition, then, else)", "then when the condition holds, else otherwise", 3, 3, [Boolean, Any, Any],
            t => ExpressionValueTypes.Union(t[1], t[2]), c => Truth(c.Argument(0), "if") ? c.Argument(1) : c.Argument(2)),
        new("coalesce", "coalesce(a, b, …)", "the first value that is not empty", 1, Unbounded, [Any],
            t => t.Aggregate(ExpressionValueType.Null, ExpressionValueTypes.Union), Coalesce),
        new("round", "round(number, digits)", "rounded half away from zero, to 0 digits unless given", 1, 2, [Number, Number],
            _ => Number, c => Numbers(c, "round") is [var x, ..] ? Math.Round(x, c.Count > 1 ? Digits(c.Argument(1)) : 0, MidpointRounding.AwayFromZero) : null),
        new("floor", "floor(number)", "the whole number at or below", 1, 1, [Number], _ => Number, c => Numbers(c, "floor") is [var x] ? Math.Floor(x) : null),
        new("ceil", "ceil(number)", "the whole number at or above", 1, 1, [Number], _ => Number, c => Numbers(c, "ceil") is [var x] ? Math.Ceiling(x) : null),
        new("abs", "abs(number)", "the number without its sign", 1, 1, [Number], _ => Number, c => Numbers(c, "abs") is [var x] ? Math.Abs(x) : null),
        new("min", "min(a, b, …)", "the smallest number (empty ones skipped)", 1, Unbounded, [Number], _ => Number, c => Present(c, "min") is { Count: > 0 } xs ? xs.Min() : null),
        new("max", "max(a, b, …)", "the largest number (empty ones skipped)", 1, Unbounded, [Number], _ => Number, c => Present(c, "max") is { Count: > 0 } xs ? xs.Max() : null),
        new("lower", "lower(text)", "in lower case", 1, 1, [Text], _ => Text, c => c.Argument(0) is { } v ? ExpressionValues.Text(v).ToLowerInvariant() : null),
        new("upper", "upper(text)", "in upper case", 1, 1, [Text], _ => Text, c => c.Argument(0) is { } v ? ExpressionValues.Text(v).ToUpperInvariant() : null),
        new("trim", "trim(text)", "without spaces at either end", 1, 1, [Text], _ => Text, c => c.Argument(0) is { } v ? ExpressionValues.Text(v).Trim() : null),
        new("concat", "concat(a, b, …)", "the values joined as text (empty ones skipped)", 1, Unbounded, [Any], _ => Text, Concat),
        new("length", "length(text or list)", "the number of characters or items", 1, 1, [Any], _ => Number, Length),
        new("contains", "contains(text or list, part)", "whether the text holds the part (ignoring case), or the list the item", 2, 2, [Any, Any], _ => Boolean, Contains),
        new("starts_with", "starts_with(text, prefix)", "whether the text starts with the prefix (ignoring case)", 2, 2, [Text, Text], _ => Boolean,
            c => c.Argument(0) is { } v && ExpressionValues.Text(v).StartsWith(ExpressionValues.Text(c.Argument(1)), StringComparison.OrdinalIgnoreCase)),
        new("number", "number(value)", "the value as a number (text like \"12.50\" is read), empty when it is none", 1, 1, [Any], _ => Number, c => ExpressionValues.Number(c.Argument(0))),
        new("text", "text(value)", "the value as text", 1, 1, [Any], _ => Text, c => c.Argument(0) is { } v ? ExpressionValues.Text(v) : null),
        new("date", "date(text)", "an ISO-8601 date (\"1987-07-20\") as a date, empty when it is none", 1, 1, [Date], _ => Date, c => ExpressionValues.Date(c.Argument(0))),
        new("today", "today()", "today's date (UTC)", 0, 0, [], _ => Date, c => c.Now.Date, UsesClock: true),
        new("now", "now()", "the current time (UTC)", 0, 0, [], _ => Date, c => c.Now, UsesClock: true),
        new("years_between", "years_between(from, to)", "whole years from one date to another", 2, 2, [Date, Date], _ => Number,
            c => Dates(c, "years_between") is [var from, var to] ? WholeYears(from, to) : null),
        new("days_between", "days_between(from, to)", "whole days from one date to another", 2, 2, [Date, Date], _ => Number,
            c => Dates(c, "days_between") is [var from, var to] ? (decimal)(to.Date - from.Date).Days : null),
        new("age", "age(birthday)", "whole years from the date until today", 1, 1, [Date], _ => Number,
            c => Dates(c, "age") is [var born] ? WholeYears(born, c.Now.Date) : null, UsesClock: true),
    ];

    private static readonly FrozenDictionary<string, ExpressionFunction> ByName =
        All.ToFrozenDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public static ExpressionFunction? Find(string name) => ByName.GetValueOrDefault(name);

    private static object? Coalesce(IExpressionCall call)
    {
        for (var i = 0; i < call.Count; i++)
        {
            if (call.Argument(i) is { } value && value is not string { Length: 0 })
            {
                return value;
            }
        }
        return null;
    }

    private static object? Concat(IExpressionCall call)
    {
        var parts = new List<string>(call.Count);
        for (var i = 0; i < call.Count; i++)
        {
            if (call.Argument(i) is { } value)
            {
                parts.Add(ExpressionValues.Text(value));
            }
        }
        return string.Concat(parts);
    }

    private static object? Length(IExpressionCall call) => call.Argument(0) switch
    {
        null => null,
        IReadOnlyList<object?> list => (decimal)list.Count,
        var value => (decimal)ExpressionValues.Text(value).Length,
    };

    private static object? Contains(IExpressionCall call)
    {
        var part = call.Argument(1);
        return call.Argument(0) switch
        {
            null => false,
            IReadOnlyList<object?> list => list.Any(item => ExpressionEvaluator.ValuesEqual(item, part)),
            var value => part is not null && ExpressionValues.Text(value).Contains(ExpressionValues.Text(part), StringComparison.OrdinalIgnoreCase),
        };
    }

    internal static bool Truth(object? value, string where) => value switch
    {
        null => false,
        bool b => b,
        _ => throw new ExpressionEvaluationException($"{where} needs true/false, but got {Show(value)}."),
    };

    /// <summary>The arguments as numbers, or null when any is empty; text that is not a number is an error.</summary>
    private static decimal[]? Numbers(IExpressionCall call, string function)
    {
        var numbers = new decimal[call.Count];
        for (var i = 0; i < call.Count; i++)
        {
            var value = call.Argument(i);
            if (value is null)
            {
                return null;
            }
            numbers[i] = ExpressionValues.Number(value) ?? throw new ExpressionEvaluationException($"{function}() needs a number, but got {Show(value)}.");
        }
        return numbers;
    }

    private static List<decimal> Present(IExpressionCall call, string function)
    {
        var numbers = new List<decimal>(call.Count);
        for (var i = 0; i < call.Count; i++)
        {
            if (call.Argument(i) is { } value)
            {
                numbers.Add(ExpressionValues.Number(value) ?? throw new ExpressionEvaluationException($"{function}() needs numbers, but got {Show(value)}."));
            }
        }
        return numbers;
    }

    /// <summary>The arguments as dates, or null when any is empty or is not a date (a malformed birthday leaves the value empty).</summary>
    private static DateTime[]? Dates(IExpressionCall call, string function)
    {
        var dates = new DateTime[call.Count];
        for (var i = 0; i < call.Count; i++)
        {
            var value = call.Argument(i);
            if (value is null)
            {
                return null;
            }
            if (ExpressionValues.Date(value) is not { } date)
            {
                if (value is string)
                {
                    return null;
                }
                throw new ExpressionEvaluationException($"{function}() needs a date, but got {Show(value)}.");
            }
            dates[i] = date;
        }
        return dates;
    }

    private static int Digits(object? value) =>
        ExpressionValues.Number(value) is { } d && d is >= 0 and <= 10 && d == Math.Floor(d)
            ? (int)d
            : throw new ExpressionEvaluationException($"round() takes 0 to 10 digits, but got {Show(value)}.");

    private static decimal WholeYears(DateTime from, DateTime to)
    {
        var years = to.Year - from.Year;
        if (to.Month < from.Month || (to.Month == from.Month && to.Day < from.Day))
        {
            years--;
        }
        return years;
    }

    internal static string Show(object? value) => value switch
    {
        null => "empty",
        string s => $"text \"{(s.Length > 40 ? s[..40] + "…" : s)}\"",
        decimal d => $"the number {ExpressionValues.Text(d)}",
        bool b => b ? "true" : "false",
        DateTime t => $"the date {ExpressionValues.Text(t)}",
        IReadOnlyList<object?> => "a list",
        _ => "a value",
    };
}
