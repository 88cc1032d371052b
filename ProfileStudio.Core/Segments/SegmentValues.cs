using System.Globalization;
using System.Text.Json;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// The one meaning of a <see cref="ValueTest"/> on a JSON value, shared by the one-profile evaluator;
/// <see cref="SegmentSql"/> writes the same tests in SQLite and the property tests hold them together.
/// </summary>
/// <remarks>
/// Dates are compared as whole milliseconds since the Unix epoch (UTC). A value is a date when it is a
/// JSON string SQLite's <c>julianday()</c> reads and that starts with <c>YYYY-MM-DD</c>; this class reads
/// exactly that grammar (a port of SQLite's date parser: optional <c>T</c>/space time <c>HH:MM[:SS[.fff]]</c>,
/// optional <c>Z</c> or <c>±HH:MM</c>, SQLite's field ranges and its day overflow: <c>2026-02-30</c> is 2 March),
/// so both paths agree on which strings are dates and on their instant. Times in a rule and "now" are
/// truncated to the millisecond.
/// </remarks>
public static class SegmentValues
{
    public const long MillisecondsPerDay = 86_400_000;
    public const long MillisecondsPerHour = 3_600_000;

    /// <summary>The Unix epoch as a Julian day in milliseconds (2440587.5 days), SQLite's internal unit.</summary>
    internal const long UnixEpochJulianMs = 210_866_760_000_000;

