using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bogus;
using CsvHelper;

namespace ProfileStudio.Core.Demo;

/// <summary>
/// What the demo sources send about <see cref="DemoPeople"/> over the last weeks: Segment-shaped
/// website and app traffic (anonymous browsing that later signs in, product views, carts, orders,
/// support tickets, club and business accounts joined with group calls), a CRM export (e-mails in upper case, phones in local formats) and point-of-sale
/// purchases keyed by loyalty card or e-mail. A few rows are broken on purpose, as real exports are.
/// </summary>
public sealed class DemoTraffic(IReadOnlyList<DemoPerson> people, DateTime now, int seed = 7)
{
    private static readonly (string Sku, string Name, string Category, double Price)[] Products =
    [
        ("TR-2", "Trail Runner 2", "Footwear", 119.0), ("RJ-1", "Storm Rain Jacket", "Outerwear", 149.0),
        ("WS-3", "Merino Socks (3 pack)", "Accessories", 24.5), ("CS-1", "Camp Stove", "Cooking", 64.0),
        ("HL-4", "Headlamp 400", "Lighting", 39.9), ("DP-28", "Daypack 28L", "Bags", 89.0),
        ("WF-1", "Water Filter", "Hydration", 34.0), ("SP-2", "Sleeping Pad", "Sleeping", 79.0),
    ];

    private static readonly string[] Pages = ["/", "/new-in", "/footwear", "/outerwear", "/sale", "/stores", "/help"];
    private static readonly string[] Stores = ["London Covent Garden", "Manchester Arndale", "Edinburgh Princes St", "Dublin Grafton St"];
    /// <summary>Club and business accounts some customers buy for: each member's group call sends the account's own e-mail and phone.</summary>
    private static readonly (string Id, string Name, string Email, string Phone, int Members, string Plan)[] Accounts =
    [
        ("acc-101", "Northwind Hiking Club", "treasurer@northwind-hiking.example", "+44 20 7946 0101", 240, "club"),
        ("acc-102", "Fell Runners of Keswick", "info@fellrunners.example", "+44 17687 70102", 85, "club"),
        ("acc-103", "Summit Guides Ltd", "accounts@summitguides.example", "+44 131 496 0103", 32, "business"),
        ("acc-104", "Riverside Scouts 4th", "leader@riverside-scouts.example", "+44 161 496 0104", 60, "club"),
    ];

    private readonly Faker _faker = new() { Random = new Randomizer(seed) };

    // Group calls draw from their own generator, so adding them left the rest of the demo as it was.
    private readonly Randomizer _groups = new(seed + 1);

