namespace ProfileStudio.Core.Ingestion;

/// <summary>
/// The one rule for attribute and property keys that people type (a file mapping's attribute names, an
/// edit in the studio): letters, digits, <c>_</c> and <c>-</c>, dots separating nested keys
/// (<c>address.city</c>), at most <see cref="MaxLength"/> characters. Keys arriving in tracking calls are
/// kept as the client sent them (Segment compatibility); this rule is for names made here.
/// </summary>
public static class AttributeKeys
{
    public const int MaxLength = 200;

    public const string Rule = "letters, digits, _ and - (dots separate nested keys, e.g. address.city), at most 200 characters";

    /// <summary>Why <paramref name="key"/> cannot be a key, in words a user can act on; null when it can.</summary>
    public static string? Problem(string? key)
    {
        var text = key?.Trim() ?? "";
        if (text.Length == 0)
        {
            return "Give the attribute a name.";
        }
        if (text.Length > MaxLength)
        {
            return $"\"{Shorten(text)}\" is {text.Length} characters long; an attribute name has at most {MaxLength}.";
        }
        if (text.Split('.').Any(segment => segment.Length == 0))
        {
            return $"\"{text}\" has an empty part between dots; dots separate nested keys (address.city).";
        }
        var at = 0;
        while (at < text.Length && (char.IsLetterOrDigit(text[at]) || text[at] is '_' or '-' or '.'))
        {
            at++;
        }
        if (at < text.Length)
        {
            // The whole character: an emoji is two chars, and one of them alone shows as "�".
            var bad = System.Text.Rune.DecodeFromUtf16(text.AsSpan(at), out var rune, out _) == System.Buffers.OperationStatus.Done ? rune.ToString() : text[at].ToString();
            return $"\"{text}\" contains {(bad == " " ? "a space" : $"\"{bad}\"")}; use {Rule}.";
        }
        return null;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
