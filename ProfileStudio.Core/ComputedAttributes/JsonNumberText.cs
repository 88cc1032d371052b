namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// JSON number texts read exactly, never rounded to a decimal or a double: the one canonical text of a number (1, 1.0,
/// 1.00, 1e0 and 0.1E1 are all "1"), and the numeric order of two number texts whatever their size (9 before 10).
/// Distinct values and most-frequent counts key numbers by their canonical text, so equal numbers are one value.
/// </summary>
public static class JsonNumberText
{
    // Written out in full up to 30 digits before the point (a decimal has at most 29) and down to decimal's smallest
    // step, 1e-28 (its first digit 28 places after the point): so a number a decimal holds reads as EventProperties.Number
    // writes it. Anything larger or smaller is written with an exponent (1E+40) rather than as a row of zeros.
    private const int PlainIntegerDigits = 30;
    private const int PlainLeadingZeros = 27;

    // Exponents are saturated here: a number beyond 10^(10^15) is not one a person sends, and the arithmetic stays in a long.
    private const long ExponentBound = 1_000_000_000_000_000;

    /// <summary>
    /// The canonical text of a JSON number: no sign for zero, no leading or trailing zeros, no exponent when written out
    /// in full stays short (see above), else one digit before the point and an exponent (<c>1.5E+40</c>, <c>2E-30</c>).
    /// Text that is not a JSON number is returned as it is.
    /// </summary>
    public static string Canonical(string text)
    {
        if (IsCanonicalInteger(text))
        {
            return text; // the common case: a plain integer is already canonical
        }
        if (!TryRead(text, out var n))
        {
            return text;
        }
        if (n.IsZero)
        {
            return "0";
        }
        var digits = new char[n.Significant];
        for (var i = 0; i < digits.Length; i++)
        {
            digits[i] = n.Digit(i);
        }
        var s = new string(digits);
        var sign = n.Negative ? "-" : "";
        var q = n.Point;
        if (q >= s.Length && q <= PlainIntegerDigits)
        {
            return sign + s + new string('0', (int)q - s.Length);
        }
        if (q > 0 && q <= PlainIntegerDigits)
        {
            return sign + s[..(int)q] + "." + s[(int)q..];
        }
        if (q <= 0 && -q <= PlainLeadingZeros)
        {
            return sign + "0." + new string('0', (int)-q) + s;
        }
        var exponent = q - 1;
        return sign + s[..1] + (s.Length > 1 ? "." + s[1..] : "") + (exponent >= 0 ? "E+" : "E-")
            + Math.Abs(exponent).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The numeric order of two JSON number texts (negative: <paramref name="x"/> is smaller; 0: equal numbers, whatever
    /// their text). A text that is not a JSON number orders after every number, ordinally among such texts.
    /// </summary>
    public static int Compare(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
    {
        var (readX, readY) = (TryRead(x, out var a), TryRead(y, out var b));
        if (!readX || !readY)
        {
            return readX ? -1 : readY ? 1 : x.SequenceCompareTo(y);
        }
        var (signA, signB) = (a.IsZero ? 0 : a.Negative ? -1 : 1, b.IsZero ? 0 : b.Negative ? -1 : 1);
        if (signA != signB || signA == 0)
        {
            return signA.CompareTo(signB);
        }
        return signA * CompareMagnitude(a, b);
    }

    private static int CompareMagnitude(in Parts a, in Parts b)
    {
        if (a.Point != b.Point)
        {
            return a.Point.CompareTo(b.Point);
        }
        var length = Math.Max(a.Significant, b.Significant);
        for (var i = 0; i < length; i++)
        {
            // Neither has trailing zeros: the one whose digits end first is the smaller (1.5 < 1.52).
            var (da, db) = (i < a.Significant ? a.Digit(i) : '0', i < b.Significant ? b.Digit(i) : '0');
            if (da != db)
            {
                return da.CompareTo(db);
            }
        }
        return 0;
    }

    private static bool IsCanonicalInteger(string text)
    {
        var start = text.StartsWith('-') ? 1 : 0;
        if (text.Length == start || text.Length - start > PlainIntegerDigits || (text[start] == '0' && text.Length > start + 1) || text == "-0")
        {
            return false;
        }
        for (var i = start; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A JSON number (<c>-?digits(.digits)?([eE][+-]?digits)?</c>) as its significant digits and where the point falls:
    /// the value is <c>0.d1d2d3… × 10^Point</c>.
    /// </summary>
    private static bool TryRead(ReadOnlySpan<char> text, out Parts parts)
    {
        parts = default;
        var i = 0;
        var negative = i < text.Length && text[i] == '-';
        if (negative)
        {
            i++;
        }
        var start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
        var integerDigits = i - start;
        if (integerDigits == 0 || (integerDigits > 1 && text[start] == '0'))
        {
            return false;
        }
        var fractionDigits = 0;
        if (i < text.Length && text[i] == '.')
        {
            i++;
            var fractionStart = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
            fractionDigits = i - fractionStart;
            if (fractionDigits == 0)
            {
                return false;
            }
        }
        var mantissa = text[start..i];
        long exponent = 0;
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            var negativeExponent = i < text.Length && text[i] == '-';
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }
            var exponentStart = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                exponent = Math.Min(ExponentBound, exponent * 10 + (text[i] - '0'));
                i++;
            }
            if (i == exponentStart)
            {
                return false;
            }
            exponent = negativeExponent ? -exponent : exponent;
        }
        if (i != text.Length)
        {
            return false;
        }
        var all = integerDigits + fractionDigits;
        var leading = 0;
        while (leading < all && RawDigit(mantissa, integerDigits, leading) == '0')
        {
            leading++;
        }
        if (leading == all)
        {
            parts = new Parts(mantissa, integerDigits, false, 0, 0, 0);
            return true; // zero (-0 too): no significant digit
        }
        var trailing = 0;
        while (RawDigit(mantissa, integerDigits, all - 1 - trailing) == '0')
        {
            trailing++;
        }
        parts = new Parts(mantissa, integerDigits, negative, leading, all - leading - trailing, integerDigits - leading + exponent);
        return true;
    }

    /// <summary>The <paramref name="k"/>-th digit of <paramref name="mantissa"/>, its point skipped.</summary>
    private static char RawDigit(ReadOnlySpan<char> mantissa, int integerDigits, int k) => mantissa[k < integerDigits ? k : k + 1];

    /// <param name="mantissa">The digits with their point, if any (no sign, no exponent).</param>
    /// <param name="leading">Zeros before the first significant digit.</param>
    /// <param name="significant">Digits from the first significant one to the last one that is not zero (0: the number is zero).</param>
    /// <param name="point">The value is 0.(significant digits) × 10^point.</param>
    private readonly ref struct Parts(ReadOnlySpan<char> mantissa, int integerDigits, bool negative, int leading, int significant, long point)
    {
        private readonly ReadOnlySpan<char> _mantissa = mantissa;
        private readonly int _integerDigits = integerDigits;
        private readonly int _leading = leading;

        public bool Negative { get; } = negative;
        public int Significant { get; } = significant;
        public long Point { get; } = point;

        public bool IsZero => Significant == 0;

        /// <summary>The <paramref name="i"/>-th significant digit.</summary>
        public char Digit(int i) => RawDigit(_mantissa, _integerDigits, _leading + i);
    }
}
