using System.Security.Cryptography;
using System.Text;

namespace ProfileStudio.Core.Sources;

/// <summary>
/// Write keys: 32 random base-62 characters behind a <c>wk_</c> prefix (easy to spot in a leak).
/// They carry 190 bits of entropy, so a plain SHA-256 is the right hash: lookups stay O(1) per request.
/// </summary>
public static class WriteKeys
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private const string Marker = "wk_";
    private const int RandomLength = 32;

    /// <summary>
    /// A key chosen by hand (configuration) is at least as long as the random part of a generated one: with
    /// fewer characters an unsalted SHA-256 could be guessed.
    /// </summary>
    public const int MinLength = RandomLength;

    public const int MaxLength = 256;

    public static string Generate() => Marker + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    /// <summary>Why a key chosen by hand cannot be used, or null.</summary>
    public static string? Validate(string key) => key.Length switch
    {
        < MinLength => $"a write key needs at least {MinLength} characters so that it cannot be guessed "
            + $"(this one has {key.Length}; a generated one has {Marker.Length + RandomLength}: {Marker} and {RandomLength} random letters and digits).",
        > MaxLength => $"a write key has at most {MaxLength} characters.",
        _ when key.Any(char.IsWhiteSpace) => "a write key cannot contain spaces.",
        _ when key.Contains(':') => "a write key cannot contain \":\" (it would end the Basic-auth user name).",
        _ => null,
    };

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string Hint(string key) => key.Length <= 4 ? key : "…" + key[^4..];
}
