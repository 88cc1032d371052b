using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProfileStudio.Core.ComputedAttributes.Expressions;

/// <summary>
/// The values a formula works with: <see cref="decimal"/> numbers, <see cref="string"/> text, <see cref="bool"/>,
/// <see cref="DateTime"/> (UTC) dates, lists (<see cref="IReadOnlyList{T}"/> of these) and null, and their
/// conversions to and from the JSON that attributes are stored as.
/// </summary>
public static class ExpressionValues
{
    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    /// <summary>A stored attribute or computed value (JSON) as a formula value; objects are not readable (null).</summary>
    public static object? FromJson(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Number => json.TryGetDecimal(out var d) ? d : null,
        JsonValueKind.String => json.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => json.EnumerateArray().Select(FromJson).ToList(),
        _ => null,
    };

    /// <summary><see cref="FromJson(JsonElement)"/> for stored JSON text; text that is not JSON is taken as text.</summary>
    public static object? FromJson(string? json)
    {
        if (json is null)
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            return FromJson(doc.RootElement);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    /// <summary>A formula's result as JSON: a date at midnight as "yyyy-MM-dd", any other time as ISO-8601 UTC.</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        decimal d => JsonValue.Create(d),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        DateTime t => JsonValue.Create(DateText(t)),
        IReadOnlyList<object?> list => new JsonArray(list.Select(ToJson).ToArray()),
        _ => JsonValue.Create(value.ToString()),
    };

    public static string? ToJsonText(object? value) => value is null ? null : ToJson(value)?.ToJsonString();

    public static ExpressionValueType TypeOf(object? value) => value switch
    {
        null => ExpressionValueType.Null,
        decimal => ExpressionValueType.Number,
        string => ExpressionValueType.Text,
        bool => ExpressionValueType.Boolean,
        DateTime => ExpressionValueType.Date,
        IReadOnlyList<object?> => ExpressionValueType.List,
        _ => ExpressionValueType.Any,
    };

    /// <summary>Text the way a formula joins it into other text: numbers without exponent or trailing zeros, dates as ISO.</summary>
    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        decimal d => d.ToString("0.############################", Culture),
        bool b => b ? "true" : "false",
        DateTime t => DateText(t),
        IReadOnlyList<object?> list => string.Join(", ", list.Select(Text)),
        _ => value.ToString() ?? "",
    };

    /// <summary>A date from a date, or from ISO-8601 text ("1987-07-20", "1987-07-20T10:00:00Z"); null otherwise.</summary>
    public static DateTime? Date(object? value) => value switch
    {
        DateTime t => t,
        string s when s.Length >= 10 && char.IsAsciiDigit(s[0])
            && DateTimeOffset.TryParse(s, Culture, DateTimeStyles.AssumeUniversal, out var at) => at.UtcDateTime,
        _ => null,
    };

    /// <summary>A number from a number, or from text that is one ("12.50", as CSV columns arrive); null otherwise.</summary>
    public static decimal? Number(object? value) => value switch
    {
        decimal d => d,
        string s when decimal.TryParse(s, NumberStyles.Float, Culture, out var d) => d,
        _ => null,
    };

    private static string DateText(DateTime t) =>
        t.TimeOfDay == TimeSpan.Zero ? t.ToString("yyyy-MM-dd", Culture) : DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("O", Culture);
}
