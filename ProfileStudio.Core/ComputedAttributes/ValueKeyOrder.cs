using System.Text;
using System.Text.Json;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The order of values as JSON texts (value keys, <see cref="EventProperties.Key"/>), as a spreadsheet sorts a column: numbers
/// first, by value (9 before 10, -2 before 1); then text, ordinal on the text itself; then false, then true; then lists and
/// objects, ordinal on their JSON. <c>distinct</c> lists its values in this order, <c>most_frequent</c> gives a tie to the value
/// that comes first in it, and the preview lists top values of equal counts in it.
/// </summary>
public sealed class ValueKeyOrder : IComparer<string>
{
    public static ValueKeyOrder Instance { get; } = new();

    private ValueKeyOrder()
    {
    }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }
        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }
        var (kindX, kindY) = (Kind(x), Kind(y));
        if (kindX != kindY)
        {
            return kindX.CompareTo(kindY);
        }
        var order = kindX switch
        {
            0 => JsonNumberText.Compare(x, y),
            1 => CompareText(x, y),
            _ => 0,
        };
        // Equal numbers in two spellings (a value stored before keys were canonical) still get one order between them.
        return order != 0 ? order : string.CompareOrdinal(x, y);
    }

    private static int Kind(string json) => json.Length == 0 ? 4 : json[0] switch
    {
        '-' or (>= '0' and <= '9') => 0,
        '"' => 1,
        'f' => 2,
        't' => 3,
        _ => 4,
    };

    /// <summary>Two JSON strings by their text, unescaped only when either has an escape (keys escape non-ASCII letters).</summary>
    private static int CompareText(string x, string y)
    {
        if (x.Length >= 2 && y.Length >= 2 && !x.Contains('\\') && !y.Contains('\\'))
        {
            return x.AsSpan(1, x.Length - 2).SequenceCompareTo(y.AsSpan(1, y.Length - 2));
        }
        return string.CompareOrdinal(Unescaped(x), Unescaped(y));
    }

    private static string Unescaped(string json)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString()! : json;
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