    /// <summary>Website messages, oldest first.</summary>
    public IReadOnlyList<JsonObject> Website()
    {
        var messages = new List<JsonObject>();
        var start = 0;
        for (var i = 0; i < people.Count; i++)
        {
            FitBeforeNow(messages, start, i - 1);
            start = messages.Count;
            var person = people[i];
            // Two people in a hundred share a device with the person before them (a family laptop).
            var device = i > 0 && _faker.Random.Bool(0.02f) ? people[i - 1].AnonymousIds[0] : person.AnonymousIds[0];
            var sessions = _faker.Random.Int(1, 6);
            var signedInFrom = person.UserId is null ? int.MaxValue : _faker.Random.Int(0, sessions - 1);
            var at = now.AddDays(-FirstVisitDaysAgo(_faker.Random.Double(0, 1)));
            for (var s = 0; s < sessions && at < now; s++)
            {
                var userId = s >= signedInFrom ? person.UserId : null;
                var context = new JsonObject
                {
                    ["library"] = new JsonObject { ["name"] = "analytics.js", ["version"] = "next-1.84.3" },
                    ["userAgent"] = _faker.Internet.UserAgent(),
                    ["ip"] = _faker.Internet.Ip(),
                };
                for (var p = _faker.Random.Int(1, 5); p > 0; p--)
                {
                    var path = _faker.PickRandom(Pages);
                    messages.Add(Message("page", at = at.AddSeconds(_faker.Random.Int(5, 120)), userId, device, context,
                        m => { m["name"] = path == "/" ? "Home" : path.Trim('/'); m["properties"] = new JsonObject { ["path"] = path, ["url"] = "https://shop.example" + path }; }));
                }
                if (s == signedInFrom)
                {
                    messages.Add(Message("identify", at = at.AddSeconds(30), userId, device, context, m => m["traits"] = new JsonObject
                    {
                        ["email"] = person.Email,
                        ["firstName"] = person.FirstName,
                        ["lastName"] = person.LastName,
                        ["phone"] = DemoPeople.PhoneAsWritten(person, 0),
                        ["plan"] = _faker.PickRandom("member", "member", "plus"),
                    }));
                    if (_groups.Bool(0.12f))
                    {
                        messages.Add(Group(at.AddSeconds(5), userId!, device, context, Accounts[_groups.Int(0, Accounts.Length - 1)]));
                    }
                }
                var product = _faker.PickRandom(Products);
                messages.Add(Track("Product Viewed", at = at.AddSeconds(_faker.Random.Int(10, 90)), userId, device, context, ProductProperties(product)));
                if (_faker.Random.Bool(0.45f))
                {
                    messages.Add(Track("Product Added", at = at.AddSeconds(_faker.Random.Int(10, 60)), userId, device, context, ProductProperties(product)));
                    if (userId is not null && _faker.Random.Bool(0.6f))
                    {
                        var quantity = _faker.Random.Int(1, 2);
                        messages.Add(Track("Order Completed", at = at.AddMinutes(_faker.Random.Int(1, 10)), userId, device, context, new JsonObject
                        {
                            ["order_id"] = $"W{_faker.Random.Int(100_000, 999_999)}",
                            ["revenue"] = Math.Round(product.Price * quantity, 2),
                            ["currency"] = "GBP",
                            ["category"] = product.Category,
                            ["products"] = new JsonArray(new JsonObject { ["sku"] = product.Sku, ["name"] = product.Name, ["price"] = product.Price, ["quantity"] = quantity }),
                        }));
                    }
                }
                if (userId is not null && _faker.Random.Bool(0.08f))
                {
                    messages.Add(Track("Support Ticket Opened", at = at.AddMinutes(_faker.Random.Int(5, 60)), userId, device, context, new JsonObject
                    {
                        ["ticket_id"] = $"T-{_faker.Random.Int(10_000, 99_999)}",
                        ["subject"] = _faker.PickRandom("Where is my order?", "Return request", "Size exchange", "Damaged item"),
                        ["priority"] = _faker.PickRandom("low", "normal", "high"),
                    }));
                }
                at = at.AddHours(_faker.Random.Double(6, 96));
            }
        }
        FitBeforeNow(messages, start, people.Count - 1);
        return Chronological(messages);
    }

    /// <summary>
    /// How long ago a person first visited the shop, from a uniform draw: 2 to 120 days, more of them recently, so the
    /// dashboard's profile trend shows a growing base over 90 days (and the 30-day figures a busier month).
    /// </summary>
    public static double FirstVisitDaysAgo(double uniform) => 2 + 118 * Math.Pow(uniform, 1.6);