    public static long ToMs(DateTime utc) =>
        (AsUtc(utc).Ticks - DateTime.UnixEpoch.Ticks) is var t && t >= 0 ? t / TimeSpan.TicksPerMillisecond : -((-t + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);

    /// <summary>
    /// The instant <paramref name="ms"/> after the epoch, held within what a <see cref="DateTime"/> can be: a date at the
    /// edge of the calendar (<c>9999-12-31</c> as "no end", <c>0001-01-01T00:00:00+01:00</c>) plus or minus a window
    /// lies outside it, and computing its clock check threw, stopping streaming evaluation for everyone.
    /// </summary>
    public static DateTime FromMs(long ms) =>
        ms <= MinMs ? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc)
        : ms >= MaxMs ? DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc)
        : DateTime.UnixEpoch.AddTicks(ms * TimeSpan.TicksPerMillisecond);

    private static readonly long MinMs = ToMs(DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc));
    private static readonly long MaxMs = ToMs(DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc));

    /// <summary>A rule's time as UTC: times without a kind are taken as UTC (the studio's zone), local times are converted.</summary>
    public static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    /// <summary>Whether <paramref name="value"/> (null: the attribute or property is absent) passes the test at <paramref name="now"/>.</summary>
    public static bool Passes(ValueTest test, JsonElement? value, DateTime now)
    {
        var present = value is { } v && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);
        if (test.Operator == ValueOperator.Exists)
        {
            return present;
        }
        if (test.Operator == ValueOperator.NotExists)
        {
            return !present;
        }
        if (!present)
        {
            return false;
        }
        var element = value!.Value;
        switch (test.Type)
        {
            case ValueTestType.Text when test.Operator is ValueOperator.Equals or ValueOperator.NotEquals:
                // Compared in place (ordinal, unescaped), without allocating the string.
                return element.ValueKind == JsonValueKind.String && test.Text is not null
                       && element.ValueEquals(test.Text) == (test.Operator == ValueOperator.Equals);
            case ValueTestType.Text:
                return element.ValueKind == JsonValueKind.String && PassesText(test, element.GetString()!);
            case ValueTestType.Number:
                return element.ValueKind == JsonValueKind.Number && PassesNumber(test.Operator, element.GetDouble(), test.Number, test.NumberTo);
            case ValueTestType.Boolean:
                return test.Operator switch
                {
                    ValueOperator.IsTrue => element.ValueKind == JsonValueKind.True,
                    ValueOperator.IsFalse => element.ValueKind == JsonValueKind.False,
                    _ => false,
                };
            case ValueTestType.Date:
                return element.ValueKind == JsonValueKind.String && TryParseDateMs(element.GetString()!, out var ms) && PassesDate(test, ms, now);
            default:
                return false;
        }
    }

    internal static bool PassesText(ValueTest test, string text) => test.Operator switch
    {
        ValueOperator.Equals => string.Equals(text, test.Text, StringComparison.Ordinal),
        ValueOperator.NotEquals => test.Text is not null && !string.Equals(text, test.Text, StringComparison.Ordinal),
        ValueOperator.Contains => !string.IsNullOrEmpty(test.Text) && text.Contains(test.Text, StringComparison.Ordinal),
        ValueOperator.StartsWith => !string.IsNullOrEmpty(test.Text) && text.StartsWith(test.Text, StringComparison.Ordinal),
        ValueOperator.EndsWith => !string.IsNullOrEmpty(test.Text) && text.EndsWith(test.Text, StringComparison.Ordinal),
        ValueOperator.InList => test.Texts is { } list && list.Contains(text, StringComparer.Ordinal),
        _ => false,
    };

    /// <summary>A number against the test's bounds; also the aggregate test (<paramref name="value"/> already computed).</summary>
    public static bool PassesNumber(ValueOperator op, double value, double? number, double? numberTo)
    {
        if (number is not { } n)
        {
            return false;
        }
        return op switch
        {
            ValueOperator.Equals => value == n,
            ValueOperator.NotEquals => value != n,
            ValueOperator.LessThan => value < n,
            ValueOperator.LessOrEqual => value <= n,
            ValueOperator.GreaterThan => value > n,
            ValueOperator.GreaterOrEqual => value >= n,
            ValueOperator.Between => numberTo is { } to && value >= n && value <= to,
            _ => false,
        };
    }

    internal static bool PassesDate(ValueTest test, long value, DateTime now)
    {
        var (low, high) = DateBounds(test, now);
        return (low is null || value >= low) && (high is null || value <= high);
    }

    /// <summary>
    /// The inclusive range of milliseconds a date test accepts (null: open), or null bounds that accept
    /// nothing for an incomplete test. "Before" / "after" / "more than N days ago" are strict, so their
    /// bound is moved by one millisecond.
    /// </summary>
    public static (long? Low, long? High) DateBounds(ValueTest test, DateTime now)
    {
        var nowMs = ToMs(now);
        long? days = test.Days is { } d ? d * MillisecondsPerDay : null;
        long? date = test.Date is { } x ? ToMs(x) : null;
        long? dateTo = test.DateTo is { } y ? ToMs(y) : null;
        return test.Operator switch
        {
            ValueOperator.Before when date is { } b => (null, b - 1),
            ValueOperator.After when date is { } a => (a + 1, null),
            ValueOperator.Between when date is { } a && dateTo is { } b => (a, b),
            ValueOperator.WithinLastDays when days is { } n => (nowMs - n, nowMs),
            ValueOperator.WithinNextDays when days is { } n => (nowMs, nowMs + n),
            ValueOperator.MoreThanDaysAgo when days is { } n => (null, nowMs - n - 1),
            _ => (1, 0), // accepts nothing
        };
    }

    /// <summary>The value at a dotted path inside a JSON object (event properties); null when absent.</summary>
    public static JsonElement? At(JsonElement root, string path)
    {
        if (!path.Contains('.'))
        {
            // The common case, without splitting (this runs once per event and property test).
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty(path, out var direct) ? direct : null;
        }
        var current = root;
        foreach (var segment in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return null;
            }
        }
        return current;
    }

    /// <summary>Reads a date the way SQLite's <c>julianday()</c> does, for strings starting with <c>YYYY-MM-DD</c>.</summary>
    public static bool TryParseDateMs(string text, out long ms)
    {
        ms = 0;
        var i = 0;
        if (!Digits(text, ref i, 4, 0, 9999, out var year) || !Expect(text, ref i, '-')
            || !Digits(text, ref i, 2, 1, 12, out var month) || !Expect(text, ref i, '-')
            || !Digits(text, ref i, 2, 1, 31, out var day))
        {
            return false;
        }
        while (i < text.Length && (IsSpace(text[i]) || text[i] == 'T'))
        {
            i++;
        }
        long timeMs = 0;
        long zoneMinutes = 0;
        if (i < text.Length)
        {
            if (!Digits(text, ref i, 2, 0, 24, out var hour) || !Expect(text, ref i, ':') || !Digits(text, ref i, 2, 0, 59, out var minute))
            {
                return false;
            }
            var seconds = 0.0;
            if (i < text.Length && text[i] == ':')
            {
                i++;
                if (!Digits(text, ref i, 2, 0, 59, out var s))
                {
                    return false;
                }
                seconds = s;
                if (i + 1 < text.Length && text[i] == '.' && IsDigit(text[i + 1]))
                {
                    i++;
                    double fraction = 0, scale = 1;
                    while (i < text.Length && IsDigit(text[i]))
                    {
                        fraction = fraction * 10.0 + (text[i] - '0');
                        scale *= 10.0;
                        i++;
                    }
                    seconds += fraction / scale;
                }
            }
            timeMs = hour * MillisecondsPerHour + minute * 60_000L + (long)(seconds * 1000 + 0.5);
            if (!Zone(text, ref i, out zoneMinutes))
            {
                return false;
            }
        }
        // SQLite's computeJD (Meeus), day overflow included.
        int y = year, m = month;
        if (m <= 2)
        {
            y--;
            m += 12;
        }
        var a = y / 100;
        var b = 2 - a + a / 4;
        var x1 = 36525 * (y + 4716) / 100;
        var x2 = 306001 * (m + 1) / 10000;
        var julianMs = (long)((x1 + x2 + day + b - 1524.5) * MillisecondsPerDay) + timeMs - zoneMinutes * 60_000L;
        ms = julianMs - UnixEpochJulianMs;
        return true;
    }

    /// <summary>The Julian day SQLite's <c>julianday()</c> returns for an instant in milliseconds (the SQL path compares with it).</summary>
    public static double JulianDay(long ms) => (ms + UnixEpochJulianMs) / (double)MillisecondsPerDay;

    private static bool Zone(string text, ref int i, out long minutes)
    {
        minutes = 0;
        while (i < text.Length && IsSpace(text[i]))
        {
            i++;
        }
        if (i < text.Length)
        {
            var c = text[i];
            if (c is 'Z' or 'z')
            {
                i++;
            }
            else if (c is '+' or '-')
            {
                i++;
                if (!Digits(text, ref i, 2, 0, 14, out var hours) || !Expect(text, ref i, ':') || !Digits(text, ref i, 2, 0, 59, out var mins))
                {
                    return false;
                }
                minutes = (c == '-' ? -1 : 1) * (hours * 60L + mins);
            }
            else
            {
                return false;
            }
            while (i < text.Length && IsSpace(text[i]))
            {
                i++;
            }
        }
        return i == text.Length;
    }

    private static bool Digits(string text, ref int i, int count, int min, int max, out int value)
    {
        value = 0;
        if (i + count > text.Length)
        {
            return false;
        }
        for (var k = 0; k < count; k++)
        {
            if (!IsDigit(text[i + k]))
            {
                return false;
            }
            value = value * 10 + (text[i + k] - '0');
        }
        i += count;
        return value >= min && value <= max;
    }

    private static bool Expect(string text, ref int i, char c)
    {
        if (i < text.Length && text[i] == c)
        {
            i++;
            return true;
        }
        return false;
    }

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    // SQLite's sqlite3Isspace: space, \t \n \v \f \r.
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>A rule's or an aggregate's number for people, as every page writes numbers.</summary>
    internal static string Number(double value) => Formatting.DisplayFormat.Number(value);
}

