using System.Text.Json.Nodes;
using ProfileStudio.Core.ComputedAttributes.Expressions;

namespace ProfileStudio.Tests.ComputedAttributes.Expressions;

public sealed class ExpressionFormulaTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 17, 30, 0, DateTimeKind.Utc);

    private static readonly ExpressionSchema Schema = new(
    [
        new("firstName", ExpressionInputKind.Attribute, ExpressionValueType.Text),
        new("lastName", ExpressionInputKind.Attribute, ExpressionValueType.Text),
        new("birthday", ExpressionInputKind.Attribute, ExpressionValueType.Date),
        new("address.city", ExpressionInputKind.Attribute, ExpressionValueType.Text),
        new("plan", ExpressionInputKind.Attribute, ExpressionValueType.Any),
        new("lifetime_value", ExpressionInputKind.Computed, ExpressionValueType.Number),
        new("orders", ExpressionInputKind.Computed, ExpressionValueType.Number),
    ]);

    private static ExpressionFormula Valid(string text)
    {
        var validation = ExpressionFormula.Parse(text, Schema);
        Assert.True(validation.IsValid, string.Join("; ", validation.Problems));
        return validation.Formula!;
    }

    private static object? Eval(string text, params (string Name, object? Value)[] values)
    {
        var map = values.ToDictionary(v => v.Name, v => v.Value);
        var outcome = ExpressionEvaluator.Evaluate(Valid(text), n => map.GetValueOrDefault(n), Now);
        Assert.Null(outcome.Error);
        return outcome.Value;
    }

    private static ExpressionProblem Problem(string text)
    {
        var validation = ExpressionFormula.Parse(text, Schema);
        Assert.False(validation.IsValid);
        return Assert.Single(validation.Problems);
    }

    [Fact]
    public void Evaluate_FullName_JoinsTextAndSkipsEmpty()
    {
        Assert.Equal("Ada Lovelace", Eval("firstName + ' ' + lastName", ("firstName", "Ada"), ("lastName", "Lovelace")));
        Assert.Equal("Ada", Eval("trim(firstName + ' ' + lastName)", ("firstName", "Ada")));
    }

    [Fact]
    public void Evaluate_Age_CountsWholeYearsUntilToday()
    {
        Assert.Equal(39m, Eval("age(birthday)", ("birthday", "1987-07-20")));
        Assert.Equal(38m, Eval("age(birthday)", ("birthday", "1987-12-04")));
        Assert.Equal(39m, Eval("age(birthday)", ("birthday", "1987-12-03")));
        Assert.Null(Eval("age(birthday)", ("birthday", "not a date")));
        Assert.True(Valid("age(birthday)").UsesClock);
        Assert.False(Valid("lifetime_value / orders").UsesClock);
    }

    [Fact]
    public void Evaluate_Ratio_IsEmptyWhenDividingByZeroOrEmpty()
    {
        Assert.Equal(25m, Eval("lifetime_value / orders", ("lifetime_value", 100m), ("orders", 4m)));
        Assert.Null(Eval("lifetime_value / orders", ("lifetime_value", 100m), ("orders", 0m)));
        Assert.Null(Eval("lifetime_value / orders", ("lifetime_value", 100m)));
        Assert.Equal(33.33m, Eval("round(lifetime_value / orders, 2)", ("lifetime_value", 100m), ("orders", 3m)));
    }

    [Theory]
    [InlineData(1500, "gold")]
    [InlineData(1000, "gold")]
    [InlineData(999.99, "silver")]
    [InlineData(5, "bronze")]
    public void Evaluate_TierByThresholds_PicksTheBranch(double value, string tier)
    {
        const string formula = "if(lifetime_value >= 1000, 'gold', if(lifetime_value >= 100, 'silver', 'bronze'))";
        Assert.Equal(tier, Eval(formula, ("lifetime_value", (decimal)value)));
        Assert.Equal(ExpressionValueType.Text, Valid(formula).ResultType);
    }

    [Fact]
    public void Evaluate_BracketedPathsCoalesceAndIn_Work()
    {
        Assert.Equal("berlin", Eval("lower([address.city])", ("address.city", "Berlin")));
        Assert.Equal("unknown", Eval("coalesce([address.city], 'unknown')"));
        Assert.Equal("unknown", Eval("[address.city] ?? 'unknown'"));
        Assert.Equal(true, Eval("plan in ('pro', 'team')", ("plan", "pro")));
        Assert.Equal(false, Eval("plan in ('pro', 'team')", ("plan", "free")));
    }

    [Fact]
    public void Evaluate_IfOnlyEvaluatesTheTakenBranch()
    {
        // The untaken branch would fail on text; it must not run.
        Assert.Equal(0m, Eval("if(plan == 'free', 0, number(plan) * 2)", ("plan", "free")));
    }

    [Fact]
    public void Evaluate_WrongValueOnOneProfile_GivesAnEmptyValueAndAReason()
    {
        var outcome = ExpressionEvaluator.Evaluate(Valid("plan * 2"), _ => "abc", Now);
        Assert.Null(outcome.Value);
        Assert.Equal("'*' needs numbers, but got text \"abc\".", outcome.Error);
        Assert.Equal(25m, ExpressionEvaluator.Evaluate(Valid("plan * 2"), _ => "12.5", Now).Value);
    }

    [Fact]
    public void Evaluate_HugeText_IsRefused()
    {
        var big = new string('x', 3000);
        var outcome = ExpressionEvaluator.Evaluate(Valid("firstName + firstName"), _ => big, Now);
        Assert.Null(outcome.Value);
        Assert.Contains("the limit is 4,000", outcome.Error);
    }

    [Fact]
    public void Evaluate_Overflow_IsAnErrorNotAnException()
    {
        var outcome = ExpressionEvaluator.Evaluate(Valid("10 ** 40"), _ => null, Now);
        Assert.Equal("10 ** 40 is too large: numbers in formulas go from -79,228,162,514,264,337,593,543,950,335 to 79,228,162,514,264,337,593,543,950,335.", outcome.Error);
    }

    [Fact]
    public void Evaluate_AnOperationBeyondADecimal_NamesTheOperationAndTheBounds()
    {
        var outcome = ExpressionEvaluator.Evaluate(Valid("plan * 2"), _ => 79228162514264337593543950335m, Now);

        Assert.Equal("79228162514264337593543950335 * 2 is too large: numbers in formulas go from -79,228,162,514,264,337,593,543,950,335 to 79,228,162,514,264,337,593,543,950,335.", outcome.Error);
    }

    [Theory]
    [InlineData("plan * 1e40", "1e40", 8)]
    [InlineData("plan + 99999999999999999999999999999999", "99999999999999999999999999999999", 8)] // NCalc reads 32 digits as a Guid
    public void Parse_ANumberWrittenBeyondADecimal_IsAProblemNamingIt(string formula, string number, int position)
    {
        var problem = Problem(formula);

        Assert.Equal($"{number} is too large: numbers in formulas go from -79,228,162,514,264,337,593,543,950,335 to 79,228,162,514,264,337,593,543,950,335.", problem.Message);
        Assert.Equal(position, problem.Position);
    }

    [Fact]
    public void Parse_UnknownAttribute_SaysSoWithSuggestionAndPosition()
    {
        var problem = Problem("lifetime_valu / orders");
        Assert.Equal("Unknown attribute \"lifetime_valu\". Did you mean \"lifetime_value\"?", problem.Message);
        Assert.Equal(1, problem.Position);
        Assert.Equal(11, Problem("orders + [address.town]").Position);
    }

    [Fact]
    public void Parse_SyntaxError_GivesThePosition()
    {
        var problem = Problem("round(lifetime_value / orders");
        Assert.StartsWith("Syntax error: Parenthesis not closed", problem.Message);
        Assert.NotNull(problem.Position);
    }

    [Fact]
    public void Parse_ADottedPathWithoutBrackets_IsToldToUseBrackets()
    {
        var problem = Problem("upper(address.city)");
        Assert.StartsWith("Syntax error", problem.Message);
        Assert.EndsWith("Write dotted paths in brackets, e.g. [address.city].", problem.Message);
        Assert.DoesNotContain("brackets", Problem("round(lifetime_value / orders").Message); // only where a dotted name is
        Assert.DoesNotContain("Write dotted paths", Problem("upper([address.city]").Message); // one in brackets already
    }

    [Fact]
    public void Parse_SyntaxError_QuotesWholeWordsNearThePosition()
    {
        var problem = Problem("System.IO.File.ReadAllText('/etc/passwd')");
        Assert.StartsWith("Syntax error", problem.Message);
        Assert.DoesNotContain("\"ystem", problem.Message); // it was cut mid-word: near "ystem.IO.Fil"
        Assert.Contains("near \"System.IO.File.ReadAllText", problem.Message);
    }

    [Fact]
    public void Parse_TypeErrors_AreReportedBeforeRunning()
    {
        Assert.Equal("'*' works on numbers, but firstName is text; number(…) reads text as a number.", Problem("firstName * 2").Message);
        Assert.Equal("'-' works on numbers, but birthday is a date; days_between(…) and years_between(…) work on dates.", Problem("birthday - 1").Message);
        Assert.StartsWith("round() needs a number as argument 1", Problem("round(lastName)").Message);
        Assert.StartsWith("'<' compares a number with text", Problem("orders < lastName").Message);
        Assert.Equal("if() takes 3 arguments (if(condition, then, else)), but got 2.", Problem("if(orders > 1, 'a')").Message);
    }

    [Theory]
    [InlineData("Sin(1)")]
    [InlineData("GetType()")]
    [InlineData("System.IO.File.Delete('x')")]
    public void Parse_FunctionsOutsideTheList_AreRefused(string formula)
    {
        var validation = ExpressionFormula.Parse(formula, Schema);
        Assert.False(validation.IsValid);
    }

    [Fact]
    public void Parse_UnsupportedOperatorAndLimits_AreRefused()
    {
        Assert.StartsWith("The operator '&' is not available", Problem("orders & 1").Message);
        Assert.StartsWith("The formula has 2,001 characters", Problem(new string('1', 2001)).Message);
        Assert.StartsWith("The formula nests parentheses more than 32 deep", Problem(new string('(', 40) + "1" + new string(')', 40)).Message);
        Assert.StartsWith("Write a formula", Problem("  ").Message);
    }

    [Fact]
    public void Parse_Dependencies_ListWhatTheFormulaReads()
    {
        var formula = Valid("if(orders > 0, lifetime_value / orders, 0) + number(plan)");
        Assert.Equal(["orders", "lifetime_value", "plan"], formula.Dependencies.Select(d => d.Name));
        Assert.Equal(ExpressionInputKind.Computed, formula.Dependencies[0].Kind);
    }

    [Fact]
    public void Schema_ComputedShadowsAttributeOfTheSameName()
    {
        var schema = new ExpressionSchema([new("ltv", ExpressionInputKind.Attribute, ExpressionValueType.Text), new("ltv", ExpressionInputKind.Computed, ExpressionValueType.Number)]);
        Assert.Equal(ExpressionInputKind.Computed, schema.Find("ltv")!.Kind);
    }

    [Fact]
    public void Values_RoundTripThroughJson()
    {
        Assert.Equal("12.5", ExpressionValues.ToJsonText(12.5m));
        Assert.Equal("\"1987-07-20\"", ExpressionValues.ToJsonText(new DateTime(1987, 7, 20, 0, 0, 0, DateTimeKind.Utc)));
        Assert.Equal(12.5m, ExpressionValues.FromJson("12.5"));
        Assert.Equal(new object?[] { "a", 1m }, (IEnumerable<object?>)ExpressionValues.FromJson("[\"a\", 1]")!);
        Assert.Null(ExpressionValues.FromJson(JsonNode.Parse("{\"a\":1}")!.ToJsonString()));
    }
}
