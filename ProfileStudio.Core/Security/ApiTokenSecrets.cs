using System.Security.Cryptography;
using System.Text;

namespace ProfileStudio.Core.Security;

/// <summary>
/// API token secrets: 40 random base-62 characters behind a <c>pst_</c> prefix (easy to spot in a leak,
/// and different from write keys' <c>wk_</c>). With 238 bits of entropy a plain SHA-256 is the right
/// hash, as for write keys: no per-request key stretching is needed.
/// </summary>
public static class ApiTokenSecrets
{
    public const string Marker = "pst_";

    /// <summary>
    /// Configured tokens must be at least this long, as long as the random part of a generated one and of a
    /// write key: only a long random secret keeps an unsalted SHA-256 safe from guessing.
    /// </summary>
    public const int MinLength = 32;

    public const int RandomLength = 40;

    /// <summary>Longer input is refused before hashing: no token is this long.</summary>
    public const int MaxLength = 256;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int PrefixLength = 12;

    public static string Generate() => Marker + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static string HashHex(string secret) => Convert.ToHexStringLower(Hash(secret));

    /// <summary>
    /// The visible start of a token (<c>pst_</c> and 8 random characters of a generated one), shown in
    /// the studio so people can tell tokens apart. Never more than a third of the token.
    /// </summary>
    public static string Prefix(string secret) => secret[..Math.Min(PrefixLength, secret.Length / 3)];
}
