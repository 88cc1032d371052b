using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Components.Profiles.Computed;

/// <summary>One condition row as the editor holds it: values typed as text (comma-separated for "in list").</summary>
public sealed class ConditionRow
{
    public string? Path { get; set; }
    public ConditionOperator Operator { get; set; } = ConditionOperator.Equals;
    public string? Values { get; set; }

    public EventCondition ToCondition() => new(Path?.Trim() ?? "", Operator, Operator switch
    {
        ConditionOperator.Exists => [],
        ConditionOperator.InList => (Values ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        _ => [Values?.Trim() ?? ""],
    });

    public static ConditionRow From(EventCondition c) => new() { Path = c.Path, Operator = c.Operator, Values = string.Join(", ", c.Values) };
}

/// <summary>The editor's fields; <see cref="ToDraft"/> gives what the store checks and saves.</summary>
public sealed class ComputedAttributeForm
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public ComputedFunction Function { get; set; } = ComputedFunction.Count;
    public List<string> EventNames { get; set; } = [];
    public string? PropertyPath { get; set; }
    public List<ConditionRow> Conditions { get; set; } = [];
    public WindowUnit WindowUnit { get; set; } = WindowUnit.AllTime;
    public int WindowSize { get; set; } = 30;
    public string? Formula { get; set; }

    public bool IsExpression => Function == ComputedFunction.Expression;

    public ComputedAttributeDraft ToDraft() => new(
        Name,
        Description,
        Function,
        IsExpression ? [] : EventNames,
        IsExpression || Function == ComputedFunction.Count ? null : PropertyPath,
        IsExpression ? [] : Conditions.Select(c => c.ToCondition()).ToList(),
        IsExpression || WindowUnit == WindowUnit.AllTime ? LookbackWindow.AllTime : new LookbackWindow(WindowUnit, WindowSize),
        IsExpression ? Formula : null);

    public static ComputedAttributeForm From(ComputedAttributeDefinition d) => new()
    {
        Name = d.Name,
        Description = d.Description,
        Function = d.Function,
        EventNames = d.EventNames.ToList(),
        PropertyPath = d.PropertyPath,
        Conditions = d.Conditions.Select(ConditionRow.From).ToList(),
        WindowUnit = d.WindowUnit,
        WindowSize = d.WindowUnit == WindowUnit.AllTime ? 30 : d.WindowSize,
        Formula = d.Formula,
    };
}