    /// <summary>Mobile app messages (people with a second device), oldest first.</summary>
    public IReadOnlyList<JsonObject> MobileApp()
    {
        var messages = new List<JsonObject>();
        var index = 0;
        foreach (var person in people.Where(p => p.AnonymousIds.Count > 1))
        {
            var start = messages.Count;
            var device = person.AnonymousIds[1];
            var context = new JsonObject
            {
                ["library"] = new JsonObject { ["name"] = "analytics-react-native", ["version"] = "2.19.0" },
                ["device"] = new JsonObject { ["type"] = _faker.PickRandom("ios", "android"), ["model"] = _faker.PickRandom("iPhone 15", "Pixel 9", "Galaxy S24") },
                ["app"] = new JsonObject { ["name"] = "Outdoor Shop", ["version"] = "4.2.0" },
            };
            var at = now.AddDays(-_faker.Random.Double(1, 20));
            var userId = person.UserId is not null && _faker.Random.Bool(0.8f) ? person.UserId : null;
            if (userId is not null)
            {
                messages.Add(Message("identify", at, userId, device, context, m => m["traits"] = new JsonObject { ["email"] = person.Email, ["push_enabled"] = _faker.Random.Bool() }));
            }
            for (var i = _faker.Random.Int(2, 8); i > 0 && at < now; i--)
            {
                var screen = _faker.PickRandom("Home", "Search", "Product", "Cart", "Account");
                messages.Add(Message("screen", at = at.AddMinutes(_faker.Random.Int(1, 600)), userId, device, context, m => m["name"] = screen));
            }
            FitBeforeNow(messages, start, index++);
        }
        return Chronological(messages);
    }

    /// <summary>The CRM export: one row per customer record, as CRMs export them.</summary>
    public string CrmCsv()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using var csv = new CsvWriter(writer, new CsvHelper.Configuration.CsvConfiguration(CultureInfo.InvariantCulture) { Delimiter = ";" });
        string[] header = ["Customer ID", "Email", "First Name", "Last Name", "Phone", "City", "Country", "Birthday", "VIP", "Marketing Opt-in", "Lifetime Value"];
        foreach (var h in header) csv.WriteField(h);
        csv.NextRecord();
        foreach (var person in people.Where(p => p.CrmId is not null))
        {
            csv.WriteField(person.CrmId);
            csv.WriteField(_faker.Random.Bool(0.3f) ? person.Email.ToUpperInvariant() : person.Email);
            csv.WriteField(person.FirstName);
            csv.WriteField(person.LastName);
            csv.WriteField(_faker.Random.Bool(0.2f) ? "" : DemoPeople.PhoneAsWritten(person, _faker.Random.Int(1, 2)));
            csv.WriteField(person.City);
            csv.WriteField(person.Country);
            csv.WriteField(person.Birthday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            csv.WriteField(_faker.Random.Bool(0.1f) ? "yes" : "no");
            csv.WriteField(person.MarketingOptIn ? "true" : "false");
            csv.WriteField(Math.Round(_faker.Random.Double(0, 2500), 2).ToString(CultureInfo.InvariantCulture));
            csv.NextRecord();
        }
        // Real exports carry a few bad rows; they end up in the rejected-rows report.
        foreach (var bad in new[] { new[] { "", "", "Lost", "Record", "", "Leeds", "GB", "1980-01-01", "no", "true", "10" },
                     ["CRM-BROKEN-1", "broken@example.com", "Bad", "Value", "", "York", "GB", "1990-02-02", "no", "true", "about 200"] })
        {
            foreach (var field in bad) csv.WriteField(field);
            csv.NextRecord();
        }
        csv.Flush();
        return writer.ToString();
    }

    /// <summary>Point-of-sale purchases: loyalty card when scanned, else the e-mail given for the receipt.</summary>
    public string PosCsv()
    {
        var rows = new List<(DateTime At, string?[] Fields)>();
        foreach (var person in people.Where(p => p.LoyaltyId is not null || _faker.Random.Bool(0.25f)))
        {
            for (var i = _faker.Random.Int(1, 4); i > 0; i--)
            {
                var product = _faker.PickRandom(Products);
                var at = now.AddDays(-_faker.Random.Double(0.5, 28));
                var scanned = person.LoyaltyId is not null && _faker.Random.Bool(0.85f);
                rows.Add((at, [
                    scanned ? person.LoyaltyId : "",
                    scanned && _faker.Random.Bool(0.5f) ? "" : person.Email,
                    _faker.Random.Bool(0.3f) ? DemoPeople.PhoneAsWritten(person, 3) : "",
                    _faker.PickRandom(Stores),
                    at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    product.Sku,
                    product.Category,
                    product.Price.ToString("0.00", CultureInfo.InvariantCulture),
                    _faker.PickRandom("card", "card", "cash", "contactless"),
                ]));
            }
        }
        var text = new StringBuilder("loyalty_id,email,phone,store,purchased_at,sku,category,amount,payment\n");
        using var writer = new StringWriter(text, CultureInfo.InvariantCulture);
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
        foreach (var (_, fields) in rows.OrderBy(r => r.At))
        {
            foreach (var field in fields) csv.WriteField(field);
            csv.NextRecord();
        }
        csv.Flush();
        return text.ToString();
    }

