using System.Text.RegularExpressions;

namespace ProfileStudio.Core.Identity;

public enum Normalization
{
    /// <summary>Trim only.</summary>
    Trim = 0,
    /// <summary>Trim and lower-case (e-mail addresses).</summary>
    Email = 1,
    /// <summary>E.164 via libphonenumber, with the namespace's default country for local numbers.</summary>
    Phone = 2,
}

/// <summary>
/// A kind of identifier and its rules. <see cref="Priority"/>: lower is stronger (user_id 1,
/// anonymous_id last); when a merge would break a <see cref="Limit"/>, the message's weakest
/// identifiers are set aside first. A <see cref="IsDevice"/> identifier (anonymous_id) follows the
/// person who signs in on that device last.
/// </summary>
public sealed record IdentityNamespaceRule(
    string Name,
    Normalization Normalization,
    int Priority,
    int Limit,
    IReadOnlyList<string> BlockedValues,
    IReadOnlyList<string> BlockedPatterns,
    string? DefaultCountry = null,
    bool IsDevice = false,
    IReadOnlyList<string>? TraitKeys = null)
{
    /// <summary>Trait (identify) or property (track) keys this namespace is read from, besides context.externalIds.</summary>
    public IReadOnlyList<string> Keys => TraitKeys ?? [];
}

/// <summary>All namespaces plus the global cap on identities per profile.</summary>
public sealed class IdentityRules
{
    public static readonly string[] DefaultBlockedValues = ["", "null", "undefined", "anonymous", "unknown", "none", "n/a", "0", "test@test.com", "test@example.com"];
    public static readonly string[] DefaultBlockedPatterns = ["^[0-]*$"];

    private readonly Dictionary<string, IdentityNamespaceRule> _byName;
    private readonly Dictionary<string, (HashSet<string> Values, Regex[] Patterns)> _blocked;

    public IdentityRules(IEnumerable<IdentityNamespaceRule> namespaces, int maxIdentitiesPerProfile = 50)
    {
        Namespaces = namespaces.OrderBy(n => n.Priority).ThenBy(n => n.Name, StringComparer.Ordinal).ToList();
        MaxIdentitiesPerProfile = maxIdentitiesPerProfile;
        _byName = Namespaces.ToDictionary(n => n.Name, StringComparer.Ordinal);
        _blocked = Namespaces.ToDictionary(
            n => n.Name,
            n => (new HashSet<string>(n.BlockedValues.Select(v => v.Trim()), StringComparer.OrdinalIgnoreCase),
                  n.BlockedPatterns.Select(p => new Regex(p, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(50))).ToArray()));
    }

    public IReadOnlyList<IdentityNamespaceRule> Namespaces { get; }

    public int MaxIdentitiesPerProfile { get; }

    public IdentityNamespaceRule? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Identifiers strongest first (namespace priority, then namespace and value): the first is a
    /// profile's primary identity, as the explorer, the Profile API and the graph show it.
    /// </summary>
    public IOrderedEnumerable<T> InPriorityOrder<T>(IEnumerable<T> identities, Func<T, string> ns, Func<T, string> value) =>
        identities.OrderBy(i => Find(ns(i))?.Priority ?? int.MaxValue).ThenBy(ns, StringComparer.Ordinal).ThenBy(value, StringComparer.Ordinal);

    /// <summary>The built-in namespaces with the defaults the issue tracker and most teams want.</summary>
    public static IdentityRules Default { get; } = new(
    [
        new("user_id", Normalization.Trim, 1, 1, DefaultBlockedValues, DefaultBlockedPatterns),
        new("crm_id", Normalization.Trim, 2, 1, DefaultBlockedValues, DefaultBlockedPatterns, TraitKeys: ["crm_id"]),
        new("email", Normalization.Email, 3, 5, DefaultBlockedValues, DefaultBlockedPatterns, TraitKeys: ["email"]),
        new("loyalty_id", Normalization.Trim, 4, 1, DefaultBlockedValues, DefaultBlockedPatterns, TraitKeys: ["loyalty_id"]),
        new("phone", Normalization.Phone, 5, 5, DefaultBlockedValues, DefaultBlockedPatterns, DefaultCountry: "GB", TraitKeys: ["phone"]),
        new("anonymous_id", Normalization.Trim, 9, 0, DefaultBlockedValues, DefaultBlockedPatterns, IsDevice: true),
    ]);

    /// <summary>Why a normalized value is refused, or null when it may identify someone.</summary>
    public string? BlockReason(string ns, string normalized)
    {
        if (!_blocked.TryGetValue(ns, out var blocked))
        {
            return $"unknown namespace \"{ns}\"";
        }
        if (blocked.Values.Contains(normalized))
        {
            return $"\"{normalized}\" is a blocked value";
        }
        foreach (var pattern in blocked.Patterns)
        {
            try
            {
                if (pattern.IsMatch(normalized))
                {
                    return $"\"{normalized}\" matches the blocked pattern {pattern}";
                }
            }
            catch (RegexMatchTimeoutException)
            {
                return $"the blocked pattern {pattern} took too long on \"{normalized}\"";
            }
        }
        return null;
    }
}
