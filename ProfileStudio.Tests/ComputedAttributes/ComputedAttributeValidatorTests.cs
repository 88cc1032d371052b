using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Tests.ComputedAttributes;

public sealed class ComputedAttributeValidatorTests
{
    private static ComputedAttributeDraft Draft(ComputedFunction function = ComputedFunction.Sum, string? path = "amount", LookbackWindow? window = null,
        IReadOnlyList<EventCondition>? conditions = null, string name = "lifetime_value", IReadOnlyList<string>? events = null) =>
        new(name, null, function, events ?? ["Order Completed"], path, conditions ?? [], window ?? LookbackWindow.AllTime);

    [Fact]
    public void Validate_AGoodDefinition_NoProblems() =>
        Assert.Empty(ComputedAttributeValidator.Validate(Draft(window: LookbackWindow.Days(30), conditions: [EventCondition.Of("amount", ConditionOperator.GreaterThan, "5")])));

    [Theory]
    [InlineData("")]
    [InlineData("average order value")]
    public void ValidateComputation_NoNameOrNotAKey_IsNoProblemThere_ThoughSavingNeedsOne(string name)
    {
        var draft = Draft(name: name);

        Assert.Empty(ComputedAttributeValidator.ValidateComputation(draft));
        Assert.Single(ComputedAttributeValidator.Validate(draft));
        Assert.Equal(["Choose at least one event name (e.g. Order Completed)."], ComputedAttributeValidator.ValidateComputation(Draft(name: name, events: [])));
    }

    [Fact]
    public void Validate_SumOverATextProperty_SaysItNeedsANumberAndWhatToUseInstead()
    {
        var problems = ComputedAttributeValidator.Validate(Draft(path: "category"), new Dictionary<string, PropertyKinds> { ["category"] = PropertyKinds.Text });

        var problem = Assert.Single(problems);
        Assert.Contains("sum needs a number", problem);
        Assert.Contains("\"category\" holds text", problem);
        Assert.Contains("most_frequent", problem);
    }

    [Theory]
    [InlineData("Order Total")]
    [InlineData("$revenue")]
    [InlineData("cart.@id")]
    public void Validate_PropertiesAsTrackingClientsNameThem_AreAccepted(string path)
    {
        // The event property picker offered "Order Total" (a key as a client sent it), and saving refused it as "contains a space".
        Assert.Empty(ComputedAttributeValidator.Validate(Draft(path: path)));
        Assert.Empty(ComputedAttributeValidator.Validate(Draft(function: ComputedFunction.Count, path: null, conditions: [EventCondition.Of(path, ConditionOperator.Exists)])));
    }

    [Fact]
    public void Validate_APathNoPickerOffers_SaysWhatAPathIs()
    {
        var problem = Assert.Single(ComputedAttributeValidator.Validate(Draft(conditions: [EventCondition.Of("say \"hi\"", ConditionOperator.Exists)])));

        Assert.Equal("Condition 1: The property path \"say \"hi\"\" is not a dotted list of names (letters, digits, _ - $ @).", problem);
    }

    [Fact]
    public void Validate_SumOverAPropertySeenAsTextAndNumber_Accepted() =>
        Assert.Empty(ComputedAttributeValidator.Validate(Draft(), new Dictionary<string, PropertyKinds> { ["amount"] = PropertyKinds.Text | PropertyKinds.Number }));

    [Fact]
    public void Validate_CountWithAProperty_SaysToLeaveItEmpty() =>
        Assert.Contains("leave the property empty", Assert.Single(ComputedAttributeValidator.Validate(Draft(ComputedFunction.Count, "amount"))));

    [Theory]
    [InlineData(ComputedFunction.Avg)]
    [InlineData(ComputedFunction.MostFrequent)]
    [InlineData(ComputedFunction.Distinct)]
    public void Validate_AFunctionWithoutItsProperty_AsksForIt(ComputedFunction function) =>
        Assert.Contains("needs the event property", Assert.Single(ComputedAttributeValidator.Validate(Draft(function, null))));

