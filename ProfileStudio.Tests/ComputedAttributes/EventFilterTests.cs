using System.Text.Json;
using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Tests.ComputedAttributes;

public sealed class EventFilterTests
{
    private static bool Holds(ConditionOperator op, string operand, string amount)
    {
        using var properties = JsonDocument.Parse($$"""{"amount":{{amount}}}""");
        return EventFilter.Holds(EventCondition.Of("amount", op, operand), properties.RootElement);
    }

    [Theory]
    [InlineData(ConditionOperator.Equals, "1e-400", "0", false)] // it was true: 1e-400 read as the decimal 0
    [InlineData(ConditionOperator.InList, "1e-400", "0", false)]
    [InlineData(ConditionOperator.NotEquals, "1e-400", "0", true)]
    [InlineData(ConditionOperator.Equals, "-1e-30", "0", false)]
    [InlineData(ConditionOperator.Equals, "0e-400", "0", true)]
    [InlineData(ConditionOperator.Equals, "10", "10.0", true)]
    [InlineData(ConditionOperator.Equals, "1e30", "1e30", true)]
    public void Holds_EqualsAnOperandADecimalCannotHold_IsNotEqualsZero(ConditionOperator op, string operand, string amount, bool expected) =>
        Assert.Equal(expected, Holds(op, operand, amount));
}