    /// <summary>Bodies of /v1/batch requests of up to <paramref name="size"/> messages, as a client library sends them.</summary>
    public static IEnumerable<byte[]> Batches(IReadOnlyList<JsonObject> messages, int size = 100) =>
        messages.Chunk(size).Select(chunk => JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["batch"] = new JsonArray(chunk.Select(m => (JsonNode)m.DeepClone()).ToArray()) }));

    private JsonObject Track(string @event, DateTime at, string? userId, string anonymousId, JsonObject context, JsonObject properties) =>
        Message("track", at, userId, anonymousId, context, m => { m["event"] = @event; m["properties"] = properties; });

    /// <summary>A Segment group call: the person belongs to an account, whose traits describe the account (not the person).</summary>
    private JsonObject Group(DateTime at, string userId, string anonymousId, JsonObject context,
        (string Id, string Name, string Email, string Phone, int Members, string Plan) account) => new()
    {
        ["type"] = "group",
        ["messageId"] = $"demo-{_groups.Guid():N}",
        ["anonymousId"] = anonymousId,
        ["userId"] = userId,
        ["groupId"] = account.Id,
        ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
        ["context"] = context.DeepClone(),
        ["traits"] = new JsonObject
        {
            ["name"] = account.Name, ["email"] = account.Email, ["phone"] = account.Phone,
            ["members"] = account.Members, ["plan"] = account.Plan,
        },
    };

    private JsonObject Message(string type, DateTime at, string? userId, string anonymousId, JsonObject context, Action<JsonObject> fill)
    {
        var message = new JsonObject
        {
            ["type"] = type,
            ["messageId"] = $"demo-{_faker.Random.Guid():N}",
            ["anonymousId"] = anonymousId,
            ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
            ["context"] = context.DeepClone(),
        };
        if (userId is not null)
        {
            message["userId"] = userId;
        }
        fill(message);
        return message;
    }

    private static JsonObject ProductProperties((string Sku, string Name, string Category, double Price) p) =>
        new() { ["sku"] = p.Sku, ["name"] = p.Name, ["category"] = p.Category, ["price"] = p.Price, ["currency"] = "GBP" };

    /// <summary>
    /// A person's visit that would run past now (its last step drawn after it) is moved back as a whole, so it ends a few
    /// minutes to twelve hours before now (spread by the person's place, not drawn: the rest of the demo stays as it was).
    /// Clamping those steps to now instead had made many profiles "last active" at the very minute the demo was made.
    /// </summary>
    private void FitBeforeNow(List<JsonObject> messages, int from, int person)
    {
        if (from >= messages.Count)
        {
            return;
        }
        var last = messages.Skip(from).Max(Time);
        if (last < now)
        {
            return;
        }
        var back = last - now + TimeSpan.FromMinutes(5 + (person * 97 % 715));
        for (var i = from; i < messages.Count; i++)
        {
            messages[i]["timestamp"] = (Time(messages[i]) - back).ToString("O", CultureInfo.InvariantCulture);
        }
    }

    private static DateTime Time(JsonObject message) =>
        DateTime.Parse((string)message["timestamp"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static List<JsonObject> Chronological(List<JsonObject> messages) =>
        messages.OrderBy(m => (string)m["timestamp"]!, StringComparer.Ordinal).ToList();
}
