using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Tests.ComputedAttributes;

public sealed class JsonNumberTextTests
{
    [Theory]
    [InlineData("1", "1")]
    [InlineData("1.0", "1")]
    [InlineData("1.00", "1")]
    [InlineData("1e0", "1")]
    [InlineData("0.1E1", "1")]
    [InlineData("10E-1", "1")]
    [InlineData("10", "10")]
    [InlineData("1e1", "10")]
    [InlineData("100.10", "100.1")]
    [InlineData("-2.50", "-2.5")]
    [InlineData("0", "0")]
    [InlineData("-0", "0")]
    [InlineData("-0.0e5", "0")]
    [InlineData("0.001", "0.001")]
    [InlineData("1e-28", "0.0000000000000000000000000001")]
    [InlineData("1e-29", "1E-29")]
    [InlineData("79228162514264337593543950335", "79228162514264337593543950335")]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567890")]
    [InlineData("1e30", "1E+30")]
    [InlineData("1e40", "1E+40")]
    [InlineData("10E39", "1E+40")]
    [InlineData("-1.50e40", "-1.5E+40")]
    [InlineData("12345678901234567890123456789012345.5", "1.23456789012345678901234567890123455E+34")]
    [InlineData("abc", "abc")]
    public void Canonical_EqualNumbersHaveOneText(string text, string expected) =>
        Assert.Equal(expected, JsonNumberText.Canonical(text));

    [Theory]
    [InlineData("9", "10", -1)]
    [InlineData("-10", "-9", -1)]
    [InlineData("-1", "0", -1)]
    [InlineData("0", "-0", 0)]
    [InlineData("1.5", "1.52", -1)]
    [InlineData("1.0", "1e0", 0)]
    [InlineData("0.09", "0.1", -1)]
    [InlineData("1e40", "9e39", 1)]
    [InlineData("1e-400", "0", 1)]
    [InlineData("-1e400", "-1e399", -1)]
    public void Compare_OrdersByValue(string x, string y, int expected)
    {
        Assert.Equal(expected, Math.Sign(JsonNumberText.Compare(x, y)));
        Assert.Equal(-expected, Math.Sign(JsonNumberText.Compare(y, x)));
    }

    /// <summary>On numbers a decimal holds, the order is the decimal's and the canonical text reads back as the same decimal.</summary>
    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property CompareAndCanonical_AgreeWithDecimal()
    {
        var texts = from mantissa in Gen.Choose(-100_000, 100_000)
                    from scale in Gen.Choose(0, 6)
                    from exponent in Gen.Choose(-5, 5)
                    from form in Gen.Elements("plain", "exponent", "padded")
                    select Text(mantissa, scale, exponent, form);
        return Prop.ForAll(texts.ToArbitrary(), texts.ToArbitrary(), (x, y) =>
        {
            var (a, b) = (decimal.Parse(x, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture),
                decimal.Parse(y, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture));
            var canonical = JsonNumberText.Canonical(x);
            return (Math.Sign(JsonNumberText.Compare(x, y)) == a.CompareTo(b)
                    && decimal.Parse(canonical, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture) == a
                    && (a == b) == (canonical == JsonNumberText.Canonical(y)))
                .Label($"{x} vs {y}: canonical {canonical}");
        });
    }

    // mantissa × 10^-scale written plainly, with an exponent (mantissa e(exponent - scale)), or with trailing zeros.
    private static string Text(int mantissa, int scale, int exponent, string form)
    {
        var plain = (mantissa / (decimal)Math.Pow(10, scale)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return form switch
        {
            "plain" => plain,
            "padded" => plain.Contains('.') ? plain + "00" : plain + ".0",
            _ => $"{mantissa}e{exponent}",
        };
    }

    [Fact]
    public void ValueKeyOrder_NumbersByValueThenTextThenBooleansThenTheRest()
    {
        string[] keys = ["[1]", "true", "\"b\"", "10", "false", "\"\\u00E9\"", "\"a\"", "9", "-1", "{\"a\":1}", "\"B\""];

        var ordered = keys.Order(ValueKeyOrder.Instance).ToList();

        Assert.Equal(["-1", "9", "10", "\"B\"", "\"a\"", "\"b\"", "\"\\u00E9\"", "false", "true", "[1]", "{\"a\":1}"], ordered);
    }
}
