using NCalc;
using ProfileStudio.Core.Formatting;
using NCalc.Visitors;

namespace ProfileStudio.Core.ComputedAttributes.Expressions;

/// <summary>A formula's value on one profile, or why it has none there (the value is then empty).</summary>
public sealed record ExpressionOutcome(object? Value, string? Error = null)
{
    public bool Failed => Error is not null;
}

/// <summary>
/// Evaluates a checked formula against one profile's values. Empty values flow through as in SQL:
/// arithmetic with an empty value is empty, comparisons with it are false, text joins skip it, and
/// dividing by zero is empty. A value of the wrong kind on one profile (text in an attribute that is
/// usually a number) gives that profile an empty value and a reason, never an exception.
/// </summary>
public static class ExpressionEvaluator
{
    /// <summary>The longest text a formula may produce (bounds memory whatever the inputs hold).</summary>
    public const int MaxTextLength = 4000;

    /// <param name="inputs">The value of a name (attribute path or computed attribute), null when the profile has none.</param>
    /// <param name="now">The clock reading for today()/now()/age().</param>
    public static ExpressionOutcome Evaluate(ExpressionFormula formula, Func<string, object?> inputs, DateTime now)
    {
        try
        {
            return new ExpressionOutcome(formula.Root.Accept(new Visitor(inputs, now)));
        }
        catch (ExpressionEvaluationException e)
        {
            return new ExpressionOutcome(null, e.Message);
        }
        catch (OverflowException)
        {
            return new ExpressionOutcome(null, TooLarge("A result"));
        }
    }

    /// <summary>Formulas compute in decimals: what grew beyond one is named with the bounds, so the formula can be changed.</summary>
    internal static string TooLarge(string what) =>
        $"{what} is too large: numbers in formulas go from -{NumberBounds.DecimalMax} to {NumberBounds.DecimalMax}.";

