namespace ProfileStudio.Core.ComputedAttributes.Expressions;

/// <summary>Where a name in a formula comes from.</summary>
public enum ExpressionInputKind
{
    /// <summary>A profile attribute (a dotted path, read through the default merge policy).</summary>
    Attribute = 1,

    /// <summary>The value of another computed attribute (an aggregate, or another expression).</summary>
    Computed = 2,
}

/// <summary>A name a formula may read, with what it holds.</summary>
public sealed record ExpressionInput(string Name, ExpressionInputKind Kind, ExpressionValueType Type);

/// <summary>
/// The names a formula may read. Validation reports a name outside it as unknown (with the nearest known
/// names as suggestions); a computed attribute shadows an attribute of the same name.
/// </summary>
public sealed class ExpressionSchema
{
    private readonly Dictionary<string, ExpressionInput> _inputs;

    public ExpressionSchema(IEnumerable<ExpressionInput> inputs)
    {
        _inputs = new Dictionary<string, ExpressionInput>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (input.Kind == ExpressionInputKind.Computed || !_inputs.ContainsKey(input.Name))
            {
                _inputs[input.Name] = input;
            }
        }
    }

    public static ExpressionSchema Empty { get; } = new([]);

    /// <summary>Takes any name as an attribute of unknown type: for checking syntax and functions only.</summary>
    public static ExpressionSchema Open { get; } = new([]) { _open = true };

    private bool _open;

    /// <summary>
    /// Computed attributes left out because they read the one being edited (reading them would make a cycle), each with the
    /// attribute being edited: named as such rather than as unknown.
    /// </summary>
    public IReadOnlyDictionary<string, string> ReadingTheEdited { get; init; } = new Dictionary<string, string>();

    public IReadOnlyCollection<ExpressionInput> Inputs => _inputs.Values;

    public ExpressionInput? Find(string name) =>
        _inputs.GetValueOrDefault(name) ?? (_open ? new ExpressionInput(name, ExpressionInputKind.Attribute, ExpressionValueType.Any) : null);

    /// <summary>Up to three known names close to <paramref name="name"/> (case or a small typo), closest first.</summary>
    public IReadOnlyList<string> Suggest(string name) =>
        _inputs.Keys
            .Select(k => (Key: k, Distance: string.Equals(k, name, StringComparison.OrdinalIgnoreCase) ? 0 : Levenshtein(k.ToLowerInvariant(), name.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(2, name.Length / 3))
            .OrderBy(c => c.Distance).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(3).Select(c => c.Key).ToList();

    private static int Levenshtein(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 3)
        {
            return int.MaxValue;
        }
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
