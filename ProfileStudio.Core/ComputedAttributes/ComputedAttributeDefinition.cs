using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>What a computed attribute aggregates over its events (wire names: <see cref="ComputedFunctions"/>).</summary>
public enum ComputedFunction
{
    Count,
    Sum,
    Avg,
    Min,
    Max,
    MostFrequent,
    CountDistinct,
    Distinct,
    First,
    Last,

    /// <summary>
    /// Not an aggregate: a formula over the profile's attributes and other computed values
    /// (<see cref="ComputedAttributeDefinition.Formula"/>, see <see cref="Expressions.ExpressionFormula"/>).
    /// </summary>
    Expression,
}

/// <summary>How far back a computed attribute looks: all time, or the last N hours / days / weeks / months.</summary>
public enum WindowUnit
{
    AllTime,
    Hours,
    Days,
    Weeks,
    Months,
}

public enum ComputedStatus
{
    Draft,
    Active,
    Disabled,
}

/// <summary>How an event property is compared with a condition's values.</summary>
public enum ConditionOperator
{
    Equals,
    NotEquals,
    LessThan,
    LessOrEqual,
    GreaterThan,
    GreaterOrEqual,
    Contains,
    StartsWith,
    InList,
    Exists,
}

/// <summary>
/// The lookback window. <see cref="ComputedWindows"/> defines exactly which events are inside it at a
/// given moment; live values and values computed from scratch both use that one definition.
/// </summary>
public sealed record LookbackWindow(WindowUnit Unit, int Size)
{
    public static LookbackWindow AllTime { get; } = new(WindowUnit.AllTime, 0);

    public static LookbackWindow Hours(int n) => new(WindowUnit.Hours, n);
    public static LookbackWindow Days(int n) => new(WindowUnit.Days, n);
    public static LookbackWindow Weeks(int n) => new(WindowUnit.Weeks, n);
    public static LookbackWindow Months(int n) => new(WindowUnit.Months, n);

    public bool IsAllTime => Unit == WindowUnit.AllTime;

    public override string ToString() => Unit switch
    {
        WindowUnit.AllTime => "all time",
        _ => $"last {Size} {(Size == 1 ? Unit.ToString().ToLowerInvariant().TrimEnd('s') : Unit.ToString().ToLowerInvariant())}",
    };
}

/// <summary>
/// A condition on an event property (<paramref name="Path"/>, dots for nested keys). <paramref name="Values"/>:
/// none for <see cref="ConditionOperator.Exists"/>, one or more for <see cref="ConditionOperator.InList"/>,
/// exactly one otherwise. See <see cref="EventFilter"/> for what each operator means.
/// </summary>
public sealed record EventCondition(string Path, ConditionOperator Operator, IReadOnlyList<string> Values)
{
    public static EventCondition Of(string path, ConditionOperator op, params string[] values) => new(path, op, values);
}

/// <summary>
/// The pure definition the engine evaluates: what the stage, the backfill, the expiry job and the
/// from-scratch computation all read. <see cref="Id"/> and <see cref="Version"/> say which stored
/// definition (and which edit of it) a state belongs to.
/// </summary>
public sealed record ComputedAttributeSpec(
    int Id,
    int Version,
    string Name,
    ComputedFunction Function,
    IReadOnlyList<string> EventNames,
    string? PropertyPath,
    IReadOnlyList<EventCondition> Conditions,
    LookbackWindow Window);

/// <summary>A definition as a person wants it saved; <see cref="ComputedAttributeStore"/> checks it first.</summary>
public sealed record ComputedAttributeDraft(
    string Name,
    string? Description,
    ComputedFunction Function,
    IReadOnlyList<string> EventNames,
    string? PropertyPath,
    IReadOnlyList<EventCondition> Conditions,
    LookbackWindow Window,
    string? Formula = null);

/// <summary>
/// A stored computed attribute definition. An edit of what an active definition computes raises
/// <see cref="Version"/> and starts a new backfill; a profile the backfill has not reached keeps its older version's
/// row, whose stored value readers serve (marked as the previous version's) until the backfill replaces it.
/// The backfill's progress lives here too, so it survives a restart and resumes at <see cref="BackfillCursor"/>.
/// </summary>
public sealed class ComputedAttributeDefinition
{
    public const int MaxDescriptionLength = 500;
    public const int MaxEventNames = 20;
    public const int MaxConditions = 20;

