using NCalc;
using NCalc.Visitors;

namespace ProfileStudio.Core.ComputedAttributes.Expressions;

/// <summary>
/// Walks a parsed formula once: resolves names against the schema (collecting the dependencies), checks
/// function names, argument counts and the types that are known, and infers the result's type.
/// </summary>
internal sealed class ExpressionTypeChecker(string text, ExpressionSchema schema) : ILogicalExpressionVisitor<ExpressionValueType>
{
    private const ExpressionValueType Any = ExpressionValueType.Any;
    private const ExpressionValueType Number = ExpressionValueType.Number;
    private const ExpressionValueType Text = ExpressionValueType.Text;
    private const ExpressionValueType Boolean = ExpressionValueType.Boolean;

    private readonly List<ExpressionInput> _dependencies = [];

    // Where the numbers too large for a decimal that were reported are written (-1: one whose text was not found).
    private readonly HashSet<int> _tooLarge = [];

    public List<ExpressionProblem> Problems { get; } = [];

    public IReadOnlyList<ExpressionInput> Dependencies => _dependencies;

    public bool UsesClock { get; private set; }

    public ExpressionValueType Visit(TernaryExpression expression)
    {
        Expect(expression.LeftExpression.Accept(this), Boolean, "The condition before ?");
        return ExpressionValueTypes.Union(expression.MiddleExpression.Accept(this), expression.RightExpression.Accept(this));
    }

    public ExpressionValueType Visit(BinaryExpression expression)
    {
        var left = expression.LeftExpression.Accept(this);
        var right = expression.RightExpression.Accept(this);
        var symbol = Symbol(expression.Type);
        switch (expression.Type)
        {
            case BinaryExpressionType.Plus:
                if (left == Text || right == Text)
                {
                    return Text;
                }
                ExpectNumber(left, right, symbol, expression);
                return left is ExpressionValueType.List || right is ExpressionValueType.List ? Any : Number;
            case BinaryExpressionType.Minus or BinaryExpressionType.Times or BinaryExpressionType.Div or BinaryExpressionType.Modulo or BinaryExpressionType.Exponentiation:
                ExpectNumber(left, right, symbol, expression);
                return Number;
            case BinaryExpressionType.Lesser or BinaryExpressionType.LesserOrEqual or BinaryExpressionType.Greater or BinaryExpressionType.GreaterOrEqual:
                if (!Comparable(left, right))
                {
                    Problems.Add(new ExpressionProblem($"'{symbol}' compares {left.Describe()} with {right.Describe()}; compare numbers with numbers, text with text, dates with dates.", PositionOf(expression.LeftExpression)));
                }
                return Boolean;
            case BinaryExpressionType.Equal or BinaryExpressionType.NotEqual:
                return Boolean;
            case BinaryExpressionType.And or BinaryExpressionType.Or:
                Expect(left, Boolean, $"The left side of '{symbol}'");
                Expect(right, Boolean, $"The right side of '{symbol}'");
                return Boolean;
            case BinaryExpressionType.In or BinaryExpressionType.NotIn:
                Expect(right, ExpressionValueType.List, $"The right side of '{symbol}'");
                return Boolean;
            case BinaryExpressionType.Coalesce:
                return ExpressionValueTypes.Union(left, right);
            default:
                Problems.Add(new ExpressionProblem($"The operator '{symbol}' is not available; use + - * / %, comparisons, and, or, not, in, ?? and the functions.", PositionOf(expression.RightExpression)));
                return Any;
        }
    }

    public ExpressionValueType Visit(UnaryExpression expression)
    {
        var operand = expression.Expression.Accept(this);
        switch (expression.Type)
        {
            case UnaryExpressionType.Not:
                Expect(operand, Boolean, "What 'not' negates");
                return Boolean;
            case UnaryExpressionType.Negate or UnaryExpressionType.Positive:
                Expect(operand, Number, "What the sign applies to");
                return Number;
            default:
                Problems.Add(new ExpressionProblem($"The operator '{(expression.Type == UnaryExpressionType.Factorial ? "!" : "~")}' is not available.", PositionOf(expression.Expression)));
                return Any;
        }
    }

    public ExpressionValueType Visit(ValueExpression expression) => expression switch
    {
        // A number written in the formula that a decimal cannot hold: NCalc reads 1e40 as an infinite double and 32 digits as a Guid.
        { Value: double d } when !(Math.Abs(d) < (double)decimal.MaxValue) => TooLarge(),
        { Value: Guid g } when g.ToString("N").All(char.IsAsciiDigit) => TooLarge(),
        _ => Literal(expression),
    };

