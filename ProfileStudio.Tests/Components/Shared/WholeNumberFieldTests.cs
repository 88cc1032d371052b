using ProfileStudio.Components.Shared;

namespace ProfileStudio.Tests.Components.Shared;

public sealed class WholeNumberFieldTests
{
    [Theory]
    [InlineData("", null)]
    [InlineData(" ", null)]
    [InlineData("-5", -5)]
    [InlineData("0", 0)]
    [InlineData(" 744 ", 744)]
    [InlineData("100000", 100_000)]
    [InlineData("1000000000000", int.MaxValue)]
    [InlineData("1e308", int.MaxValue)]
    [InlineData("-1e12", int.MinValue)]
    [InlineData("2.5", WholeNumberField.NotAWholeNumber)]
    [InlineData("abc", WholeNumberField.NotAWholeNumber)]
    public void Parse_KeepsTheTypedNumber_ElseABoundEveryRangeRefuses(string text, int? expected) =>
        Assert.Equal(expected, WholeNumberField.Parse(text));
}
