using System.Globalization;
using System.Text.Json;

namespace ProfileStudio.Core.Formatting;

/// <summary>How finely a time is shown: to the minute for people, finer where two times shown together would otherwise read the same.</summary>
public enum TimePrecision
{
    Minute = 0,
    Second = 1,
    Millisecond = 2,
}

/// <summary>
/// How the studio shows times, dates, numbers and attribute values to people: one place, so every
/// page reads the same (e.g. "12 Nov 2026, 14:05" in UTC, "20 Jul 1987", "12,480.5"). Raw values stay
/// available behind the JSON toggles. Times are stored and shown in UTC: the server cannot know each
/// reader's time zone, so the columns and sentences say "UTC" instead of guessing.
/// </summary>
public static class DisplayFormat
{
    /// <summary>
    /// The culture of everything the studio writes for people: the process runs in it (Program), so a
    /// count formatted with "N0" anywhere reads as these do, whatever the server's locale.
    /// </summary>
    public static CultureInfo Culture { get; } = CultureInfo.InvariantCulture;

    /// <summary>A date and time to the minute: "12 Nov 2026, 14:05".</summary>
    public static string Time(DateTime utc) => utc.ToString("d MMM yyyy, HH:mm", Culture);

    /// <summary>A date and time to the minute, "UTC" noted: "12 Nov 2026, 14:05 UTC", for sentences.</summary>
    public static string TimeUtc(DateTime utc) => Time(utc) + " UTC";

    /// <summary>
    /// A time as finely as <paramref name="precision"/> says: to the minute (as <see cref="Time(DateTime)"/>), the second
    /// ("12 Nov 2026, 14:05:31") or the millisecond ("12 Nov 2026, 14:05:31.250").
    /// </summary>
    public static string Time(DateTime utc, TimePrecision precision) => precision switch
    {
        TimePrecision.Second => utc.ToString("d MMM yyyy, HH:mm:ss", Culture),
        TimePrecision.Millisecond => utc.ToString("d MMM yyyy, HH:mm:ss.fff", Culture),
        _ => Time(utc),
    };

    /// <summary><see cref="Time(DateTime, TimePrecision)"/>, "UTC" noted, for sentences.</summary>
    public static string TimeUtc(DateTime utc, TimePrecision precision) => Time(utc, precision) + " UTC";

    /// <summary>
    /// The least precision that shows <paramref name="times"/> shown side by side as different when they are (which value came
    /// later): minutes when no two different times fall in one minute, else seconds, else milliseconds. Equal times read equal anyway.
    /// </summary>
    public static TimePrecision PrecisionToTellApart(IEnumerable<DateTime> times)
    {
        var distinct = times.Distinct().ToList();
        return AllApart(distinct, TimeSpan.TicksPerMinute) ? TimePrecision.Minute
            : AllApart(distinct, TimeSpan.TicksPerSecond) ? TimePrecision.Second
            : TimePrecision.Millisecond;
    }

    private static bool AllApart(List<DateTime> times, long unit) =>
        times.Select(t => t.Ticks / unit).Distinct().Count() == times.Count;

    /// <summary>
    /// The exact instant, for a tooltip or where seconds decide (which value is newer):
    /// "12 Nov 2026, 14:05:31 UTC", with milliseconds when there are any.
    /// </summary>
    public static string ExactTime(DateTime utc) =>
        TimeUtc(utc, utc.Millisecond == 0 ? TimePrecision.Second : TimePrecision.Millisecond);

    /// <summary>A calendar date: "20 Jul 1987".</summary>
    public static string Date(DateTime date) => date.ToString("d MMM yyyy", Culture);

    /// <summary>A calendar date: "20 Jul 1987".</summary>
    public static string Date(DateOnly date) => date.ToString("d MMM yyyy", Culture);

    /// <summary>
    /// A number: grouped in thousands as counts are, decimals as sent, no exponent ("1,498.76", "12,480.5",
    /// "0.25"). One rule for every figure on every page; a number sent as text (a code, "00123") is text
    /// and left as written.
    /// </summary>
    public static string Number(decimal value) => value.ToString("#,##0.############", Culture);