    /// <summary>Names the first number as written in the formula that is beyond a decimal (the parsed value has lost its text).</summary>
    private ExpressionValueType TooLarge()
    {
        var (number, position) = NumbersWritten().FirstOrDefault(n => !_tooLarge.Contains(n.Position)
            && !decimal.TryParse(n.Text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
        if (number is not null && _tooLarge.Add(position))
        {
            Problems.Add(new ExpressionProblem(ExpressionEvaluator.TooLarge(number), position + 1));
        }
        else if (number is null && _tooLarge.Add(-1))
        {
            Problems.Add(new ExpressionProblem(ExpressionEvaluator.TooLarge("A number written in the formula")));
        }
        return Number;
    }

    /// <summary>The numbers written in the formula (digits, a fraction, an exponent), with their 0-based positions.</summary>
    private IEnumerable<(string? Text, int Position)> NumbersWritten()
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]) || (i > 0 && (char.IsLetterOrDigit(text[i - 1]) || text[i - 1] is '_' or '.')))
            {
                continue;
            }
            var end = Digits(i);
            if (end + 1 < text.Length && text[end] == '.' && char.IsAsciiDigit(text[end + 1]))
            {
                end = Digits(end + 1);
            }
            var sign = end + 1 < text.Length && text[end + 1] is '+' or '-' ? 1 : 0;
            if (end + 1 + sign < text.Length && text[end] is 'e' or 'E' && char.IsAsciiDigit(text[end + 1 + sign]))
            {
                end = Digits(end + 1 + sign);
            }
            yield return (text[i..end], i);
            i = end;
        }

        int Digits(int from)
        {
            while (from < text.Length && char.IsAsciiDigit(text[from]))
            {
                from++;
            }
            return from;
        }
    }

    private ExpressionValueType Literal(ValueExpression expression) => expression.Type switch
    {
        NCalc.ValueType.Integer or NCalc.ValueType.Float => Number,
        NCalc.ValueType.String or NCalc.ValueType.Char => Text,
        NCalc.ValueType.Boolean => Boolean,
        NCalc.ValueType.DateTime => ExpressionValueType.Date,
        _ => Unsupported($"A {expression.Type} value"),
    };

    public ExpressionValueType Visit(Function function)
    {
        var name = function.Identifier.Name;
        var arguments = function.Parameters.Select(p => p.Accept(this)).ToList();
        if (ExpressionFunctions.Find(name) is not { } known)
        {
            var nearest = ExpressionFunctions.All.Select(f => f.Name).Where(f => f.StartsWith(name[..Math.Min(2, name.Length)], StringComparison.OrdinalIgnoreCase)).Take(3).ToList();
            Problems.Add(new ExpressionProblem(
                $"There is no function {name}(). " + (nearest.Count > 0 ? $"Did you mean {string.Join(" or ", nearest.Select(n => n + "()"))}? " : "")
                + "The functions are listed under the formula.", PositionOf(name + "(")));
            return Any;
        }
        if (arguments.Count < known.MinArguments || arguments.Count > known.MaxArguments)
        {
            var wanted = known.MinArguments == known.MaxArguments ? $"{known.MinArguments}"
                : known.MaxArguments == ExpressionFunctions.Unbounded ? $"at least {known.MinArguments}" : $"{known.MinArguments} to {known.MaxArguments}";
            Problems.Add(new ExpressionProblem($"{known.Name}() takes {wanted} argument{(wanted == "1" ? "" : "s")} ({known.Signature}), but got {arguments.Count}.", PositionOf(name + "(")));
            return Any;
        }
        for (var i = 0; i < arguments.Count; i++)
        {
            var wantedType = known.ParameterType(i);
            if (!arguments[i].Fits(wantedType))
            {
                Problems.Add(new ExpressionProblem(
                    $"{known.Name}() needs {wantedType.Describe()} as argument {i + 1} ({known.Signature}), but {Describe(function.Parameters[i])} is {arguments[i].Describe()}"
                    + (wantedType == Number && arguments[i] == Text ? "; number(…) reads text as a number." : "."),
                    PositionOf(function.Parameters[i])));
            }
        }
        UsesClock |= known.UsesClock;
        return known.ResultType(arguments);
    }

    public ExpressionValueType Visit(Identifier identifier)
    {
        if (string.Equals(identifier.Name, "null", StringComparison.OrdinalIgnoreCase))
        {
            return ExpressionValueType.Null;
        }
        if (schema.Find(identifier.Name) is { } input)
        {
            if (!_dependencies.Contains(input))
            {
                _dependencies.Add(input);
            }
            return input.Type;
        }
        if (schema.ReadingTheEdited.TryGetValue(identifier.Name, out var edited))
        {
            Problems.Add(new ExpressionProblem(
                $"\"{identifier.Name}\" reads \"{edited}\": {edited} cannot read it back (a formula cannot depend on itself).", PositionOf(identifier)));
            return Any;
        }
        var suggestions = schema.Suggest(identifier.Name);
        var hint = identifier.Name.Contains('.') || identifier.Name.Contains(' ') ? "" : " Write dotted paths in brackets, e.g. [address.city].";
        Problems.Add(new ExpressionProblem(
            $"Unknown attribute \"{identifier.Name}\"." + (suggestions.Count > 0 ? $" Did you mean {string.Join(" or ", suggestions.Select(s => $"\"{s}\""))}?" : hint),
            PositionOf(identifier)));
        return Any;
    }

    public ExpressionValueType Visit(LogicalExpressionList list)
    {
        foreach (var item in list)
        {
            item.Accept(this);
        }
        return ExpressionValueType.List;
    }

    private ExpressionValueType Unsupported(string what)
    {
        Problems.Add(new ExpressionProblem($"{what} is not available in formulas."));
        return Any;
    }

    private void Expect(ExpressionValueType actual, ExpressionValueType wanted, string what)
    {
        if (!actual.Fits(wanted))
        {
            Problems.Add(new ExpressionProblem($"{what} must be {wanted.Describe()}, but is {actual.Describe()}."));
        }
    }

    private void ExpectNumber(ExpressionValueType left, ExpressionValueType right, string symbol, BinaryExpression expression)
    {
        foreach (var (type, side) in new[] { (left, expression.LeftExpression), (right, expression.RightExpression) })
        {
            if (!type.Fits(Number) || type == ExpressionValueType.Date)
            {
                Problems.Add(new ExpressionProblem(
                    $"'{symbol}' works on numbers, but {Describe(side)} is {type.Describe()}"
                    + (type == Text ? "; number(…) reads text as a number." : type == ExpressionValueType.Date ? "; days_between(…) and years_between(…) work on dates." : "."),
                    PositionOf(side)));
            }
        }
    }

    private static bool Comparable(ExpressionValueType left, ExpressionValueType right) =>
        left is Any or ExpressionValueType.Null || right is Any or ExpressionValueType.Null || left == right
        || (left, right) is (ExpressionValueType.Date, Text) or (Text, ExpressionValueType.Date);

    private static string Describe(LogicalExpression expression) => expression switch
    {
        Identifier i => i.Name,
        Function f => f.Identifier.Name + "(…)",
        ValueExpression { Value: string s } => $"'{s}'",
        ValueExpression v => Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "the value",
        _ => "that part",
    };

    private int? PositionOf(LogicalExpression expression) => expression switch
    {
        Identifier i => PositionOf(i.Name),
        Function f => PositionOf(f.Identifier.Name + "("),
        ValueExpression { Value: string s } => PositionOf(s),
        _ => null,
    };

    /// <summary>The 1-based column of the first whole-word occurrence of <paramref name="token"/>; the tree keeps no positions.</summary>
    private int? PositionOf(string token)
    {
        for (var at = text.IndexOf(token, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(token, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var before = at == 0 ? ' ' : text[at - 1];
            var after = at + token.Length >= text.Length ? ' ' : text[at + token.Length];
            if (!char.IsLetterOrDigit(before) && before != '_' && (token.EndsWith('(') || (!char.IsLetterOrDigit(after) && after != '_')))
            {
                return at + 1;
            }
        }
        return null;
    }

    private static string Symbol(BinaryExpressionType type) => type switch
    {
        BinaryExpressionType.Plus => "+",
        BinaryExpressionType.Minus => "-",
        BinaryExpressionType.Times => "*",
        BinaryExpressionType.Div => "/",
        BinaryExpressionType.Modulo => "%",
        BinaryExpressionType.Exponentiation => "**",
        BinaryExpressionType.Lesser => "<",
        BinaryExpressionType.LesserOrEqual => "<=",
        BinaryExpressionType.Greater => ">",
        BinaryExpressionType.GreaterOrEqual => ">=",
        BinaryExpressionType.Equal => "==",
        BinaryExpressionType.NotEqual => "!=",
        BinaryExpressionType.And => "and",
        BinaryExpressionType.Or => "or",
        BinaryExpressionType.In => "in",
        BinaryExpressionType.NotIn => "not in",
        BinaryExpressionType.Coalesce => "??",
        BinaryExpressionType.Like => "like",
        BinaryExpressionType.NotLike => "not like",
        BinaryExpressionType.BitwiseAnd => "&",
        BinaryExpressionType.BitwiseOr => "|",
        BinaryExpressionType.BitwiseXOr => "^",
        BinaryExpressionType.LeftShift => "<<",
        BinaryExpressionType.RightShift => ">>",
        _ => type.ToString(),
    };
}