/// <summary>
/// The sum and average of an event condition's aggregate, the same on every path (the evaluator, the index, SQLite). Each number
/// is added as the decimal its double stands for (.NET's conversion keeps 15 significant digits, so 99.99 counts as 99.99, not
/// as the nearest binary fraction): 99.99 + 0.005 + 0.005 is 100 exactly, as the person's total is, and "total at least 100"
/// holds. Summed in doubles it came to 99.99999999999999 and failed, while the explanation showed "sum: 100". A number beyond
/// the decimal range (about 7.9e28) makes the sum a double's for the rest.
/// </summary>
public struct NumberSum
{
    private decimal _exact;
    private double _approximate;
    private bool _inexact;

    /// <summary>How many numbers were added.</summary>
    public int Count { get; private set; }

    public void Add(double value)
    {
        Count++;
        _approximate += value;
        if (_inexact)
        {
            return;
        }
        try
        {
            _exact += (decimal)value;
        }
        catch (OverflowException)
        {
            _inexact = true;
        }
    }

    /// <summary>The sum (0 when nothing was added).</summary>
    public readonly double Sum => _inexact ? _approximate : (double)_exact;

    /// <summary>The average, or null when nothing was added.</summary>
    public readonly double? Average => Count == 0 ? null : _inexact ? _approximate / Count : (double)(_exact / Count);
}