    /// <summary>
    /// <see cref="Number(decimal)"/> for a double (an aggregate, a rule's bound), to ten decimals (an
    /// average of thirds is not a row of threes); one too large for a decimal keeps the exponent form.
    /// </summary>
    public static string Number(double value) =>
        double.IsFinite(value) && Math.Abs(value) < 7.9e28 ? Number(Math.Round((decimal)value, 10)) : value.ToString("R", Culture);

    /// <summary>A count: grouped ("1,204"), the same rule as <see cref="Number(decimal)"/>.</summary>
    public static string Count(long value) => value.ToString("N0", Culture);

    /// <summary>
    /// An attribute or property value for people: text as it is (an ISO-8601 date or date-time read as
    /// one), numbers and booleans in words, arrays and objects as compact JSON.
    /// </summary>
    public static string Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Text(value.GetString()!),
        JsonValueKind.Number => NumberShown(value),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null => "—",
        _ => Structured(value),
    };

    /// <summary>
    /// A number as <see cref="Number(decimal)"/> shows it, or as it was sent when that would hide it: -1e-300 fits a decimal as 0
    /// (and 1e-13 rounds to 0 at twelve decimals), which the page showed as "0" while the API gave -1e-300.
    /// </summary>
    private static string NumberShown(JsonElement value)
    {
        var raw = value.GetRawText();
        if (!value.TryGetDecimal(out var d))
        {
            return raw;
        }
        var shown = Number(d);
        return shown is "0" or "-0" && HasNonZeroDigit(raw) ? raw : shown;
    }

    private static bool HasNonZeroDigit(string number)
    {
        foreach (var c in number)
        {
            if (c is 'e' or 'E')
            {
                return false; // the exponent's digits say where, not whether
            }
            if (c is >= '1' and <= '9')
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A list or object as JSON with its text as written: the raw text of a stored value has "\u003Cb\u003E" for "&lt;b&gt;" and
    /// "\uD83C\uDF89" for an emoji (System.Text.Json escapes them when it stores), which read as noise on a profile page. The page
    /// encodes what it shows, so nothing here is markup.
    /// </summary>
    private static string Structured(JsonElement value)
    {
        var text = new System.Text.StringBuilder();
        Write(text, value);
        return text.ToString();
    }

    private static void Write(System.Text.StringBuilder text, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                text.Append('{');
                var first = true;
                foreach (var property in value.EnumerateObject())
                {
                    text.Append(first ? "" : ",");
                    first = false;
                    Quote(text, property.Name);
                    text.Append(':');
                    Write(text, property.Value);
                }
                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    text.Append(i++ == 0 ? "" : ",");
                    Write(text, item);
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                Quote(text, value.GetString()!);
                break;
            default:
                text.Append(value.GetRawText()); // numbers as written, true, false, null
                break;
        }
    }

    /// <summary>A JSON string escaping only what JSON needs: quotes, backslashes and control characters.</summary>
    private static void Quote(System.Text.StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                < ' ' => text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => text.Append(c),
            };
        }
        text.Append('"');
    }

    /// <summary><see cref="Value(JsonElement)"/> for stored JSON text; text that is not JSON is shown as it is.</summary>
    public static string Value(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, Ingestion.StoredJson.DocumentOptions); // any depth that was stored
            return Value(doc.RootElement);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    /// <summary>
    /// Text, with an ISO-8601 date ("1987-07-20") or date-time ("1987-07-20T00:00:00.0000000Z") shown as a
    /// date, or a date and time in UTC; a midnight without offset or in UTC is a date (a birthday).
    /// Anything else, including a bare number in a string, is left as the sender wrote it.
    /// </summary>
    public static string Text(string text)
    {
        if (text.Length is < 10 or > 40 || !char.IsAsciiDigit(text[0]) || text[4] != '-' || text[7] != '-')
        {
            return text;
        }
        if (text.Length == 10)
        {
            return DateOnly.TryParseExact(text, "yyyy-MM-dd", Culture, DateTimeStyles.None, out var day) ? Date(day) : text;
        }
        if (text[10] is not ('T' or ' ')
            || !DateTimeOffset.TryParse(text, Culture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return text;
        }
        var utc = at.UtcDateTime;
        return utc.TimeOfDay == TimeSpan.Zero && at.Offset == TimeSpan.Zero ? Date(utc) : TimeUtc(utc);
    }
}
