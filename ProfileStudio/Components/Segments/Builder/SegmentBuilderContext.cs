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
/// validator's problems and warnings (shown at their node), read-only, the choices for segment and identity conditions,
/// and which nodes' number boxes say themselves why a number is missing.
/// </summary>
public sealed record SegmentBuilderContext(
    IReadOnlyList<SegmentRuleProblem> Problems,
    IReadOnlyList<SegmentRuleProblem> Warnings,
    bool ReadOnly,
    IReadOnlyList<SegmentChoice> Segments,
    IReadOnlyList<string> Namespaces,
    UnreadableNumbers Unreadable)
{
    /// <summary>
    /// The node's problems, but a test's "needs a number" while one of that test's number boxes holds text it cannot read: the
    /// box says what is wrong with it and what to type ("\"abc\" is not a number: type digits, …"), and one message is enough.
    /// Another test of the same condition (an event's aggregate beside its property conditions) still says its own.
    /// </summary>
    public IEnumerable<string> ProblemsOf(string nodeId) =>
        At(Problems.Where(p => !(p.NumberMissing && Unreadable.At(nodeId, p.Part))), nodeId);

    public IEnumerable<string> WarningsOf(string nodeId) => At(Warnings, nodeId);

    public string? SegmentName(long id) => Segment(id)?.Name;

    public SegmentChoice? Segment(long id) => Segments.FirstOrDefault(s => s.Id == id);

    /// <summary>The choices' names and statuses, as <see cref="SegmentRuleValidator.Warnings"/> reads them.</summary>
    public static Func<long, (string Name, SegmentStatus Status)?> Lookup(IReadOnlyList<SegmentChoice> segments) =>
        id => segments.FirstOrDefault(s => s.Id == id) is { } s ? (s.Name, s.Status) : null;

    private static IEnumerable<string> At(IEnumerable<SegmentRuleProblem> problems, string nodeId) =>
        problems.Where(p => string.Equals(p.NodeId, nodeId, StringComparison.Ordinal)).Select(p => p.Message);
}

/// <summary>
/// The builder's number boxes that hold text they cannot read as a number ("abc", "12,,5", "1e309"), by node and test
/// (<see cref="TestPart"/>). Such a box hands on no number and says why under itself; a test gaining its first or losing its
/// last one is <see cref="Changed"/>.
/// </summary>
public sealed class UnreadableNumbers
{
    private readonly Dictionary<object, (string NodeId, string Part)> _testOf = new(ReferenceEqualityComparer.Instance);

    public event Action? Changed;

    /// <summary>Whether a box of the test <paramref name="part"/> at <paramref name="nodeId"/> holds text it cannot read.</summary>
    public bool At(string nodeId, string part) => _testOf.ContainsValue((nodeId, part));

    /// <summary>
    /// Whether <paramref name="box"/> (any object that stands for one box) of test <paramref name="part"/> at <paramref name="nodeId"/>
    /// holds such text. A box stays at its test: nodes are keyed by id, and an event's property conditions are drawn in order, so the
    /// editor of property condition i is always test i (removing one before it disposes the last editor, whose box then says null).
    /// </summary>
    public void Set(object box, string nodeId, string part, bool unreadable)
    {
        var before = At(nodeId, part);
        if (unreadable)
        {
            _testOf[box] = (nodeId, part);
        }
        else
        {
            _testOf.Remove(box);
        }
        if (At(nodeId, part) != before)
        {
            Changed?.Invoke();
        }
    }
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
