using System.Text.Json.Serialization;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// A segment's rule: one root node (usually an "all of" group). Pure data, stored as JSON through
/// <see cref="SegmentRuleJson"/>; <see cref="SegmentRuleValidator"/> says whether it can be saved,
/// <see cref="SegmentEvaluator"/> applies it to one profile and <see cref="SegmentSql"/> to all of them.
/// </summary>
public sealed record SegmentRule(SegmentNode Root);

/// <summary>
/// A node of a rule tree. <see cref="Id"/> is stable across edits (the builder keeps it when a node
/// moves), so validation messages, explanations and the builder's inline errors point at the same node.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(GroupNode), "group")]
[JsonDerivedType(typeof(AttributeCondition), "attribute")]
[JsonDerivedType(typeof(EventCondition), "event")]
[JsonDerivedType(typeof(IdentityCondition), "identity")]
[JsonDerivedType(typeof(SegmentCondition), "segment")]
public abstract record SegmentNode(string Id);

public enum GroupKind
{
    /// <summary>Every child holds (AND). An empty group is refused by the validator.</summary>
    AllOf = 1,

    /// <summary>At least one child holds (OR).</summary>
    AnyOf = 2,

    /// <summary>No child holds (NOT of an OR): one child is a plain NOT.</summary>
    NoneOf = 3,
}

public sealed record GroupNode(string Id, GroupKind Kind, IReadOnlyList<SegmentNode> Children) : SegmentNode(Id);

/// <summary>
/// A test of one attribute of the profile, read under <see cref="SegmentProfileFacts"/>'s rule (the
/// default "Most recent" merge rule). <see cref="Path"/> is the stored dotted key (<c>address.city</c>);
/// a computed attribute is tested under its own key in the same way.
/// </summary>
public sealed record AttributeCondition(string Id, string Path, ValueTest Test) : SegmentNode(Id);

/// <summary>
/// Performed (or did not perform) an event: the events named <see cref="EventName"/> in the
/// <see cref="Window"/> whose properties pass every test in <see cref="Properties"/> are counted;
/// the condition holds when the count passes <see cref="Count"/> (default: at least once) and, when
/// given, the <see cref="Aggregate"/> of a property over those events passes its test.
/// <see cref="Performed"/> false negates the whole condition ("did not perform … at least 2 times").
/// </summary>
public sealed record EventCondition(string Id, string EventName, bool Performed) : SegmentNode(Id)
{
    public IReadOnlyList<PropertyTest> Properties { get; init; } = [];
    public EventCount? Count { get; init; }
    public EventWindow? Window { get; init; }
    public EventAggregate? Aggregate { get; init; }
}

/// <summary>Has (or has no) identifier in a namespace (<c>email</c>, <c>user_id</c>, …).</summary>
public sealed record IdentityCondition(string Id, string Namespace, bool Has) : SegmentNode(Id);

/// <summary>Is (or is not) a current member of another segment.</summary>
public sealed record SegmentCondition(string Id, long SegmentId, bool IsIn) : SegmentNode(Id);

/// <summary>The type a test reads a JSON value as; a value of another JSON type does not pass (except "not exists").</summary>
public enum ValueTestType
{
    /// <summary>JSON strings, compared ordinally (case-sensitive).</summary>
    Text = 1,

    /// <summary>JSON numbers, compared as doubles.</summary>
    Number = 2,

    /// <summary>JSON true / false.</summary>
    Boolean = 3,

    /// <summary>JSON strings in ISO 8601 form (<c>2026-03-01</c>, <c>2026-03-01T10:00:00Z</c>, with an offset), compared to the millisecond in UTC.</summary>
    Date = 4,
}

public enum ValueOperator
{
    Equals = 1,
    NotEquals = 2,
    Contains = 3,
    StartsWith = 4,
    EndsWith = 5,
    InList = 6,
    Exists = 7,
    NotExists = 8,
    LessThan = 9,
    LessOrEqual = 10,
    GreaterThan = 11,
    GreaterOrEqual = 12,
    Between = 13,
    IsTrue = 14,
    IsFalse = 15,
    Before = 16,
    After = 17,
    WithinLastDays = 18,
    WithinNextDays = 19,
    MoreThanDaysAgo = 20,
}

/// <summary>
/// A typed test of one JSON value. Which fields an operator reads: text operators <see cref="Text"/>
/// (in list: <see cref="Texts"/>); number operators <see cref="Number"/> (between: up to
/// <see cref="NumberTo"/>, inclusive); before / after <see cref="Date"/> (between: up to <see cref="DateTo"/>,
/// inclusive); the relative date operators <see cref="Days"/>.
/// </summary>
/// <remarks>
/// "not equals" holds only for a present value of the type that differs: a person without a country
/// is not "country is not France" (use "not exists" or an "any of" group for that). Said in the sentence.
/// </remarks>
public sealed record ValueTest(ValueTestType Type, ValueOperator Operator)
{
    public string? Text { get; init; }
    public IReadOnlyList<string>? Texts { get; init; }
    public double? Number { get; init; }
    public double? NumberTo { get; init; }
    public DateTime? Date { get; init; }
    public DateTime? DateTo { get; init; }
    public int? Days { get; init; }
}

/// <summary>A test of one event property (dotted path into the event's properties object).</summary>
public sealed record PropertyTest(string Path, ValueTest Test);

public enum CountOperator
{
    AtLeast = 1,
    AtMost = 2,
    Exactly = 3,
}

public sealed record EventCount(CountOperator Operator, int Times);

public enum WindowKind
{
    LastHours = 1,
    LastDays = 2,
    Between = 3,
}

/// <summary>
/// Which events count by time: the last N hours / days up to now (both ends inclusive), or between two
/// instants (inclusive). No window counts every event the profile has.
/// </summary>
public sealed record EventWindow(WindowKind Kind)
{
    public int? Amount { get; init; }
    public DateTime? From { get; init; }
    public DateTime? To { get; init; }
}

public enum AggregateFunction
{
    /// <summary>The sum of the numeric values; 0 when there is none.</summary>
    Sum = 1,

    /// <summary>Average, smallest and largest have no value (the condition fails) when no counted event has a numeric value.</summary>
    Avg = 2,
    Min = 3,
    Max = 4,
}

/// <summary>A function of a numeric property over the counted events, tested with a number test (<c>sum of amount ≥ 100</c>).</summary>
public sealed record EventAggregate(AggregateFunction Function, string Path, ValueTest Test);
