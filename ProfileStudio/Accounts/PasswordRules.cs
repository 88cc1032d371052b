using Microsoft.AspNetCore.Identity;

namespace ProfileStudio.Accounts;

/// <summary>
/// The configured password rules in words, for the pages where someone chooses a password, and a refused
/// password explained in the same words (<see cref="StudioIdentityErrorDescriber"/> gives each rule's error).
/// </summary>
public static class PasswordRules
{
    internal const string Upper = "an upper-case letter";
    internal const string Lower = "a lower-case letter";
    internal const string Digit = "a digit";
    internal const string Symbol = "a symbol (not a letter or digit)";

    internal static string Length(int length) => $"at least {length} characters";

    internal static string Unique(int count) => $"{count} different characters";

    public static string Describe(PasswordOptions options)
    {
        var needs = new List<string>();
        if (options.RequireUppercase && options.RequireLowercase)
        {
            needs.Add("upper- and lower-case letters");
        }
        else if (options.RequireUppercase)
        {
            needs.Add(Upper);
        }
        else if (options.RequireLowercase)
        {
            needs.Add(Lower);
        }
        if (options.RequireDigit)
        {
            needs.Add(Digit);
        }
        if (options.RequireNonAlphanumeric)
        {
            needs.Add(Symbol);
        }
        if (options.RequiredUniqueChars > 1)
        {
            needs.Add(Unique(options.RequiredUniqueChars));
        }
        var text = $"Your new password needs {Length(options.RequiredLength)}";
        return needs.Count switch
        {
            0 => text + ".",
            _ => $"{text}, with {Join(needs)}.",
        };
    }

    /// <summary>
    /// Why a password was refused, in one sentence with the words the page states the rules in ("This
    /// password needs a digit and a symbol (not a letter or digit)."), then any other error as Identity
    /// gave it (a wrong current password).
    /// </summary>
    public static string Refusal(IEnumerable<IdentityError> errors, PasswordOptions options)
    {
        var list = errors.ToList();
        // In the order the page states the rules, whatever order the validator found them in.
        var missing = list.Select(e => Rule(e.Code, options)).OfType<(int Rank, string Phrase)>()
            .OrderBy(r => r.Rank).Select(r => r.Phrase).Distinct().ToList();
        var others = list.Where(e => Rule(e.Code, options) is null).Select(e => e.Description).Distinct();
        var sentences = missing.Count == 0 ? others : others.Prepend($"This password needs {Join(missing)}.");
        return string.Join(" ", sentences);
    }

    /// <summary>A password rule's place in <see cref="Describe"/> and its words; null for an error that is not a password rule.</summary>
    private static (int Rank, string Phrase)? Rule(string code, PasswordOptions options) => code switch
    {
        nameof(IdentityErrorDescriber.PasswordTooShort) => (0, Length(options.RequiredLength)),
        nameof(IdentityErrorDescriber.PasswordRequiresUpper) => (1, Upper),
        nameof(IdentityErrorDescriber.PasswordRequiresLower) => (2, Lower),
        nameof(IdentityErrorDescriber.PasswordRequiresDigit) => (3, Digit),
        nameof(IdentityErrorDescriber.PasswordRequiresNonAlphanumeric) => (4, Symbol),
        nameof(IdentityErrorDescriber.PasswordRequiresUniqueChars) => (5, Unique(options.RequiredUniqueChars)),
        _ => null,
    };

    private static string Join(IReadOnlyList<string> parts) =>
        parts.Count == 1 ? parts[0] : $"{string.Join(", ", parts.Take(parts.Count - 1))} and {parts[^1]}";
}
