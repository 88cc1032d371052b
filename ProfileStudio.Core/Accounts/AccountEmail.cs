using System.Globalization;
using System.Text.RegularExpressions;

namespace ProfileStudio.Core.Accounts;

/// <summary>
/// Whether text can be a studio account's e-mail address (it is also the user name), and if not, what to fix. Real
/// addresses pass: an apostrophe or a plus in the name (o'brien@example.com, ana+crm@example.com), letters of any
/// script in the name and the domain (jürgen@exämple.de, RFC 6531 and IDNA). Refused: no dot in the domain (a@b
/// reaches nobody outside one network), a name longer than 64 characters or an address longer than 254 (RFC 5321's
/// limits: mail servers refuse them), spaces, and the characters an unquoted address cannot hold. Quoted names
/// ("john doe"@example.com) and IP addresses as domains are refused too: nobody's studio account uses them.
/// </summary>
public static partial class AccountEmail
{
    public const int MaxLocalPartLength = 64;

    public const int MaxLength = 254;

    // RFC 5322's atext besides ASCII letters and digits; any character past ASCII is allowed too (RFC 6531).
    private const string Specials = "!#$%&'*+-/=?^_`{|}~";

    /// <summary>What is wrong with <paramref name="email"/> as an account's e-mail address, in words that say what to fix; null when it is one.</summary>
    public static string? Problem(string email)
    {
        email = email.Trim();
        if (email.Length == 0)
        {
            return "Enter an email address.";
        }
        if (email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return $"\"{email}\" holds a space; an e-mail address has none. Remove it.";
        }
        var at = email.LastIndexOf('@');
        if (at < 0)
        {
            return $"\"{email}\" has no @; an e-mail address is a name, an @ and a domain, e.g. ana@example.com.";
        }
        var (local, domain) = (email[..at], email[(at + 1)..]);
        if (local.Contains('@'))
        {
            return $"\"{email}\" holds more than one @; keep only the one between the name and the domain.";
        }
        if (local.Length == 0)
        {
            return $"\"{email}\" has nothing before the @; put the name there, e.g. ana@example.com.";
        }
        if (domain.Length == 0)
        {
            return $"\"{email}\" has nothing after the @; put the domain there, e.g. ana@example.com.";
        }
        if (local.Length > MaxLocalPartLength)
        {
            return $"The part before the @ is {local.Length} characters long; it can have at most {MaxLocalPartLength}.";
        }
        if (email.Length > MaxLength)
        {
            return $"The address is {email.Length} characters long; an e-mail address has at most {MaxLength}. Check that it was pasted whole and only once.";
        }
        var bad = local.FirstOrDefault(c => c < 0x80 && !char.IsAsciiLetterOrDigit(c) && c != '.' && !Specials.Contains(c));
        if (bad != default)
        {
            return $"The part before the @ holds \"{bad}\", which an e-mail address cannot hold there; remove it.";
        }
        if (local.StartsWith('.') || local.EndsWith('.') || local.Contains(".."))
        {
            return "The part before the @ cannot start or end with a dot, nor have two dots in a row.";
        }
        return DomainProblem(domain);
    }

    private static string? DomainProblem(string domain)
    {
        if (!domain.Contains('.'))
        {
            return $"The domain \"{domain}\" has no dot; write the whole domain, e.g. {domain}.com or example.org.";
        }
        if (domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains(".."))
        {
            return $"The domain \"{domain}\" starts or ends with a dot, or has two in a row; remove the extra dot.";
        }
        string ascii;
        try
        {
            // exämple.de → xn--exmple-cua.de: the form the rules of domain names apply to.
            ascii = new IdnMapping { UseStd3AsciiRules = true }.GetAscii(domain);
        }
        catch (ArgumentException)
        {
            return $"The domain \"{domain}\" is not a domain name: between its dots it may hold letters, digits and hyphens (not at either end of a part).";
        }
        var labels = ascii.Split('.');
        if (labels.Any(l => !Label().IsMatch(l)))
        {
            return $"The domain \"{domain}\" is not a domain name: between its dots it may hold letters, digits and hyphens (not at either end of a part), at most 63 in a part.";
        }
        if (labels[^1].All(char.IsAsciiDigit))
        {
            return $"The domain \"{domain}\" ends in a number, not a top-level domain such as .com or .de; write the domain's name.";
        }
        return null;
    }

    [GeneratedRegex("^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")]
    private static partial Regex Label();
}
