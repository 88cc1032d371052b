using System.Globalization;
using System.Text.Json;
using ProfileStudio.Core.Unification.Stages;

namespace ProfileStudio.Core.Schema;

/// <summary>The types the schema tells apart.</summary>
public static class SchemaTypes
{
    public const string Text = "text";
    public const string Number = "number";
    public const string Boolean = "boolean";
    public const string Date = "date";
    public const string Object = "object";
    public const string List = "list";

    public static IReadOnlyList<string> All { get; } = [Text, Number, Boolean, Date, Object, List];
}

/// <summary>Type inference, example text and property paths, shared by the incremental path and the recount.</summary>
public static class SchemaValues
{
    /// <summary>The most distinct example values kept per path.</summary>
    public const int MaxExamples = 5;

    /// <summary>Example values longer than this are cut (an example shows the shape, not the whole text).</summary>
    public const int MaxExampleLength = 80;

    /// <summary>The type of a JSON value; null for JSON null (a removal, not a value).</summary>
    public static string? TypeOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => IsDate(value.GetString()!) ? SchemaTypes.Date : SchemaTypes.Text,
        JsonValueKind.Number => SchemaTypes.Number,
        JsonValueKind.True or JsonValueKind.False => SchemaTypes.Boolean,
        JsonValueKind.Array => SchemaTypes.List,
        JsonValueKind.Object => SchemaTypes.Object,
        _ => null,
    };

    /// <summary>The type and example text of stored value JSON; null when there is no value (a removal) or it cannot be read.</summary>
    public static (string Type, string Example)? Read(string? valueJson)
    {
        if (valueJson is null)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(valueJson);
            return TypeOf(document.RootElement) is { } type ? (type, Example(document.RootElement)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Text that looks like a calendar date or a timestamp (ISO 8601: 2024-05-01, 2024-05-01T10:00:00Z):
    /// only that shape, so "12/05" or "May" stay text.
    /// </summary>
    public static bool IsDate(string text) =>
        text.Length is >= 10 and <= 40 && char.IsAsciiDigit(text[0]) && text[4] == '-' && text[7] == '-'
        && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _);

    /// <summary>
    /// A stored example as people read it, the way <see cref="Formatting.DisplayFormat"/> shows values
    /// everywhere ("20 Jul 1987", "1,498.76", "yes"). An example is stored as text (a string's text, any
    /// other value's JSON), so <paramref name="types"/> says which it was: a path that also holds text
    /// keeps digits as written ("00123" and "12345" may be codes), and an example cut short stays as it is.
    /// </summary>
    public static string ForPeople(string example, IReadOnlyList<TypeShare> types)
    {
        bool Has(string type) => types.Any(t => t.Type == type);
        if (example.EndsWith('…') || Has(SchemaTypes.Text))
        {
            return Has(SchemaTypes.Date) ? Formatting.DisplayFormat.Text(example) : example;
        }
        if (Has(SchemaTypes.Number) && decimal.TryParse(example, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return Formatting.DisplayFormat.Number(number);
        }
        if (Has(SchemaTypes.Boolean) && example is "true" or "false")
        {
            return example == "true" ? "yes" : "no";
        }
        return Formatting.DisplayFormat.Text(example);
    }

    public static string Example(JsonElement value)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        return text.Length <= MaxExampleLength ? text : text[..(MaxExampleLength - 1)] + "…";
    }

    /// <summary>An event's property paths (nested objects as dotted paths, as traits are) with their type and example text.</summary>
    public static List<(string Path, string Type, string Example)> Properties(string propertiesJson)
    {
        var found = new List<(string, string, string)>();
        if (propertiesJson.Length <= 2)
        {
            return found; // "{}": most page and screen calls
        }
        try
        {
            using var document = JsonDocument.Parse(propertiesJson);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                Walk(document.RootElement, "", found);
            }
        }
        catch (JsonException)
        {
            // Stored properties are valid JSON; anything else has no paths to show.
        }
        return found;
    }

    /// <summary>The same flattening as traits (<see cref="MessageReadStage.Flatten"/>): a non-empty object opens, anything else is a value.</summary>
    private static void Walk(JsonElement element, string prefix, List<(string, string, string)> found)
    {
        foreach (var property in element.EnumerateObject())
        {
            var path = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Object && value.EnumerateObject().Any())
            {
                Walk(value, path, found);
            }
            else if (TypeOf(value) is { } type)
            {
                found.Add((path, type, Example(value)));
            }
        }
    }
}