    [Theory]
    [InlineData("lifetime value", "a space")]
    [InlineData("", "Give the attribute a name")]
    [InlineData("a..b", "empty part")]
    public void Validate_ABadName_TheAttributeKeyRule(string name, string expected) =>
        Assert.Contains(expected, Assert.Single(ComputedAttributeValidator.Validate(Draft(name: name))));

    [Fact]
    public void Validate_NoEvents_AsksForOne() =>
        Assert.Contains("at least one event", Assert.Single(ComputedAttributeValidator.Validate(Draft(events: []))));

    [Theory]
    [InlineData(WindowUnit.Days, 0)]
    [InlineData(WindowUnit.Months, 121)]
    [InlineData(WindowUnit.Hours, -3)]
    public void Validate_AWindowOutOfRange_SaysTheRange(WindowUnit unit, int size) =>
        Assert.Contains("with N from 1 to", Assert.Single(ComputedAttributeValidator.Validate(Draft(window: new LookbackWindow(unit, size)))));

    [Theory]
    [InlineData(ConditionOperator.LessThan, new[] { "abc" }, "compares numbers")]
    [InlineData(ConditionOperator.Exists, new[] { "x" }, "takes no value")]
    [InlineData(ConditionOperator.InList, new string[0], "at least one value")]
    [InlineData(ConditionOperator.Equals, new[] { "a", "b" }, "exactly one value")]
    public void Validate_ABadCondition_NamesTheConditionAndTheProblem(ConditionOperator op, string[] values, string expected)
    {
        var problem = Assert.Single(ComputedAttributeValidator.Validate(Draft(conditions: [new EventCondition("amount", op, values)])));

        Assert.StartsWith("Condition 1:", problem);
        Assert.Contains(expected, problem);
    }

    [Theory]
    [InlineData("1e308", "Condition 1: \"1e308\" is too large: numbers here go up to 79,228,162,514,264,337,593,543,950,335.")]
    [InlineData("1e309", "Condition 1: \"1e309\" is too large: numbers here go up to 79,228,162,514,264,337,593,543,950,335.")]
    [InlineData("-8e28", "Condition 1: \"-8e28\" is too large a negative number: numbers here go down to -79,228,162,514,264,337,593,543,950,335.")]
    [InlineData("Infinity", "Condition 1: \">\" compares numbers; \"Infinity\" is not a number.")]
    [InlineData("1e-400", "Condition 1: \"1e-400\" is too close to 0 to hold: numbers here other than 0 are at least 0.0000000000000000000000000001 (1e-28) from it.")]
    public void Validate_AComparedNumberBeyondADecimal_SaysItIsTooLargeOrTooSmallAndTheBound(string value, string expected) =>
        Assert.Equal(expected, Assert.Single(ComputedAttributeValidator.Validate(Draft(conditions: [EventCondition.Of("amount", ConditionOperator.GreaterThan, value)]))));

    [Theory]
    [InlineData(WindowUnit.Days, int.MaxValue, "The window is the last N days, with N from 1 to 3,660.")]
    [InlineData(WindowUnit.Days, int.MinValue, "The window is the last N days, with N from 1 to 3,660.")]
    [InlineData(WindowUnit.Hours, 100_000, "The window is the last N hours, with N from 1 to 87,840; 100,000 is outside that.")]
    public void Validate_AWindowBeyondInt_NamesNoNumberNobodyTyped(WindowUnit unit, int size, string expected) =>
        Assert.Equal(expected, Assert.Single(ComputedAttributeValidator.Validate(Draft(window: new LookbackWindow(unit, size)))));

    [Fact]
    public void Validate_ANumericComparisonOnATextProperty_Refused() =>
        Assert.Contains("holds text", Assert.Single(ComputedAttributeValidator.Validate(
            Draft(conditions: [EventCondition.Of("category", ConditionOperator.GreaterThan, "3")]), new Dictionary<string, PropertyKinds> { ["category"] = PropertyKinds.Text })));
}
