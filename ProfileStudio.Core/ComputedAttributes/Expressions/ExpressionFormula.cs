using System.Globalization;
using System.Text.RegularExpressions;
using NCalc;
using NCalc.Exceptions;

namespace ProfileStudio.Core.ComputedAttributes.Expressions;

/// <summary>Something wrong with a formula, with the 1-based column it starts at when known.</summary>
public sealed record ExpressionProblem(string Message, int? Position = null)
{
    public override string ToString() => Position is { } p ? $"{Message} (at character {p})" : Message;
}

/// <summary>The outcome of <see cref="ExpressionFormula.Parse"/>: the formula, or why it cannot be used.</summary>
public sealed record ExpressionValidation(ExpressionFormula? Formula, IReadOnlyList<ExpressionProblem> Problems)
{
    public bool IsValid => Formula is not null;
}

/// <summary>
/// A checked formula over a profile's attributes and computed values (Amperity-style expression
/// attributes): <c>firstName + ' ' + lastName</c>, <c>age(birthday)</c>, <c>lifetime_value / orders</c>,
/// <c>if(lifetime_value &gt;= 1000, 'gold', if(lifetime_value &gt;= 100, 'silver', 'bronze'))</c>.
/// Dotted attribute paths and names with spaces are written in brackets: <c>[address.city]</c>.
/// </summary>
/// <remarks>
/// Why NCalc: a well-kept, MIT-licensed expression library whose parser gives an expression tree and
/// nothing else: no member access, no types, no lambdas or loops. Only its parser is used. The tree is
/// checked here (names, functions, arity, types) and evaluated by <see cref="ExpressionEvaluator"/>, so
/// the only code a formula reaches is <see cref="ExpressionFunctions"/>; NCalc's own built-in functions
/// and evaluator are never offered. Work is bounded by the formula's size (at most
/// <see cref="MaxLength"/> characters, nesting at most <see cref="MaxNesting"/> deep, each node evaluated
/// at most once) and results by <see cref="ExpressionEvaluator.MaxTextLength"/>.
/// </remarks>
public sealed partial class ExpressionFormula
{
    public const int MaxLength = 2000;
    public const int MaxNesting = 32;

    private static readonly LogicalExpressionParserOptions ParserOptions = new()
    {
        FloatingPointNumberType = FloatingPointNumberType.Decimal,
        IntegerNumberType = IntegerNumberType.Int64,
        ArgumentSeparator = ArgumentSeparator.Comma,
    };

    private ExpressionFormula(string text, LogicalExpression root, IReadOnlyList<ExpressionInput> dependencies, ExpressionValueType resultType, bool usesClock)
    {
        Text = text;
        Root = root;
        Dependencies = dependencies;
        ResultType = resultType;
        UsesClock = usesClock;
    }

    public string Text { get; }

    internal LogicalExpression Root { get; }

    /// <summary>The attributes and computed values the formula reads: when one changes, the value is recomputed.</summary>
    public IReadOnlyList<ExpressionInput> Dependencies { get; }

    /// <summary>The result's type as far as known before evaluation (<see cref="ExpressionValueType.Any"/> when it depends on the data).</summary>
    public ExpressionValueType ResultType { get; }

    /// <summary>Reads the clock (today(), now(), age()): the value changes as days pass without any new data.</summary>
    public bool UsesClock { get; }

    /// <summary>Parses and checks <paramref name="text"/> against the names in <paramref name="schema"/>.</summary>
    public static ExpressionValidation Parse(string? text, ExpressionSchema schema)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Fail(new ExpressionProblem("Write a formula, e.g. firstName + ' ' + lastName, or lifetime_value / orders."));
        }
        if (text.Length > MaxLength)
        {
            return Fail(new ExpressionProblem($"The formula has {text.Length:N0} characters; the limit is {MaxLength:N0}."));
        }
        if (NestingProblem(text) is { } nesting)
        {
            return Fail(nesting);
        }
        LogicalExpression root;
        try
        {
            root = LogicalExpressionParser.Parse(new LogicalExpressionParseContext(text, ParserOptions, CancellationToken.None), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is NCalcParserException or InvalidOperationException or FormatException or OverflowException)
        {
            return Fail(SyntaxProblem(text, e.Message));
        }
        var checker = new ExpressionTypeChecker(text, schema);
        var resultType = root.Accept(checker);
        return checker.Problems.Count > 0
            ? new ExpressionValidation(null, checker.Problems)
            : new ExpressionValidation(new ExpressionFormula(text, root, checker.Dependencies, resultType, checker.UsesClock), []);
    }

    /// <summary>The names a formula reads, whatever they are (empty when it does not parse).</summary>
    public static IReadOnlySet<string> NamesIn(string? text)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (Parse(text, ExpressionSchema.Open).Formula is { } formula)
        {
            names.UnionWith(formula.Dependencies.Select(d => d.Name));
        }
        return names;
    }

    private static ExpressionValidation Fail(ExpressionProblem problem) => new(null, [problem]);

    private static ExpressionProblem? NestingProblem(string text)
    {
        var depth = 0;
        var quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '(' && ++depth > MaxNesting)
            {
                return new ExpressionProblem($"The formula nests parentheses more than {MaxNesting} deep.", i + 1);
            }
            else if (c == ')')
            {
                depth--;
            }
        }
        return null;
    }

    private static ExpressionProblem SyntaxProblem(string text, string message)
    {
        // NCalc says "… at position (line:column)"; formulas are one line in practice, so the column is kept.
        var match = PositionPattern().Match(message);
        var what = (match.Success ? message[..match.Index] : message).Trim().TrimEnd('.');
        if (what == "Unknown operator sequence")
        {
            what = "Two operators in a row, or an operator the formula language does not have";
        }
        int? position = null;
        if (match.Success && int.TryParse(match.Groups["column"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var column))
        {
            position = Math.Min(column, text.Length);
        }
        var near = position is { } p ? Excerpt(text, p) : null;
        var hint = near is null ? "" : $" near \"{near}\"";
        // "address.city" bare is a syntax error to the parser; an unknown plain name already gets this advice from the checker.
        var brackets = near is not null && DottedName().IsMatch(BracketedPaths().Replace(near, "")) ? " Write dotted paths in brackets, e.g. [address.city]." : "";
        return new ExpressionProblem($"Syntax error: {what}{hint}.{brackets}", position);
    }

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_]")]
    private static partial Regex DottedName();

    // Paths already in brackets (closed or cut by the excerpt) are not the ones missing them.
    [GeneratedRegex(@"\[[^\]]*\]?|^[^\[\]]*\]")]
    private static partial Regex BracketedPaths();

    /// <summary>About 12 characters around the position, widened (by up to 20 each way) to whole words: "System.IO.File", not "ystem.IO.Fil".</summary>
    private static string Excerpt(string text, int position)
    {
        static bool InWord(char c) => char.IsLetterOrDigit(c) || c is '_' or '.';
        var start = Math.Max(0, position - 6);
        while (start > 0 && start > position - 20 && InWord(text[start - 1]))
        {
            start--;
        }
        var end = Math.Min(text.Length, position + 6);
        while (end < text.Length && end < position + 20 && InWord(text[end]))
        {
            end++;
        }
        return text[start..end].Trim();
    }

    [GeneratedRegex(@"at position \((?<line>\d+):(?<column>\d+)\)")]
    private static partial Regex PositionPattern();
}
