using System.Globalization;
using System.Text;

namespace ProfileStudio.Core.Ingestion;

/// <summary>
/// Removes write keys from text that is kept although it could not be parsed (a malformed tracking body
/// for the debugger, a line of an uploaded NDJSON file). It reads the text as a tolerant tokenizer, not a
/// pattern: a key is recognised after decoding its JSON escapes (<c>"write\u004bey"</c>) or URL encoding,
/// whatever its case, quotes (double, single, none) or the whitespace, <c>_</c> or <c>-</c> in it, followed by
/// <c>:</c> or <c>=</c>; its value (string, number, object, cut off by a size limit) is replaced.
/// </summary>
public static class WriteKeyRedaction
{
    public const string RemovedValue = "[removed]";

    private const string NormalizedName = "writekey";

    public static string Redact(string text)
    {
        // Cheap test first: every spelling of the key holds "key", an escape or a percent sign.
        if (text.IndexOf("key", StringComparison.OrdinalIgnoreCase) < 0 && !text.Contains('\\') && !text.Contains('%'))
        {
            return text;
        }
        StringBuilder? output = null;
        var copied = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            int end;
            int next;
            string name;
            if (c is '"' or '\'')
            {
                end = ScanQuoted(text, i, out name);
                // A quote may be a stray one (an apostrophe, a string escaped inside a string): on a
                // mismatch, go on from the next character, so no quoted run can hide a key.
                next = i + 1;
            }
            else if (IsBare(c))
            {
                end = ScanBare(text, i);
                name = Uri.UnescapeDataString(text[i..end]);
                next = end;
            }
            else
            {
                i++;
                continue;
            }
            var separator = SkipToSeparator(text, end);
            if (separator < text.Length && text[separator] is ':' or '=' && IsWriteKey(name))
            {
                var valueEnd = ScanValue(text, SkipWhitespace(text, separator + 1));
                output ??= new StringBuilder(text.Length);
                output.Append(text, copied, i - copied);
                output.Append(text[separator] == ':' ? $"\"writeKey\":\"{RemovedValue}\"" : $"writeKey={RemovedValue}");
                copied = i = valueEnd;
                continue;
            }
            i = next;
        }
        if (output is null)
        {
            return text;
        }
        output.Append(text, copied, text.Length - copied);
        return output.ToString();
    }

    /// <summary>
    /// Removes every property of a parsed message, at any depth (<c>context</c>, <c>integrations</c>, but also <c>traits</c>,
    /// <c>properties</c> and what they nest), whose name spells a write key (<c>WriteKey</c>, <c>write_key</c>, …): only the
    /// exact top-level <c>writeKey</c> authenticates, but none is stored, as an attribute or an event property either.
    /// </summary>
    public static bool RemoveFrom(System.Text.Json.Nodes.JsonNode message)
    {
        var removed = false;
        var pending = new Stack<System.Text.Json.Nodes.JsonNode>();
        pending.Push(message);
        while (pending.TryPop(out var node))
        {
            if (node is System.Text.Json.Nodes.JsonObject target)
            {
                List<string>? names = null;
                foreach (var (name, value) in target)
                {
                    if (IsWriteKey(name))
                    {
                        (names ??= []).Add(name);
                    }
                    else if (value is System.Text.Json.Nodes.JsonObject or System.Text.Json.Nodes.JsonArray)
                    {
                        pending.Push(value);
                    }
                }
                foreach (var name in names ?? [])
                {
                    removed |= target.Remove(name);
                }
            }
            else if (node is System.Text.Json.Nodes.JsonArray array)
            {
                foreach (var item in array)
                {
                    if (item is System.Text.Json.Nodes.JsonObject or System.Text.Json.Nodes.JsonArray)
                    {
                        pending.Push(item);
                    }
                }
            }
        }
        return removed;
    }

    /// <summary>
    /// Whether any property name in <paramref name="element"/>, at any depth, may spell a write key: false lets a caller skip
    /// <see cref="RemoveFrom"/>, whose walk over a parsed message builds a node for every value (the largest cost of reading
    /// a tracking request when it ran on every message). Names are read from their raw bytes; one shorter than the key
    /// cannot be it, an ASCII one is tested in place, and any other (escapes, non-ASCII letters) is decoded and tested.
    /// </summary>
    public static bool MayHold(System.Text.Json.JsonElement element)
    {
        switch (element.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
                    if (raw.Length >= NormalizedName.Length
                        && (System.Text.Ascii.IsValid(raw) && raw.IndexOf((byte)'\\') < 0 ? IsWriteKey(raw) : IsWriteKey(property.Name)))
                    {
                        return true;
                    }
                    if (MayHold(property.Value))
                    {
                        return true;
                    }
                }
                return false;
            case System.Text.Json.JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (MayHold(item))
                    {
                        return true;
                    }
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary><see cref="IsWriteKey(string)"/> for an ASCII name's bytes.</summary>
    private static bool IsWriteKey(ReadOnlySpan<byte> name)
    {
        if (name.Length > 64)
        {
            return false;
        }
        var matched = 0;
        foreach (var b in name)
        {
            if (char.IsWhiteSpace((char)b) || b is (byte)'_' or (byte)'-' or (byte)'.')
            {
                continue;
            }
            if (matched == NormalizedName.Length || (char)(b | 0x20) != NormalizedName[matched] || !char.IsAsciiLetter((char)b))
            {
                return false;
            }
            matched++;
        }
        return matched == NormalizedName.Length;
    }

    /// <summary>
    /// Whether a property name spells a write key, whatever its case, separators or whitespace. Every property of every
    /// message is tested, so it compares letter by letter and allocates nothing.
    /// </summary>
    public static bool IsWriteKey(string name)
    {
        if (name.Length < NormalizedName.Length || name.Length > 64)
        {
            return false;
        }
        var matched = 0;
        foreach (var ch in name)
        {
            if (char.IsWhiteSpace(ch) || ch is '_' or '-' or '.')
            {
                continue;
            }
            if (matched == NormalizedName.Length || char.ToLowerInvariant(ch) != NormalizedName[matched])
            {
                return false;
            }
            matched++;
        }
        return matched == NormalizedName.Length;
    }

    private static bool IsBare(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' or '%' or '-' or '.';

    private static int ScanBare(string text, int start)
    {
        var i = start;
        while (i < text.Length && IsBare(text[i]))
        {
            i++;
        }
        return i;
    }

    /// <summary>Past whitespace, and the backslashes and quotes of a key written inside an escaped string.</summary>
    private static int SkipToSeparator(string text, int i)
    {
        while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] is '\\' or '"' or '\''))
        {
            i++;
        }
        return i;
    }

    private static int SkipWhitespace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }
        return i;
    }

    /// <summary>A quoted string from its opening quote: the index after its closing quote (or the end of a cut-off text) and its decoded content.</summary>
    private static int ScanQuoted(string text, int start, out string decoded)
    {
        var quote = text[start];
        var content = new StringBuilder();
        var i = start + 1;
        while (i < text.Length)
        {
            var ch = text[i];
            if (ch == quote)
            {
                decoded = content.ToString();
                return i + 1;
            }
            if (ch != '\\')
            {
                Append(content, ch);
                i++;
                continue;
            }
            if (i + 1 >= text.Length)
            {
                break;
            }
            var escaped = text[i + 1];
            if (escaped == 'u')
            {
                var digits = 0;
                while (digits < 4 && i + 2 + digits < text.Length && char.IsAsciiHexDigit(text[i + 2 + digits]))
                {
                    digits++;
                }
                if (digits == 4)
                {
                    Append(content, (char)int.Parse(text.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
                i += 2 + digits;
                continue;
            }
            Append(content, escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'b' => '\b', 'f' => '\f', _ => escaped });
            i += 2;
        }
        decoded = content.ToString();
        return text.Length;
    }

    // Only names up to 64 characters can be the key; longer strings (values) need not be kept.
    private static void Append(StringBuilder content, char ch)
    {
        if (content.Length <= 64)
        {
            content.Append(ch);
        }
    }

    /// <summary>The index after a value: a quoted string, an object or array (balanced, strings skipped), or a bare word.</summary>
    private static int ScanValue(string text, int start)
    {
        if (start >= text.Length)
        {
            return start;
        }
        var c = text[start];
        if (c is '"' or '\'')
        {
            return ScanQuoted(text, start, out _);
        }
        if (c is '{' or '[')
        {
            var depth = 0;
            var i = start;
            while (i < text.Length)
            {
                var ch = text[i];
                if (ch is '"' or '\'')
                {
                    i = ScanQuoted(text, i, out _);
                    continue;
                }
                depth += ch is '{' or '[' ? 1 : ch is '}' or ']' ? -1 : 0;
                i++;
                if (depth == 0)
                {
                    return i;
                }
            }
            return text.Length;
        }
        var end = start;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not (',' or '}' or ']' or '&'))
        {
            end++;
        }
        return end;
    }
}
