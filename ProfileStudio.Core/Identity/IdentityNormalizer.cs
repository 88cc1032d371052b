using PhoneNumbers;

namespace ProfileStudio.Core.Identity;

/// <summary>
/// Puts identifier values in one canonical form so the same person's identifier always matches:
/// trimmed; e-mails lower-cased; phone numbers to E.164 with libphonenumber (a number written
/// "07700 900123", "+44 (0)7700 900-123" or "0044 7700900123" is one identity).
/// </summary>
public static class IdentityNormalizer
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>The normalized value, or null with a reason when the value cannot be an identifier.</summary>
    public static (string? Value, string? Problem) Normalize(IdentityNamespaceRule rule, string raw)
    {
        var value = raw.Trim();
        switch (rule.Normalization)
        {
            case Normalization.Email:
                return (value.ToLowerInvariant(), null);
            case Normalization.Phone:
                if (value.Length == 0)
                {
                    return (value, null);
                }
                try
                {
                    var number = Phones.Parse(value, rule.DefaultCountry ?? "ZZ");
                    return Phones.IsPossibleNumber(number)
                        ? (Phones.Format(number, PhoneNumberFormat.E164), null)
                        : (null, $"\"{value}\" is not a possible phone number");
                }
                catch (NumberParseException ex)
                {
                    return (null, $"\"{value}\" is not a phone number ({ex.ErrorType})");
                }
            default:
                return (value, null);
        }
    }
}
