using ProfileStudio.Core.Formatting;

namespace ProfileStudio.Tests.Formatting;

public sealed class NumberBoundsTests
{
    [Theory]
    [InlineData("", null, null)]
    [InlineData(" 12.5 ", 12.5, null)]
    [InlineData("-3", -3.0, null)]
    [InlineData("1e200", 1e200, null)]
    [InlineData("0", 0.0, null)]
    [InlineData("0e-400", 0.0, null)]
    [InlineData("1e309", null, "\"1e309\" is too large: numbers here go up to 1.7976931348623157E+308.")]
    [InlineData("-1e309", null, "\"-1e309\" is too large a negative number: numbers here go down to -1.7976931348623157E+308.")]
    [InlineData("1e-400", null, "\"1e-400\" is too close to 0 to hold: numbers here other than 0 are at least 4.9E-324 from it.")]
    [InlineData("abc", null, "\"abc\" is not a number: type digits, with a point for decimals (12, -3.5, 1e6).")]
    [InlineData("Infinity", null, "\"Infinity\" is not a number: type digits, with a point for decimals (12, -3.5, 1e6).")]
    public void ReadDouble_GivesTheTypedNumber_OrWhyItCannotBeHeld(string text, double? number, string? problem) =>
        Assert.Equal((number, problem), NumberBounds.ReadDouble(text));

    [Theory]
    [InlineData("12", null)]
    [InlineData("79228162514264337593543950335", null)]
    [InlineData("abc", null)]
    [InlineData("0e-40", null)]
    [InlineData("0.0000000000000000000000000001", null)]
    [InlineData("1e-400", "\"1e-400\" is too close to 0 to hold: numbers here other than 0 are at least 0.0000000000000000000000000001 (1e-28) from it.")]
    [InlineData("-0.00000000000000000000000000001", "\"-0.00000000000000000000000000001\" is too close to 0 to hold: numbers here other than 0 are at least 0.0000000000000000000000000001 (1e-28) from it.")]
    [InlineData("1e308", "\"1e308\" is too large: numbers here go up to 79,228,162,514,264,337,593,543,950,335.")]
    [InlineData("-79228162514264337593543950336", "\"-79228162514264337593543950336\" is too large a negative number: numbers here go down to -79,228,162,514,264,337,593,543,950,335.")]
    public void BeyondDecimal_SaysTooLargeOrTooCloseToZeroWithTheBound_OnlyForNumbers(string text, string? expected) =>
        Assert.Equal(expected, NumberBounds.BeyondDecimal(text));
}