    /// <summary>Equality as formulas see it: numbers by value, text exactly, a date equals the same date written as ISO text.</summary>
    public static bool ValuesEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (decimal x, decimal y) => x == y,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (bool x, bool y) => x == y,
        (DateTime, _) or (_, DateTime) => ExpressionValues.Date(a) is { } x && ExpressionValues.Date(b) is { } y && x == y,
        (decimal, string) or (string, decimal) => ExpressionValues.Number(a) is { } x && ExpressionValues.Number(b) is { } y && x == y,
        (IReadOnlyList<object?> x, IReadOnlyList<object?> y) => x.Count == y.Count && x.Zip(y).All(p => ValuesEqual(p.First, p.Second)),
        _ => false,
    };

    private sealed class Visitor(Func<string, object?> inputs, DateTime now) : ILogicalExpressionVisitor<object?>
    {
        public object? Visit(TernaryExpression expression) =>
            ExpressionFunctions.Truth(expression.LeftExpression.Accept(this), "The condition before ?")
                ? expression.MiddleExpression.Accept(this)
                : expression.RightExpression.Accept(this);

        public object? Visit(BinaryExpression expression)
        {
            switch (expression.Type)
            {
                case BinaryExpressionType.And:
                    return ExpressionFunctions.Truth(expression.LeftExpression.Accept(this), "and") && ExpressionFunctions.Truth(expression.RightExpression.Accept(this), "and");
                case BinaryExpressionType.Or:
                    return ExpressionFunctions.Truth(expression.LeftExpression.Accept(this), "or") || ExpressionFunctions.Truth(expression.RightExpression.Accept(this), "or");
                case BinaryExpressionType.Coalesce:
                    return expression.LeftExpression.Accept(this) ?? expression.RightExpression.Accept(this);
            }
            var left = expression.LeftExpression.Accept(this);
            var right = expression.RightExpression.Accept(this);
            return expression.Type switch
            {
                BinaryExpressionType.Plus when left is string || right is string => Bounded(ExpressionValues.Text(left) + ExpressionValues.Text(right)),
                BinaryExpressionType.Plus => Arithmetic(left, right, "+", (x, y) => x + y),
                BinaryExpressionType.Minus => Arithmetic(left, right, "-", (x, y) => x - y),
                BinaryExpressionType.Times => Arithmetic(left, right, "*", (x, y) => x * y),
                BinaryExpressionType.Div => Arithmetic(left, right, "/", (x, y) => y == 0 ? null : x / y),
                BinaryExpressionType.Modulo => Arithmetic(left, right, "%", (x, y) => y == 0 ? null : x % y),
                BinaryExpressionType.Exponentiation => Arithmetic(left, right, "**", Power),
                BinaryExpressionType.Equal => ValuesEqual(left, right),
                BinaryExpressionType.NotEqual => !ValuesEqual(left, right),
                BinaryExpressionType.Lesser => Compare(left, right) is < 0,
                BinaryExpressionType.LesserOrEqual => Compare(left, right) is <= 0,
                BinaryExpressionType.Greater => Compare(left, right) is > 0,
                BinaryExpressionType.GreaterOrEqual => Compare(left, right) is >= 0,
                BinaryExpressionType.In => In(left, right),
                BinaryExpressionType.NotIn => !In(left, right),
                // The checker refuses every other operator; a tree that reaches here was not checked.
                _ => throw new ExpressionEvaluationException($"The operator {expression.Type} is not available."),
            };
        }

        public object? Visit(UnaryExpression expression)
        {
            var operand = expression.Expression.Accept(this);
            return expression.Type switch
            {
                UnaryExpressionType.Not => !ExpressionFunctions.Truth(operand, "not"),
                UnaryExpressionType.Negate => Arithmetic(operand, 0m, "-", (x, _) => -x),
                UnaryExpressionType.Positive => Arithmetic(operand, 0m, "+", (x, _) => x),
                _ => throw new ExpressionEvaluationException($"The operator {expression.Type} is not available."),
            };
        }

        public object? Visit(ValueExpression expression) => expression.Value switch
        {
            int i => (decimal)i,
            long l => (decimal)l,
            double d => Math.Abs(d) < (double)decimal.MaxValue ? (decimal)d : throw new ExpressionEvaluationException(TooLarge(d.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
            decimal m => m,
            char c => c.ToString(),
            var other => other,
        };

        public object? Visit(Function function)
        {
            var known = ExpressionFunctions.Find(function.Identifier.Name)
                ?? throw new ExpressionEvaluationException($"There is no function {function.Identifier.Name}().");
            return Bounded(known.Invoke(new Call(this, function.Parameters, now)));
        }

        public object? Visit(Identifier identifier) =>
            string.Equals(identifier.Name, "null", StringComparison.OrdinalIgnoreCase) ? null : inputs(identifier.Name);

        public object? Visit(LogicalExpressionList list) => list.Select(item => item.Accept(this)).ToList();

        private static object? Bounded(object? value) => value is string { Length: > MaxTextLength } s
            ? throw new ExpressionEvaluationException($"The text would be {s.Length:N0} characters long; the limit is {MaxTextLength:N0}.")
            : value;

        private static object? Arithmetic(object? left, object? right, string symbol, Func<decimal, decimal, decimal?> operation)
        {
            if (left is null || right is null)
            {
                return null;
            }
            var x = ExpressionValues.Number(left) ?? throw new ExpressionEvaluationException($"'{symbol}' needs numbers, but got {ExpressionFunctions.Show(left)}.");
            var y = ExpressionValues.Number(right) ?? throw new ExpressionEvaluationException($"'{symbol}' needs numbers, but got {ExpressionFunctions.Show(right)}.");
            try
            {
                return operation(x, y);
            }
            catch (OverflowException)
            {
                throw new ExpressionEvaluationException(TooLarge($"{ExpressionValues.Text(x)} {symbol} {ExpressionValues.Text(y)}"));
            }
        }

        private static decimal? Power(decimal x, decimal y)
        {
            var result = Math.Pow((double)x, (double)y);
            return double.IsFinite(result) && Math.Abs(result) < (double)decimal.MaxValue ? (decimal)result : throw new OverflowException();
        }

        private static int? Compare(object? left, object? right)
        {
            if (left is null || right is null)
            {
                return null;
            }
            if (left is DateTime || right is DateTime)
            {
                return ExpressionValues.Date(left) is { } a && ExpressionValues.Date(right) is { } b
                    ? a.CompareTo(b)
                    : throw new ExpressionEvaluationException($"Cannot compare {ExpressionFunctions.Show(left)} with {ExpressionFunctions.Show(right)}.");
            }
            if (left is string l && right is string r)
            {
                return string.CompareOrdinal(l, r);
            }
            return ExpressionValues.Number(left) is { } x && ExpressionValues.Number(right) is { } y
                ? x.CompareTo(y)
                : throw new ExpressionEvaluationException($"Cannot compare {ExpressionFunctions.Show(left)} with {ExpressionFunctions.Show(right)}.");
        }

        private static bool In(object? value, object? list) =>
            list is IReadOnlyList<object?> items
                ? items.Any(item => ValuesEqual(value, item))
                : throw new ExpressionEvaluationException("'in' needs a list on its right, e.g. country in ('DE', 'AT').");
    }

    private sealed class Call(Visitor visitor, LogicalExpressionList arguments, DateTime now) : IExpressionCall
    {
        public int Count => arguments.Count;

        public object? Argument(int index) => arguments[index].Accept(visitor);

        public DateTime Now => now;
    }
}
