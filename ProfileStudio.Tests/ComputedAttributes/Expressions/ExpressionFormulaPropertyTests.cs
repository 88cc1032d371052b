using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.ComputedAttributes.Expressions;

namespace ProfileStudio.Tests.ComputedAttributes.Expressions;

public sealed class ExpressionFormulaPropertyTests
{
    private static readonly ExpressionSchema Schema = new(
        new[] { "a", "b", "c" }.Select(n => new ExpressionInput(n, ExpressionInputKind.Attribute, ExpressionValueType.Number)));

    /// <summary>A random arithmetic formula with its meaning computed independently (null = empty).</summary>
    private sealed record Term(string Text, Func<IReadOnlyDictionary<string, decimal?>, decimal?> Value);

    private static Gen<Term> TermOf(int depth)
    {
        var leaf = Gen.OneOf(
            Gen.Choose(0, 50).Select(i => new Term(i.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => i)),
            Gen.Elements("a", "b", "c").Select(n => new Term(n, env => env[n])));
        if (depth == 0)
        {
            return leaf;
        }
        var sub = TermOf(depth - 1);
        var binary = from op in Gen.Elements("+", "-", "*", "/")
                     from l in sub
                     from r in sub
                     select new Term($"({l.Text} {op} {r.Text})", env => Apply(op, l.Value(env), r.Value(env)));
        var call = from fn in Gen.Elements("coalesce", "max", "abs")
                   from l in sub
                   from r in sub
                   select fn switch
                   {
                       "coalesce" => new Term($"coalesce({l.Text}, {r.Text})", env => l.Value(env) ?? r.Value(env)),
                       "max" => new Term($"max({l.Text}, {r.Text})", env => new[] { l.Value(env), r.Value(env) }.Where(v => v is not null).Max()),
                       _ => new Term($"abs({l.Text})", env => l.Value(env) is { } v ? Math.Abs(v) : null),
                   };
        return Gen.Frequency((2, leaf), (3, binary), (1, call));
    }

    private static decimal? Apply(string op, decimal? l, decimal? r)
    {
        if (l is not { } x || r is not { } y)
        {
            return null;
        }
        return op switch
        {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            _ => y == 0 ? null : x / y,
        };
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Evaluate_RandomArithmetic_MatchesAnIndependentModel()
    {
        var value = Gen.OneOf(Gen.Constant<decimal?>(null), Gen.Choose(-20, 20).Select(i => (decimal?)i));
        var cases = from term in TermOf(3)
                    from a in value
                    from b in value
                    from c in value
                    select (term, env: (IReadOnlyDictionary<string, decimal?>)new Dictionary<string, decimal?> { ["a"] = a, ["b"] = b, ["c"] = c });
        return Prop.ForAll(cases.ToArbitrary(), x =>
        {
            var validation = ExpressionFormula.Parse(x.term.Text, Schema);
            if (!validation.IsValid)
            {
                return false.Label(x.term.Text + ": " + string.Join("; ", validation.Problems));
            }
            decimal? expected;
            try
            {
                expected = x.term.Value(x.env);
            }
            catch (OverflowException)
            {
                return true.ToProperty(); // the model overflowed too; the evaluator reports it (tested elsewhere)
            }
            var outcome = ExpressionEvaluator.Evaluate(validation.Formula!, n => x.env[n], DateTime.UnixEpoch);
            return (Equals(outcome.Value, expected) && outcome.Error is null).Label($"{x.term.Text} = {outcome.Value} ({outcome.Error}), expected {expected}");
        });
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property ParseAndEvaluate_AnyText_NeverThrow()
    {
        // Text from the formula alphabet, so that much of it is nearly valid, and the inputs of every kind.
        var text = Gen.Elements("a", "b", "(", ")", "+", "*", "/", "'x'", ",", "if", "round", "age", "1", "0", " ", "==", "and", "in", "[", "]", "?", ":", "!", "**", "null", "today()")
            .ListOf().Select(parts => string.Concat(parts));
        var input = Gen.Elements<object?>(null, 0m, 3m, "text", "1987-07-20", true, new List<object?> { 1m, "x" });
        return Prop.ForAll(text.ToArbitrary(), input.ToArbitrary(), (formula, value) =>
        {
            var validation = ExpressionFormula.Parse(formula, Schema);
            if (validation.IsValid)
            {
                ExpressionEvaluator.Evaluate(validation.Formula!, _ => value, DateTime.UnixEpoch);
            }
            else
            {
                Assert.NotEmpty(validation.Problems);
            }
        });
    }
}
