using System.Globalization;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// Checks a definition before it is saved, in words a marketer can act on. Where events were seen,
/// <paramref name="observed"/> gives the kinds each property path had in the chosen events, so
/// "sum over a text property" is caught before it silently sums nothing.
/// </summary>
public static class ComputedAttributeValidator
{
    public const int MaxEventNameLength = 200;

    /// <summary>The longest window per unit (ten years).</summary>
    public static int MaxWindowSize(WindowUnit unit) => unit switch
    {
        WindowUnit.Hours => 24 * 366 * 10,
        WindowUnit.Days => 3660,
        WindowUnit.Weeks => 522,
        WindowUnit.Months => 120,
        _ => 0,
    };

    /// <summary>The problems of <paramref name="draft"/> (empty: it can be saved).</summary>
    public static IReadOnlyList<string> Validate(ComputedAttributeDraft draft, IReadOnlyDictionary<string, PropertyKinds>? observed = null)
    {
        var problems = new List<string>();
        if (AttributeKeys.Problem(draft.Name) is { } nameProblem)
        {
            problems.Add(nameProblem);
        }
        if ((draft.Description?.Length ?? 0) > ComputedAttributeDefinition.MaxDescriptionLength)
        {
            problems.Add($"The description has {draft.Description!.Length} characters; at most {ComputedAttributeDefinition.MaxDescriptionLength}.");
        }
        problems.AddRange(ValidateComputation(draft, observed));
        return problems;
    }

    /// <summary>
    /// The problems of what <paramref name="draft"/> computes (function, events, property, conditions, window or formula),
    /// leaving out its name and description: empty means it can be previewed; the name is needed only to save.
    /// </summary>
    public static IReadOnlyList<string> ValidateComputation(ComputedAttributeDraft draft, IReadOnlyDictionary<string, PropertyKinds>? observed = null)
    {
        var problems = new List<string>();
        if (draft.Function == ComputedFunction.Expression)
        {
            // A formula reads attributes, not events; its names are checked against stored data by the store.
            if (Expressions.ExpressionFormula.Parse(draft.Formula, Expressions.ExpressionSchema.Open).Problems is { Count: > 0 } formulaProblems)
            {
                problems.AddRange(formulaProblems.Select(p => p.ToString()));
            }
            return problems;
        }
        var names = draft.EventNames ?? [];
        if (names.Count == 0 || names.All(string.IsNullOrWhiteSpace))
        {
            problems.Add("Choose at least one event name (e.g. Order Completed).");
        }
        else if (names.Count > ComputedAttributeDefinition.MaxEventNames)
        {
            problems.Add($"{names.Count} event names chosen; at most {ComputedAttributeDefinition.MaxEventNames}.");
        }
        foreach (var name in names.Where(n => (n?.Length ?? 0) > MaxEventNameLength))
        {
            problems.Add($"The event name \"{name[..40]}…\" is longer than {MaxEventNameLength} characters.");
        }
        var path = draft.PropertyPath?.Trim();
        if (draft.Function == ComputedFunction.Count)
        {
            if (!string.IsNullOrEmpty(path))
            {
                problems.Add("count counts events and reads no property: leave the property empty (use a condition to count only some events).");
            }
        }
        else if (string.IsNullOrEmpty(path))
        {
            problems.Add($"{ComputedFunctions.Key(draft.Function)} needs the event property it aggregates (e.g. amount).");
        }
        else if (PropertyPaths.Problem(path) is { } pathProblem)
        {
            problems.Add(pathProblem); // keys from tracking calls as sent ("Order ID"), not the stricter rule for names made here
        }
        else if (ComputedFunctions.IsNumeric(draft.Function) && observed is not null && observed.TryGetValue(path, out var kinds)
            && kinds != PropertyKinds.None && !kinds.HasFlag(PropertyKinds.Number))
        {
            problems.Add($"{ComputedFunctions.Key(draft.Function)} needs a number, but \"{path}\" holds {kinds.Words()} in the chosen events; " +
                "use count_distinct, most_frequent, distinct, first or last for it, or choose a number property.");
        }
        var conditions = draft.Conditions ?? [];
        if (conditions.Count > ComputedAttributeDefinition.MaxConditions)
        {
            problems.Add($"{conditions.Count} conditions; at most {ComputedAttributeDefinition.MaxConditions}.");
        }
        for (var i = 0; i < conditions.Count; i++)
        {
            problems.AddRange(ConditionProblems(conditions[i], i + 1, observed));
        }
        problems.AddRange(WindowProblems(draft.Window));
        return problems;
    }

