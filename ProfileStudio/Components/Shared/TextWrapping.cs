using System.Text;

namespace ProfileStudio.Components.Shared;

public enum WrapPartKind
{
    /// <summary>Text that wraps at its spaces as usual.</summary>
    Text,

    /// <summary>A short word, or a piece of a long one, that the browser would otherwise break at a hyphen or slash: kept on one line.</summary>
    Unbroken,

    /// <summary>A place where a long word may break (a &lt;wbr&gt;).</summary>
    Break,
}

public readonly record struct WrapPart(WrapPartKind Kind, string Text = "");

/// <summary>
/// Where a value may break across lines in a narrow column. A word shorter than <see cref="LongWord"/>
/// characters (an e-mail, an IP address, a file name) never breaks; a longer one breaks only before its
/// "@" if it has one (a long e-mail: "maria.longname-example / @example-company.test"), else after a
/// separator such as "/", "-", "_" or ":" (a URL, an anonymous id), and every <see cref="LongWord"/>
/// characters in a piece still longer (a raw CSV line). A table sizes a column no narrower than its
/// longest unbreakable piece, so no column is squeezed to a few letters the way
/// <c>overflow-wrap: anywhere</c> let it be ("syste / m", "127.0 / .0.1").
/// </summary>
public static class TextWrapping
{
    public const int LongWord = 24;

    // Characters a browser never breaks a line beside inside a word (Unicode line breaking classes AL,
    // NU, IS, QU, OP/CP in a word). Any other, such as "-", "/", "?" or an ideograph, may break there.
    private const string Unbreaking = ".,:;@_#+'\"()[]%$&=*~";

    private const string BreakAfter = "/-_:,;&?=|";

    public static IReadOnlyList<WrapPart> Parts(string? text)
    {
        var parts = new List<WrapPart>();
        if (string.IsNullOrEmpty(text))
        {
            return parts;
        }
        var plain = new StringBuilder();
        void Flush()
        {
            if (plain.Length > 0)
            {
                parts.Add(new WrapPart(WrapPartKind.Text, plain.ToString()));
                plain.Clear();
            }
        }
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            var space = char.IsWhiteSpace(text[i]);
            while (i < text.Length && char.IsWhiteSpace(text[i]) == space)
            {
                i++;
            }
            var run = text[start..i];
            if (space || (run.Length < LongWord && run.All(NeverBreaksBeside)))
            {
                plain.Append(run);
            }
            else if (run.Length < LongWord)
            {
                Flush();
                parts.Add(new WrapPart(WrapPartKind.Unbroken, run));
            }
            else
            {
                // Each piece whole too: "@example-company.test" must not break at its own hyphen.
                var pieces = Pieces(run);
                for (var p = 0; p < pieces.Count; p++)
                {
                    if (p > 0)
                    {
                        Flush();
                        parts.Add(new WrapPart(WrapPartKind.Break));
                    }
                    if (pieces[p].All(NeverBreaksBeside))
                    {
                        plain.Append(pieces[p]);
                    }
                    else
                    {
                        Flush();
                        parts.Add(new WrapPart(WrapPartKind.Unbroken, pieces[p]));
                    }
                }
            }
        }
        Flush();
        return parts;
    }

    private static bool NeverBreaksBeside(char c) =>
        (char.IsLetterOrDigit(c) && c < '\u2e80') || Unbreaking.Contains(c);

    private static List<string> Pieces(string word)
    {
        var email = word.IndexOf('@', 1) > 0;
        var pieces = new List<string>();
        var start = 0;
        for (var i = 1; i <= word.Length; i++)
        {
            var cut = i == word.Length || (email ? word[i] == '@' : BreakAfter.Contains(word[i - 1]));
            if (!cut)
            {
                continue;
            }
            for (var s = start; s < i; s += LongWord)
            {
                pieces.Add(word[s..Math.Min(i, s + LongWord)]);
            }
            start = i;
        }
        return pieces;
    }
}
