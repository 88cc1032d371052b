using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ProfileStudio.Core.Identity;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>The attribute keys profiles already have, with how many profiles have each.</summary>
public sealed class KnownAttributeKeys(IReadOnlyDictionary<string, long> profilesByKey)
{
    public static KnownAttributeKeys None { get; } = new(new Dictionary<string, long>());

    public IReadOnlyDictionary<string, long> ProfilesByKey { get; } = profilesByKey;

    /// <summary>How many profiles have <paramref name="key"/> (exact spelling); null when none has it.</summary>
    public long? Profiles(string? key) => key is not null && ProfilesByKey.TryGetValue(key.Trim(), out var count) ? count : null;
}

/// <summary>
/// Suggests where each column of a file goes, the way a person would read the header: a column is the same
/// thing as an existing attribute or identifier when the names differ only in case, spaces, <c>_</c>,
/// <c>-</c> or camelCase ("First Name" is <c>firstName</c>), or are common synonyms ("e-mail", "Customer
/// Email", "mail" are the e-mail identity; "mobile" is the phone; "surname" is <c>lastName</c>; "DOB" is
/// <c>birthday</c>). Existing keys win over new spellings, so a file never splits an attribute in two: an
/// existing key also matches when a qualifier in front is all that differs ("Lifetime Value" is
/// <c>crm_lifetime_value</c>), or by the last part of a nested key ("City" is <c>address.city</c>), when
/// exactly one key does. Types come from the values:
/// a column whose sampled values are all numbers is a number, and so on. Pure: the callers bring the
/// known keys, the identity rules and the sample.
/// </summary>
public static partial class ColumnMatcher
{
    /// <summary>Names that mean the same thing, by their <see cref="Canonical"/> form.</summary>
    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.Ordinal)
    {
        ["email"] = "email", ["emailaddress"] = "email", ["mail"] = "email", ["mailaddress"] = "email", ["emailadress"] = "email",
        ["phone"] = "phone", ["phonenumber"] = "phone", ["phoneno"] = "phone", ["mobile"] = "phone", ["mobilephone"] = "phone",
        ["mobilenumber"] = "phone", ["mobileno"] = "phone", ["telephone"] = "phone", ["telephonenumber"] = "phone", ["tel"] = "phone",
        ["cell"] = "phone", ["cellphone"] = "phone", ["cellnumber"] = "phone", ["msisdn"] = "phone",
        ["firstname"] = "firstname", ["givenname"] = "firstname", ["forename"] = "firstname", ["fname"] = "firstname",
        ["lastname"] = "lastname", ["surname"] = "lastname", ["familyname"] = "lastname", ["lname"] = "lastname",
        ["fullname"] = "name",
        ["userid"] = "userid", ["customerid"] = "userid",
        ["anonymousid"] = "anonymousid", ["anonid"] = "anonymousid",
        ["crmid"] = "crmid", ["crmnumber"] = "crmid", ["crmno"] = "crmid", ["crmref"] = "crmid", ["crmreference"] = "crmid",
        ["crmcontactid"] = "crmid", ["crmcustomerid"] = "crmid",
        ["loyaltyid"] = "loyaltyid", ["loyaltynumber"] = "loyaltyid", ["loyaltyno"] = "loyaltyid", ["loyaltycard"] = "loyaltyid",
        ["loyaltycardnumber"] = "loyaltyid", ["loyaltymemberid"] = "loyaltyid", ["membershipnumber"] = "loyaltyid",
        ["memberid"] = "loyaltyid", ["membernumber"] = "loyaltyid",
        ["birthday"] = "birthday", ["dateofbirth"] = "birthday", ["dob"] = "birthday", ["birthdate"] = "birthday", ["bday"] = "birthday",
        ["lifetimevalue"] = "lifetimevalue", ["ltv"] = "lifetimevalue", ["clv"] = "lifetimevalue",
        ["postalcode"] = "postalcode", ["postcode"] = "postalcode", ["zip"] = "postalcode", ["zipcode"] = "postalcode",
        ["company"] = "company", ["companyname"] = "company", ["organisation"] = "company", ["organization"] = "company",
    };

    /// <summary>How a known concept is spelled when no profile has it yet (the Segment spec's trait names).</summary>
    private static readonly Dictionary<string, string> ConceptKeys = new(StringComparer.Ordinal)
    {
        ["firstname"] = "firstName", ["lastname"] = "lastName", ["name"] = "name", ["birthday"] = "birthday",
    };

    /// <summary>Words in front of a name that say whose it is ("Customer Email", "Contact Phone"), not what it is.</summary>
    private static readonly HashSet<string> Qualifiers = new(StringComparer.Ordinal)
    {
        "customer", "client", "contact", "member", "person", "primary", "main",
        // the system a value came from, in a column or a key named after it: "CRM Lifetime Value", crm_lifetime_value
        "crm", "erp",
    };

    /// <summary>The words of a column or key name: split at spaces, <c>_</c>, <c>-</c>, dots and camelCase humps, lower-cased.</summary>
    public static IReadOnlyList<string> Words(string name)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var text = name.Trim();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!char.IsLetterOrDigit(c))
            {
                Flush();
                continue;
            }
            // A hump starts a word: firstName → first|Name; CRMId → CRM|Id; address2 stays one word.
            if (char.IsUpper(c) && current.Length > 0
                && (char.IsLower(text[i - 1]) || char.IsDigit(text[i - 1]) || (i + 1 < text.Length && char.IsLower(text[i + 1]))))
            {
                Flush();
            }
            current.Append(char.ToLowerInvariant(c));
        }
        Flush();
        return words;

        void Flush()
        {
            if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }
    }

    /// <summary>The words run together: "First Name", "first_name", "firstName" and "FIRST-NAME" are all <c>firstname</c>.</summary>
    public static string Canonical(string name) => string.Concat(Words(name));

    /// <summary>A first mapping for a file: identities, existing attributes, new attributes, typed from the sample.</summary>
    public static FileMapping Suggest(
        FileKind kind, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string?>> sample, KnownAttributeKeys known, IdentityRules rules)
    {
        var style = NewKeyStyle(known);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var columns = new List<ColumnMapping>(headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            var values = sample.Select(row => i < row.Count ? row[i] : null).ToList();
            var column = SuggestColumn(kind, headers[i], values, known, rules, style);
            // Two columns that would write the same attribute (Email and E-mail): the second stays as it is named.
            if (column.Target is ColumnTarget.Attribute or ColumnTarget.EventProperty && !taken.Add(column.Name!))
            {
                column = column with { Name = NewKey(headers[i], style) };
                taken.Add(column.Name!);
            }
            columns.Add(column);
        }
        return new FileMapping(kind, columns);
    }

    private static ColumnMapping SuggestColumn(
        FileKind kind, string header, IReadOnlyList<string?> values, KnownAttributeKeys known, IdentityRules rules, KeyStyle style)
    {
        if (FileMapping.HoldsWriteKeys(header))
        {
            return new ColumnMapping(header, ColumnTarget.Ignore); // secrets are never stored, whatever the file calls them
        }
        var words = Words(header);
        var canonical = string.Concat(words);
        if (kind == FileKind.Events)
        {
            if (canonical is "event" or "eventname" or "action")
            {
                return new ColumnMapping(header, ColumnTarget.EventName);
            }
            if (canonical is "timestamp" or "time" or "date" or "eventtime" or "occurredat" or "createdat" or "eventdate")
            {
                return new ColumnMapping(header, ColumnTarget.EventTimestamp);
            }
        }
        // The name as written first, then without a qualifier in front ("Customer Email" → "Email").
        var candidates = new List<string> { canonical };
        if (WithoutQualifiers(words) is { } stripped)
        {
            candidates.Add(stripped);
        }
        foreach (var candidate in candidates)
        {
            var concept = Synonyms.GetValueOrDefault(candidate, candidate);
            if (IdentityFor(concept, candidate, rules) is { } ns)
            {
                return new ColumnMapping(header, ColumnTarget.Identity, ns);
            }
        }
        var named = TypeFromName(words);
        var type = InferType(values, named) ?? named;
        var target = kind == FileKind.Events ? ColumnTarget.EventProperty : ColumnTarget.Attribute;
        if (kind == FileKind.ProfileRecords)
        {
            // An existing key with the same meaning, else the one key that has it after a qualifier
            // (crm_lifetime_value for "Lifetime Value"), else the one nested key whose last part has it
            // (address.city for "City"): a file adds to the attribute profiles have, not a second one.
            foreach (var find in new Func<string, KnownAttributeKeys, string?>[] { ExistingKey, QualifiedKey, NestedKey })
            {
                foreach (var candidate in candidates)
                {
                    if (find(Concept(candidate), known) is { } existing)
                    {
                        return new ColumnMapping(header, target, existing, type);
                    }
                }
            }
            foreach (var candidate in candidates)
            {
                if (ConceptKeys.TryGetValue(Synonyms.GetValueOrDefault(candidate, candidate), out var key))
                {
                    return new ColumnMapping(header, target, key, type);
                }
            }
        }
        return new ColumnMapping(header, target, NewKey(header, style), type);
    }

    /// <summary>The namespace a concept names: by the namespace's own name or one of the trait keys it is read from.</summary>
    private static string? IdentityFor(string concept, string canonical, IdentityRules rules)
    {
        foreach (var rule in rules.Namespaces)
        {
            var name = Canonical(rule.Name);
            if (name == concept || name == canonical || rule.Keys.Any(k => Canonical(k) == concept || Canonical(k) == canonical))
            {
                return rule.Name;
            }
        }
        return null;
    }

    /// <summary>What a canonical name means: its synonyms' common concept ("dob" is "birthday"), else itself.</summary>
    private static string Concept(string canonical) => Synonyms.GetValueOrDefault(canonical, canonical);

    /// <summary>
    /// The words without the qualifiers in front ("Customer Email" → email), run together; null when there
    /// are none, or when what is left is only "id" or "number" ("CRM ID" names the CRM's id, not an id).
    /// </summary>
    private static string? WithoutQualifiers(IReadOnlyList<string> words)
    {
        var stripped = words.SkipWhile(Qualifiers.Contains).ToList();
        return stripped.Count > 0 && stripped.Count < words.Count && stripped is not ["id"] and not ["number"] and not ["no"]
            ? string.Concat(stripped)
            : null;
    }

    /// <summary>The existing key with this meaning, the most used spelling when several exist (firstName and first_name).</summary>
    private static string? ExistingKey(string concept, KnownAttributeKeys known) =>
        known.ProfilesByKey
            .Where(k => Concept(Canonical(k.Key)) == concept)
            .OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => k.Key).FirstOrDefault();

    /// <summary>The one existing top-level key with this meaning once its qualifier is dropped (crm_lifetime_value); null when none or several.</summary>
    private static string? QualifiedKey(string concept, KnownAttributeKeys known) =>
        TheOnly(known.ProfilesByKey.Keys.Where(k => !k.Contains('.') && WithoutQualifiers(Words(k)) is { } stripped && Concept(stripped) == concept));

    /// <summary>The one existing nested key whose last part has this meaning (address.city for "City"); null when none or several (address.city, billing.city).</summary>
    private static string? NestedKey(string concept, KnownAttributeKeys known) =>
        TheOnly(known.ProfilesByKey.Keys.Where(k => k.Contains('.') && Concept(Canonical(k[(k.LastIndexOf('.') + 1)..])) == concept));

    private static string? TheOnly(IEnumerable<string> keys)
    {
        var found = keys.Take(2).ToList();
        return found.Count == 1 ? found[0] : null;
    }

    private enum KeyStyle
    {
        Snake,
        Camel,
    }

    /// <summary>New keys follow the spelling most existing profiles use; snake_case when nothing says otherwise.</summary>
    private static KeyStyle NewKeyStyle(KnownAttributeKeys known)
    {
        long camel = 0, snake = 0;
        foreach (var (key, profiles) in known.ProfilesByKey)
        {
            if (key.Contains('_'))
            {
                snake += profiles;
            }
            else if (CamelHump().IsMatch(key))
            {
                camel += profiles;
            }
        }
        return camel > snake ? KeyStyle.Camel : KeyStyle.Snake;
    }

    /// <summary>
    /// A key for a column nothing matches: a header already written as a key (lifetime_total, loyaltyTier)
    /// stays as it is; any other is made one in the given style ("Total Amount" → total_amount or totalAmount).
    /// Dots keep nesting (address.city).
    /// </summary>
    private static string NewKey(string header, KeyStyle style)
    {
        if (WrittenAsKey().IsMatch(header.Trim()))
        {
            return header.Trim();
        }
        var segments = header.Split('.', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(Words).Where(w => w.Count > 0)
            .Select(w => style == KeyStyle.Snake
                ? string.Join('_', w)
                : w[0] + string.Concat(w.Skip(1).Select(word => char.ToUpperInvariant(word[0]) + word[1..])));
        var key = string.Join('.', segments);
        return key.Length == 0 ? "column" : key;
    }

    /// <summary>
    /// The type of a column from its sampled values, or null when the sample has none. A type every value
    /// fits is the type; a type three values in four fit (or most values, when the column's name says so
    /// too: "Total", "Is VIP", "Signed up at") is the type as well, and the odd values are rows the import
    /// rejects with their reason rather than a whole column silently kept as text. Numbers with a leading
    /// zero or plus (07700…, +44…, 00123) or more than 15 digits are codes, not quantities; dates are
    /// ISO-like (2026-11-23, 2026-11-23T14:05:00Z) so that "3/4" is never a date. Every value counted as a
    /// type is one the import's converter accepts as it.
    /// </summary>
    public static AttributeType? InferType(IEnumerable<string?> values, AttributeType? nameSays = null, string nullToken = "NULL")
    {
        var present = values.Select(v => v?.Trim()).Where(v => !string.IsNullOrEmpty(v) && !string.Equals(v, nullToken, StringComparison.OrdinalIgnoreCase))
            .Select(v => v!).ToList();
        if (present.Count == 0)
        {
            return null;
        }
        (AttributeType Type, int Fit)[] fits =
        [
            (AttributeType.Number, present.Count(IsQuantity)),
            (AttributeType.Boolean, present.Count(v => v.ToLowerInvariant() is "true" or "false" or "yes" or "no")),
            (AttributeType.Date, present.Count(IsDate)),
        ];
        foreach (var (type, fit) in fits)
        {
            if (fit == present.Count)
            {
                return type;
            }
        }
        foreach (var (type, fit) in fits)
        {
            if (fit * 4 >= present.Count * 3 || (type == nameSays && fit * 2 > present.Count))
            {
                return type;
            }
        }
        return AttributeType.Text;
    }

    private static bool IsDate(string value) =>
        IsoDate().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    private static bool IsQuantity(string value)
    {
        if (!Number().IsMatch(value) || !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            return false;
        }
        var digits = value.TrimStart('-');
        var whole = digits.Split('.')[0];
        return !(whole.Length > 1 && whole[0] == '0') && digits.Count(char.IsDigit) <= 15;
    }

    /// <summary>A guess from the name when there are no values to look at.</summary>
    private static AttributeType TypeFromName(IReadOnlyList<string> words)
    {
        var last = words.Count == 0 ? "" : words[^1];
        var first = words.Count == 0 ? "" : words[0];
        return last is "at" or "date" || Concept(string.Concat(words)) is "birthday" ? AttributeType.Date
            : first is "is" or "has" ? AttributeType.Boolean
            : words.Any(w => w is "amount" or "price" or "revenue" or "count" or "total" or "points" or "age" or "quantity") ? AttributeType.Number
            : AttributeType.Text;
    }

    [GeneratedRegex("^-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Number();

    [GeneratedRegex("^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    [GeneratedRegex("^[a-z][a-zA-Z0-9_]*(\\.[a-z][a-zA-Z0-9_]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex WrittenAsKey();

    [GeneratedRegex("[a-z][A-Z]", RegexOptions.CultureInvariant)]
    private static partial Regex CamelHump();
}
