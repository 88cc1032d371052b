using ProfileStudio.Core.Segments;

namespace ProfileStudio.Components.Segments.Builder;

/// <summary>A segment a rule can refer to ("is in segment …"), with its status: nobody is in a draft or disabled one.</summary>
public sealed record SegmentChoice(long Id, string Name, SegmentStatus Status)
{
    /// <summary>How the picker lists it: "Big spenders — draft: nobody is in it until it is activated"; an active one by name.</summary>
    public string Label => SegmentRuleValidator.NobodyIn(Status) is { } why ? $"{Name} — {why}" : Name;
}

/// <summary>
/// What every node editor of one builder shares, cascaded once instead of passed down each level: the
/// validator's problems and warnings (shown at their node), read-only, and the choices for segment and identity conditions.
/// </summary>
public sealed record SegmentBuilderContext(
    IReadOnlyList<SegmentRuleProblem> Problems,
    IReadOnlyList<SegmentRuleProblem> Warnings,
    bool ReadOnly,
    IReadOnlyList<SegmentChoice> Segments,
    IReadOnlyList<string> Namespaces)
{
    public IEnumerable<string> ProblemsOf(string nodeId) => At(Problems, nodeId);

    public IEnumerable<string> WarningsOf(string nodeId) => At(Warnings, nodeId);

    public string? SegmentName(long id) => Segment(id)?.Name;

    public SegmentChoice? Segment(long id) => Segments.FirstOrDefault(s => s.Id == id);

    /// <summary>The choices' names and statuses, as <see cref="SegmentRuleValidator.Warnings"/> reads them.</summary>
    public static Func<long, (string Name, SegmentStatus Status)?> Lookup(IReadOnlyList<SegmentChoice> segments) =>
        id => segments.FirstOrDefault(s => s.Id == id) is { } s ? (s.Name, s.Status) : null;

    private static IEnumerable<string> At(IReadOnlyList<SegmentRuleProblem> problems, string nodeId) =>
        problems.Where(p => string.Equals(p.NodeId, nodeId, StringComparison.Ordinal)).Select(p => p.Message);
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
