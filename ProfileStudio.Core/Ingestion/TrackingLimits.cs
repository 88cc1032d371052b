namespace ProfileStudio.Core.Ingestion;

/// <summary>The limits of Segment's HTTP Tracking API, which clients already respect.</summary>
public static class TrackingLimits
{
    public const int MaxMessageBytes = 32 * 1024;
    public const int MaxRequestBytes = 500 * 1024;
    public const int MaxBatchMessages = 2500;

    /// <summary>
    /// The size in UTF-8 bytes of a message as a client sends it, from its stored JSON text: the store escapes every
    /// character outside ASCII and the HTML-sensitive ones (<c>\u00E9</c>, <c>\u003C</c>: 6 bytes for 1–3, 12 for an
    /// emoji's 4), which a client sends as they are. Escapes that JSON requires (quotes, backslashes, control
    /// characters) count as written. The 32 KB limit is on this size, so 11,000 CJK characters or 8,000 emoji fit, as
    /// they do in Segment's API.
    /// </summary>
    public static int SizeAsSent(ReadOnlySpan<char> json)
    {
        var size = 0;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (c == '\\' && i + 5 < json.Length && json[i + 1] == 'u' && TryHex(json.Slice(i + 2, 4), out var code))
            {
                if (char.IsHighSurrogate((char)code) && i + 11 < json.Length && json[i + 6] == '\\' && json[i + 7] == 'u'
                    && TryHex(json.Slice(i + 8, 4), out var low) && char.IsLowSurrogate((char)low))
                {
                    size += 4;
                    i += 11;
                    continue;
                }
                // Control characters, quotes and backslashes stay escaped; a lone surrogate too (the parser refuses those).
                size += code < 0x20 || code is '"' or '\\' || char.IsSurrogate((char)code) ? 6 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
                i += 5;
                continue;
            }
            if (c == '\\' && i + 1 < json.Length)
            {
                size += 2; // \" \\ \n …: the pair as written (and an escaped backslash is never the start of another escape)
                i++;
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < json.Length && char.IsLowSurrogate(json[i + 1]))
            {
                size += 4;
                i++;
                continue;
            }
            size += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }
        return size;
    }

    private static bool TryHex(ReadOnlySpan<char> digits, out int value) =>
        int.TryParse(digits, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out value);
}
