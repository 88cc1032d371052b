using System.Globalization;
using System.Text.Json;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>Reads a property path (<c>product.category</c>) out of an event's properties.</summary>
public static class EventProperties
{
    /// <summary>
    /// Numbers beyond ±10^15 are ignored by sum/avg/min/max: no realistic amount is that large, and
    /// it keeps a sum of billions of events exact in a decimal (no overflow, no rounding).
    /// </summary>
    public const decimal MaxMagnitude = 1_000_000_000_000_000m;

    /// <summary>The value at <paramref name="path"/> (a literal key with dots wins over nesting); null when missing or JSON null.</summary>
    public static JsonElement? Find(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (root.TryGetProperty(path, out var literal))
        {
            return literal.ValueKind == JsonValueKind.Null ? null : literal;
        }
        var current = root;
        foreach (var segment in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return null;
            }
        }
        return current.ValueKind == JsonValueKind.Null ? null : current;
    }

    /// <summary>The value at <paramref name="path"/> in a properties JSON text (a copy that outlives the document).</summary>
    public static JsonElement? Find(string propertiesJson, string path)
    {
        try
        {
            using var document = JsonDocument.Parse(propertiesJson);
            return Find(document.RootElement, path)?.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON number within ±<see cref="MaxMagnitude"/>, as a decimal.</summary>
    public static bool TryNumber(JsonElement value, out decimal number)
    {
        number = 0;
        return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out number) && Math.Abs(number) <= MaxMagnitude;
    }

    /// <summary>
    /// The value as a canonical JSON text: strings re-encoded (so escapes do not make two values of one
    /// text), numbers in their canonical text (<see cref="JsonNumberText.Canonical"/>: 1, 1.0 and 1e0 are one
    /// value, "1"), everything else as sent. Distinct values, most-frequent counts and first / last use this key.
    /// </summary>
    public static string Key(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return JsonNumberText.Canonical(value.GetRawText());
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            return value.GetRawText();
        }
        // The serializer's text for the string (its writer, its escaping), through a writer reused per thread.
        ReusedJsonWriter.Start().WriteStringValue(value.GetString());
        return ReusedJsonWriter.Finish();
    }

    /// <summary>
    /// A number as JSON without trailing zeros (10.50 + 0.50 is 11): the text of the custom format
    /// <c>0.############################</c>, written as the general format (every digit of the scale, never an
    /// exponent for a decimal) with the fraction's trailing zeros dropped, four times cheaper; values are formatted
    /// on every write of a computed state.
    /// </summary>
    public static string Number(decimal value)
    {
        Span<char> text = stackalloc char[48];
        value.TryFormat(text, out var length, default, CultureInfo.InvariantCulture);
        var digits = text[..length];
        if (digits.Contains('.'))
        {
            digits = digits.TrimEnd('0').TrimEnd('.');
        }
        return new string(digits);
    }
}

/// <summary>
/// Which events a definition counts: one of its event names, and every condition true. A condition on a
/// missing (or null) property is false for every operator, "not equals" included: "country not equals
/// FR" does not count events that have no country. Text comparisons are ordinal and ignore case;
/// &lt;, &lt;=, &gt;, &gt;= compare numbers; "equals" compares numbers as numbers (10 equals 10.0) and
/// anything else by its text (true, "FR", and a number a decimal cannot hold: 1e-400 is not 0).
/// </summary>
public sealed class EventFilter(ComputedAttributeSpec spec)
{
    private readonly HashSet<string> _names = new(spec.EventNames, StringComparer.Ordinal);

    public bool MatchesName(string name) => _names.Contains(name);

    public bool Matches(string name, JsonElement properties) => _names.Contains(name) && spec.Conditions.All(c => Holds(c, properties));

    public static bool Holds(EventCondition condition, JsonElement properties)
    {
        if (EventProperties.Find(properties, condition.Path) is not { } value)
        {
            return false;
        }
        var values = condition.Values;
        return condition.Operator switch
        {
            ConditionOperator.Exists => true,
            ConditionOperator.Equals => SameValue(value, values[0]),
            ConditionOperator.NotEquals => !SameValue(value, values[0]),
            ConditionOperator.InList => values.Any(v => SameValue(value, v)),
            ConditionOperator.Contains => Text(value) is { } text && text.Contains(values[0], StringComparison.OrdinalIgnoreCase),
            ConditionOperator.StartsWith => Text(value) is { } text && text.StartsWith(values[0], StringComparison.OrdinalIgnoreCase),
            _ => Compare(condition.Operator, value, values[0]),
        };
    }

    // An operand a decimal cannot hold is compared by its text: as a decimal, "equals 1e-400" held for 0.
    private static bool SameValue(JsonElement value, string operand) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number) && Formatting.NumberBounds.BeyondDecimal(operand) is null
            ? decimal.TryParse(operand, NumberStyles.Float, CultureInfo.InvariantCulture, out var other) && number == other
            : Text(value) is { } text && string.Equals(text, operand, StringComparison.OrdinalIgnoreCase);

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static bool Compare(ConditionOperator op, JsonElement value, string operand)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number)
            || !decimal.TryParse(operand, NumberStyles.Float, CultureInfo.InvariantCulture, out var other))
        {
            return false;
        }
        return op switch
        {
            ConditionOperator.LessThan => number < other,
            ConditionOperator.LessOrEqual => number <= other,
            ConditionOperator.GreaterThan => number > other,
            _ => number >= other,
        };
    }
}
