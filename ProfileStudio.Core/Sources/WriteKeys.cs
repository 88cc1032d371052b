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

    public static string Generate() => "wk_" + RandomNumberGenerator.GetString(Alphabet, 32);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string Hint(string key) => key.Length <= 4 ? key : "…" + key[^4..];
}
