using System.Globalization;

namespace ProfileStudio.Core.Formatting;

/// <summary>
/// What to say when a number someone typed is beyond what the studio holds there, with the bound, so the message says what
/// to type instead. Computed attributes and formulas hold decimals (up to 79,228,162,514,264,337,593,543,950,335); segment
/// rules hold doubles (up to 1.7976931348623157E+308), as they compare JSON numbers of any size.
/// </summary>
public static class NumberBounds
{
    /// <summary>The largest decimal, as pages write numbers.</summary>
    public static string DecimalMax { get; } = DisplayFormat.Number(decimal.MaxValue);

    /// <summary>The largest double, as pages write numbers.</summary>
    public static string DoubleMax { get; } = DisplayFormat.Number(double.MaxValue);

    /// <summary>The smallest decimal other than 0, as pages write numbers.</summary>
    public const string DecimalMin = "0.0000000000000000000000000001";

    /// <summary>
    /// Why <paramref name="text"/> cannot be a decimal although it is a number (1e308 and -1e40 are numbers, too large for a
    /// decimal; 1e-30 is too close to 0, which it would silently become); null when it is a decimal, or no number at all (the
    /// caller says that in its own words).
    /// </summary>
    public static string? BeyondDecimal(string? text)
    {
        var typed = text?.Trim() ?? "";
        if (decimal.TryParse(typed, NumberStyles.Float, CultureInfo.InvariantCulture, out var held))
        {
            return held == 0 && NonZeroDigits(typed)
                ? $"\"{typed}\" is too close to 0 to hold: numbers here other than 0 are at least {DecimalMin} (1e-28) from it."
                : null;
        }
        return TryDouble(typed, out var number) ? TooLarge($"\"{typed}\"", number < 0, DecimalMax) : null;
    }

    // A digit other than 0 before any exponent: the number typed is not 0, whatever it reads as.
    private static bool NonZeroDigits(string typed) => typed.TakeWhile(c => c is not ('e' or 'E')).Any(c => c is >= '1' and <= '9');

    /// <summary>
    /// The number typed in <paramref name="text"/> as a double, or why it cannot be one: too large (1e309), too close to 0 to
    /// tell from it (1e-400 reads as 0), or no number at all. (null, null) for an empty text.
    /// </summary>
    public static (double? Number, string? Problem) ReadDouble(string? text)
    {
        var typed = text?.Trim() ?? "";
        if (typed.Length == 0)
        {
            return (null, null);
        }
        if (!TryDouble(typed, out var number))
        {
            return (null, $"\"{typed}\" is not a number: type digits, with a point for decimals (12, -3.5, 1e6).");
        }
        if (!double.IsFinite(number))
        {
            return (null, TooLarge($"\"{typed}\"", number < 0, DoubleMax));
        }
        if (number == 0 && NonZeroDigits(typed))
        {
            return (null, $"\"{typed}\" is too close to 0 to hold: numbers here other than 0 are at least 4.9E-324 from it.");
        }
        return (number, null);
    }

    /// <summary>"… is too large: numbers here go up to …" (or, for a negative number, down to minus the bound).</summary>
    public static string TooLarge(string what, bool negative, string bound) => negative
        ? $"{what} is too large a negative number: numbers here go down to -{bound}."
        : $"{what} is too large: numbers here go up to {bound}.";

    // A number in digits (double.TryParse alone also reads "Infinity" and "NaN", which nobody means as a number here).
    private static bool TryDouble(string text, out double number)
    {
        number = 0;
        return text.Any(char.IsAsciiDigit) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number) && !double.IsNaN(number);
    }
}
