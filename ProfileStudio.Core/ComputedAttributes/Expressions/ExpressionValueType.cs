namespace ProfileStudio.Core.ComputedAttributes.Expressions;

/// <summary>
/// What a formula's input or result holds, as far as it is known before evaluation. <see cref="Any"/>
/// means unknown (an attribute whose type the schema does not know): no type error is reported for it,
/// and a wrong value is caught when the formula runs on that profile.
/// </summary>
public enum ExpressionValueType
{
    Any = 0,
    Number,
    Text,
    Boolean,
    Date,
    List,
    Null,
}

public static class ExpressionValueTypes
{
    /// <summary>The word people read in a message: "a number", "text".</summary>
    public static string Describe(this ExpressionValueType type) => type switch
    {
        ExpressionValueType.Number => "a number",
        ExpressionValueType.Text => "text",
        ExpressionValueType.Boolean => "true/false",
        ExpressionValueType.Date => "a date",
        ExpressionValueType.List => "a list",
        ExpressionValueType.Null => "empty",
        _ => "any value",
    };

    /// <summary>
    /// The type of the union-schema / event-catalog names ("text", "number", "boolean", "date", "object",
    /// "list"); anything else is <see cref="ExpressionValueType.Any"/>.
    /// </summary>
    public static ExpressionValueType FromSchemaName(string? name) => name?.ToLowerInvariant() switch
    {
        "number" or "integer" or "decimal" => ExpressionValueType.Number,
        "text" or "string" => ExpressionValueType.Text,
        "boolean" or "bool" => ExpressionValueType.Boolean,
        "date" or "datetime" => ExpressionValueType.Date,
        "list" or "array" => ExpressionValueType.List,
        _ => ExpressionValueType.Any,
    };

    /// <summary>Whether a value of <paramref name="actual"/> may stand where <paramref name="wanted"/> is asked for.</summary>
    public static bool Fits(this ExpressionValueType actual, ExpressionValueType wanted) =>
        wanted == ExpressionValueType.Any
        || actual is ExpressionValueType.Any or ExpressionValueType.Null
        || actual == wanted
        // ISO-8601 text is read as a date where a date is asked for (birthdays arrive as "1987-07-20").
        || (wanted == ExpressionValueType.Date && actual == ExpressionValueType.Text);

    /// <summary>The type of a value that is one of two (if/else branches, coalesce).</summary>
    public static ExpressionValueType Union(ExpressionValueType a, ExpressionValueType b) =>
        a == b ? a
        : a == ExpressionValueType.Null ? b
        : b == ExpressionValueType.Null ? a
        : ExpressionValueType.Any;
}
