using Microsoft.AspNetCore.Identity;

namespace ProfileStudio.Accounts;

/// <summary>The configured password rules in a sentence, for the pages where someone chooses a password.</summary>
public static class PasswordRules
{
    public static string Describe(PasswordOptions options)
    {
        var needs = new List<string>();
        if (options.RequireUppercase && options.RequireLowercase)
        {
            needs.Add("upper- and lower-case letters");
        }
        else if (options.RequireUppercase)
        {
            needs.Add("an upper-case letter");
        }
        else if (options.RequireLowercase)
        {
            needs.Add("a lower-case letter");
        }
        if (options.RequireDigit)
        {
            needs.Add("a digit");
        }
        if (options.RequireNonAlphanumeric)
        {
            needs.Add("a symbol (not a letter or digit)");
        }
        if (options.RequiredUniqueChars > 1)
        {
            needs.Add($"{options.RequiredUniqueChars} different characters");
        }
        var text = $"Your new password needs at least {options.RequiredLength} characters";
        return needs.Count switch
        {
            0 => text + ".",
            1 => $"{text}, with {needs[0]}.",
            _ => $"{text}, with {string.Join(", ", needs[..^1])} and {needs[^1]}.",
        };
    }
}