    public int Id { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public ComputedFunction Function { get; set; }

    /// <summary>The event names, a JSON array (see <see cref="EventNames"/>).</summary>
    public string EventNamesJson { get; set; } = "[]";

    public string? PropertyPath { get; set; }

    /// <summary>The formula of an <see cref="ComputedFunction.Expression"/> attribute (null for aggregates).</summary>
    public string? Formula { get; set; }

    /// <summary>The conditions, a JSON array (see <see cref="Conditions"/>).</summary>
    public string ConditionsJson { get; set; } = "[]";

    public WindowUnit WindowUnit { get; set; }
    public int WindowSize { get; set; }
    public ComputedStatus Status { get; set; }

    /// <summary>Raised by every saved edit of what it computes; states carry the version they were computed for.</summary>
    public int Version { get; set; } = 1;

    /// <summary>
    /// +1 per saved change of any kind (what it computes, the name or description alone, activating, disabling), unlike
    /// <see cref="Version"/>: an editor sends back the revision it loaded, and the store refuses the change if another was saved since.
    /// </summary>
    public int Revision { get; set; } = 1;

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";

    /// <summary>The version the backfill computes (0: none started).</summary>
    public int BackfillVersion { get; set; }

    /// <summary>Profiles with an id up to this one have been backfilled for <see cref="BackfillVersion"/>.</summary>
    public long BackfillCursor { get; set; }

    /// <summary>Every profile is backfilled: the live stage keeps all of them current.</summary>
    public bool BackfillDone { get; set; }

    public long BackfillTotal { get; set; }
    public long BackfillProcessed { get; set; }
    public DateTime? BackfillStartedAt { get; set; }
    public DateTime? BackfillFinishedAt { get; set; }
    public string? BackfillError { get; set; }

    [JsonIgnore]
    public IReadOnlyList<string> EventNames
    {
        get => JsonSerializer.Deserialize<List<string>>(EventNamesJson, ComputedJson.Options) ?? [];
        set => EventNamesJson = JsonSerializer.Serialize(value, ComputedJson.Options);
    }

    [JsonIgnore]
    public IReadOnlyList<EventCondition> Conditions
    {
        get => JsonSerializer.Deserialize<List<EventCondition>>(ConditionsJson, ComputedJson.Options) ?? [];
        set => ConditionsJson = JsonSerializer.Serialize(value, ComputedJson.Options);
    }

    [JsonIgnore]
    public LookbackWindow Window => WindowUnit == WindowUnit.AllTime ? LookbackWindow.AllTime : new(WindowUnit, WindowSize);

    /// <summary>The backfill of the current version has reached every profile.</summary>
    [JsonIgnore]
    public bool IsLive => Status == ComputedStatus.Active && BackfillVersion == Version && BackfillDone;

    public ComputedAttributeSpec ToSpec() => new(Id, Version, Name, Function, EventNames, PropertyPath, Conditions, Window);

    public ComputedAttributeDraft ToDraft() => new(Name, Description, Function, EventNames, PropertyPath, Conditions, Window, Formula);
}

/// <summary>The wire names of functions (<c>most_frequent</c>), as the Profile API and the docs spell them.</summary>
public static class ComputedFunctions
{
    public static string Key(ComputedFunction function) => function switch
    {
        ComputedFunction.MostFrequent => "most_frequent",
        ComputedFunction.CountDistinct => "count_distinct",
        _ => function.ToString().ToLowerInvariant(),
    };

    public static ComputedFunction? Parse(string? key) =>
        Enum.GetValues<ComputedFunction>().Select(f => (ComputedFunction?)f).FirstOrDefault(f => Key(f!.Value) == key?.Trim().ToLowerInvariant());

    /// <summary>Functions that need a number property.</summary>
    public static bool IsNumeric(ComputedFunction function) => function is ComputedFunction.Sum or ComputedFunction.Avg or ComputedFunction.Min or ComputedFunction.Max;

    /// <summary>A short phrase for the UI ("sum of amount").</summary>
    public static string Describe(ComputedFunction function, string? path) => function switch
    {
        ComputedFunction.Count => "count of events",
        ComputedFunction.Expression => "formula",
        _ => $"{Key(function).Replace('_', ' ')} of {path}",
    };
}

/// <summary>
/// A definition's event conditions as people read them, wherever the definition is summed up (the list, the profile page,
/// the audit log): <c>where category equals "Shoes" and amount &gt;= 100</c>. The editor's operator words.
/// </summary>
public static class ComputedConditionText
{
    /// <summary>"where …" over every condition; empty when there is none.</summary>
    public static string Where(IReadOnlyList<EventCondition> conditions) =>
        conditions.Count == 0 ? "" : "where " + string.Join(" and ", conditions.Select(One));

    public static string One(EventCondition condition)
    {
        var words = ComputedAttributeValidator.OperatorWords(condition.Operator);
        return condition.Operator switch
        {
            ConditionOperator.Exists => $"{condition.Path} exists",
            ConditionOperator.InList => $"{condition.Path} in list ({string.Join(", ", condition.Values.Select(Quoted))})",
            ConditionOperator.LessThan or ConditionOperator.LessOrEqual or ConditionOperator.GreaterThan or ConditionOperator.GreaterOrEqual
                => $"{condition.Path} {words} {condition.Values.FirstOrDefault()}",
            _ => $"{condition.Path} {words} {Quoted(condition.Values.FirstOrDefault() ?? "")}",
        };
    }

    private static string Quoted(string value) => $"\"{value}\"";

    /// <summary>The conditions as the Profile API gives them: <c>[{"path", "operator" (snake case), "values"}]</c>.</summary>
    public static JsonNode? Json(IReadOnlyList<EventCondition> conditions) => JsonSerializer.SerializeToNode(conditions, ComputedJson.Options);
}

internal static class ComputedJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