    private static IEnumerable<string> ConditionProblems(EventCondition condition, int number, IReadOnlyDictionary<string, PropertyKinds>? observed)
    {
        var label = $"Condition {number}";
        if (PropertyPaths.Problem(condition.Path) is { } pathProblem)
        {
            yield return $"{label}: {pathProblem}";
            yield break;
        }
        var values = condition.Values ?? [];
        switch (condition.Operator)
        {
            case ConditionOperator.Exists when values.Count > 0:
                yield return $"{label}: \"exists\" takes no value.";
                break;
            case ConditionOperator.InList when values.Count == 0:
                yield return $"{label}: \"in list\" needs at least one value.";
                break;
            case ConditionOperator.InList when values.Count > 100:
                yield return $"{label}: \"in list\" takes at most 100 values.";
                break;
            case not (ConditionOperator.Exists or ConditionOperator.InList) when values.Count != 1:
                yield return $"{label}: \"{OperatorWords(condition.Operator)}\" needs exactly one value.";
                break;
            case ConditionOperator.LessThan or ConditionOperator.LessOrEqual or ConditionOperator.GreaterThan or ConditionOperator.GreaterOrEqual
                when Formatting.NumberBounds.BeyondDecimal(values[0]) is { } beyond:
                // 1e308 is a number, too large for the decimals conditions compare with, and 1e-30 would compare as 0: said as such, with the bound.
                yield return $"{label}: {beyond}";
                break;
            case ConditionOperator.LessThan or ConditionOperator.LessOrEqual or ConditionOperator.GreaterThan or ConditionOperator.GreaterOrEqual
                when !decimal.TryParse(values[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _):
                yield return $"{label}: \"{OperatorWords(condition.Operator)}\" compares numbers; \"{values[0]}\" is not a number.";
                break;
            case ConditionOperator.LessThan or ConditionOperator.LessOrEqual or ConditionOperator.GreaterThan or ConditionOperator.GreaterOrEqual
                when observed is not null && observed.TryGetValue(condition.Path, out var kinds) && kinds != PropertyKinds.None && !kinds.HasFlag(PropertyKinds.Number):
                yield return $"{label}: \"{OperatorWords(condition.Operator)}\" compares numbers, but \"{condition.Path}\" holds {kinds.Words()} in the chosen events.";
                break;
        }
    }

    private static IEnumerable<string> WindowProblems(LookbackWindow? window)
    {
        if (window is null)
        {
            yield return "Choose a lookback window (all time, or the last N hours, days, weeks or months).";
            yield break;
        }
        if (window.Unit == WindowUnit.AllTime || !Enum.IsDefined(window.Unit))
        {
            yield break;
        }
        var max = MaxWindowSize(window.Unit);
        if (window.Size < 1 || window.Size > max)
        {
            // The editor's whole-number box hands on a number beyond int (1e12) or text that is no whole number as int's bounds
            // (WholeNumberField): naming those would name a number nobody typed.
            var echo = window.Size is int.MaxValue or int.MinValue ? "" : $"; {window.Size:N0} is outside that";
            yield return $"The window is the last N {window.Unit.ToString().ToLowerInvariant()}, with N from 1 to {max:N0}{echo}.";
        }
    }

    public static string OperatorWords(ConditionOperator op) => op switch
    {
        ConditionOperator.Equals => "equals",
        ConditionOperator.NotEquals => "not equals",
        ConditionOperator.LessThan => "<",
        ConditionOperator.LessOrEqual => "<=",
        ConditionOperator.GreaterThan => ">",
        ConditionOperator.GreaterOrEqual => ">=",
        ConditionOperator.Contains => "contains",
        ConditionOperator.StartsWith => "starts with",
        ConditionOperator.InList => "in list",
        _ => "exists",
    };
}
