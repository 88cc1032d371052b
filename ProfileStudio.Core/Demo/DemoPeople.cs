using Bogus;

namespace ProfileStudio.Core.Demo;

/// <summary>One made-up customer and every identifier the demo sources know them by.</summary>
public sealed record DemoPerson(
    int Number,
    string FirstName,
    string LastName,
    string Email,
    string PhoneE164,
    string? UserId,
    IReadOnlyList<string> AnonymousIds,
    string? CrmId,
    string? LoyaltyId,
    string City,
    string Country,
    DateTime Birthday,
    bool MarketingOptIn);

/// <summary>
/// A realistic, repeatable population (fixed seed): web accounts for most, CRM records for many,
/// loyalty cards for some, one to three devices each; the overlaps are what identity resolution joins.
/// </summary>
public static class DemoPeople
{
    public static IReadOnlyList<DemoPerson> Generate(int count, int seed = 20261123)
    {
        var faker = new Faker("en_GB") { Random = new Randomizer(seed) };
        return Enumerable.Range(1, count).Select(n =>
        {
            var first = faker.Name.FirstName();
            var last = faker.Name.LastName();
            var email = faker.Internet.Email(first, last, provider: faker.PickRandom("example.com", "mail.example", "inbox.example", "post.example")).ToLowerInvariant();
            var devices = faker.Random.Int(1, 3);
            return new DemoPerson(
                n,
                first,
                last,
                email,
                $"+4477{faker.Random.Int(0, 99_999_999):00000000}",
                faker.Random.Bool(0.7f) ? $"web-{n:000000}" : null,
                Enumerable.Range(0, devices).Select(_ => faker.Random.Guid().ToString()).ToList(),
                faker.Random.Bool(0.6f) ? $"CRM-{faker.Random.Int(100_000, 999_999)}-{n}" : null,
                faker.Random.Bool(0.4f) ? $"LOY{n:0000000}" : null,
                faker.Address.City(),
                faker.PickRandom("GB", "GB", "GB", "IE", "FR", "DE"),
                faker.Date.Between(new DateTime(1950, 1, 1), new DateTime(2005, 12, 31)).Date,
                faker.Random.Bool(0.55f));
        }).ToList();
    }

    /// <summary>The same UK mobile number the way different systems write it down.</summary>
    public static string PhoneAsWritten(DemoPerson person, int style) => style switch
    {
        0 => person.PhoneE164,
        1 => "0" + person.PhoneE164[3..7] + " " + person.PhoneE164[7..],
        2 => "+44 (0)" + person.PhoneE164[3..7] + " " + person.PhoneE164[7..10] + "-" + person.PhoneE164[10..],
        _ => "0044" + person.PhoneE164[3..],
    };
}
