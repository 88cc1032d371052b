using ProfileStudio.Core.Segments;

namespace ProfileStudio.Components.Segments.Builder;

/// <summary>A segment a rule can refer to ("is in segment …").</summary>
public sealed record SegmentChoice(long Id, string Name);

/// <summary>
/// What every node editor of one builder shares, cascaded once instead of passed down each level: the
/// validator's problems (shown at their node), read-only, and the choices for segment and identity conditions.
/// </summary>
public sealed record SegmentBuilderContext(
    IReadOnlyList<SegmentRuleProblem> Problems,
    bool ReadOnly,
    IReadOnlyList<SegmentChoice> Segments,
    IReadOnlyList<string> Namespaces)
{
    public IEnumerable<string> ProblemsOf(string nodeId) =>
        Problems.Where(p => string.Equals(p.NodeId, nodeId, StringComparison.Ordinal)).Select(p => p.Message);

    public string? SegmentName(long id) => Segments.FirstOrDefault(s => s.Id == id)?.Name;
}

/// <summary>How the builder words groups and types (operators: <see cref="SegmentSentence.Operator"/>, which the validator shares).</summary>
public static class SegmentBuilderText
{
    public static string Group(GroupKind kind) => kind switch
    {
        GroupKind.AllOf => "all of",
        GroupKind.AnyOf => "any of",
        _ => "none of",
    };

    public static string Type(ValueTestType type) => type switch
    {
        ValueTestType.Text => "text",
        ValueTestType.Number => "number",
        ValueTestType.Boolean => "true / false",
        _ => "date",
    };

    /// <summary>The union schema's type name as a test type (object and list values are tested as text).</summary>
    public static ValueTestType FromSchema(string? schemaType) => schemaType switch
    {
        "number" => ValueTestType.Number,
        "boolean" => ValueTestType.Boolean,
        "date" => ValueTestType.Date,
        _ => ValueTestType.Text,
    };
}
