using System.Text.RegularExpressions;

namespace ProfileStudio.Core.Identity;

/// <summary>
/// What a pasted value could be an identifier of, from its shape alone, so that a support agent can look
/// someone up without knowing the namespaces: an e-mail address is tried in the e-mail namespaces, a phone
/// number (07779 672805, +44 (0)7779-672805) in the phone namespaces (each normalizes it with its own
/// country, as ingestion does), and any text (a UUID anonymous id, C-1042, 12345, even "a b": ingestion accepts
/// identifiers with spaces) in every namespace that keeps values as they are, one index seek each. Text with
/// spaces is also a name, for the prefix search.
/// </summary>
public static partial class IdentifierShapes
{
    public static bool IsEmail(string text) => Email().IsMatch(text.Trim());

    public static bool IsPhone(string text)
    {
        var value = text.Trim();
        return PhoneCharacters().IsMatch(value) && value.Count(char.IsDigit) is >= 7 and <= 17;
    }

    public static bool IsUuid(string text) => Guid.TryParseExact(text.Trim(), "D", out _) || Guid.TryParseExact(text.Trim(), "N", out _);

    /// <summary>The namespaces <paramref name="text"/> may be a value of, strongest first; empty when it is no identifier's shape.</summary>
    public static IReadOnlyList<IdentityNamespaceRule> CandidateNamespaces(string text, IdentityRules rules)
    {
        var value = text.Trim();
        if (value.Length == 0)
        {
            return [];
        }
        var email = IsEmail(value);
        var phone = IsPhone(value);
        return rules.Namespaces.Where(rule => rule.Normalization switch
        {
            Normalization.Email => email,
            Normalization.Phone => phone && IdentityNormalizer.Normalize(rule, value).Value is { Length: > 0 },
            _ => true,
        }).ToList();
    }

    [GeneratedRegex("^[^\\s@:]+@[^\\s@]+\\.[^\\s@.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex("^\\+?[0-9][0-9 ().\\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneCharacters();
}
