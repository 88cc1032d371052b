using System.Text;
using System.Text.Json;

namespace ProfileStudio.Bench;

/// <summary>
/// Realistic tracking traffic: a population of people browsing anonymously, signing in, viewing
/// products and ordering, as analytics libraries would send it (~450 bytes a message).
/// </summary>
internal sealed class TrackingTraffic(int people, int seed)
{
    private static readonly string[] FirstNames = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia", "Tim"];
    private static readonly string[] LastNames = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra", "Perlman", "Berners-Lee"];
    private static readonly string[] Products = ["Trail Runner 2", "Rain Jacket", "Wool Socks", "Camp Stove", "Headlamp", "Daypack 28L", "Water Filter", "Sleeping Pad"];
    private static readonly string[] Categories = ["Footwear", "Outerwear", "Accessories", "Cooking", "Lighting", "Bags", "Hydration", "Sleeping"];
    private static readonly string[] Pages = ["/", "/products", "/products/trail-runner-2", "/cart", "/checkout", "/account", "/support"];
    private readonly Random _random = new(seed);
    private long _sequence;

    public string NextBatchBody(int size)
    {
        var batch = new List<object>(size);
        for (var i = 0; i < size; i++)
        {
            batch.Add(NextMessage());
        }
        return JsonSerializer.Serialize(new { batch, sentAt = DateTime.UtcNow.ToString("O") });
    }

    public object NextMessage()
    {
        var person = _random.Next(people);
        var sequence = Interlocked.Increment(ref _sequence);
        var anonymousId = $"anon-{person:x8}-{person % 7}";
        var userId = person % 3 == 0 ? null : $"user-{person}";
        var timestamp = DateTime.UtcNow.AddSeconds(-_random.Next(0, 3600)).ToString("O");
        var context = new
        {
            library = new { name = "analytics-node", version = "3.1.0" },
            ip = $"10.{person % 250}.{person / 250 % 250}.{person % 200 + 1}",
            userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
            page = new { path = Pages[_random.Next(Pages.Length)], referrer = "https://www.example.com/" },
        };
        var messageId = $"bench-{seed}-{sequence}";
        var product = _random.Next(Products.Length);
        switch (_random.Next(10))
        {
            case 0:
                var first = FirstNames[person % FirstNames.Length];
                var last = LastNames[person / FirstNames.Length % LastNames.Length];
                return new
                {
                    type = "identify", messageId, userId = userId ?? $"user-{person}", anonymousId, timestamp, context,
                    traits = new
                    {
                        email = $"{first}.{last}{person}@example.com".ToLowerInvariant(),
                        firstName = first, lastName = last,
                        phone = $"+44 20 7946 {person % 10000:0000}",
                        plan = person % 5 == 0 ? "pro" : "free",
                    },
                };
            case 1 or 2 or 3:
                return new { type = "page", messageId, userId, anonymousId, timestamp, context, name = "Product", properties = new { path = Pages[_random.Next(Pages.Length)], title = Products[product] } };
            case 4:
                return new
                {
                    type = "track", messageId, userId, anonymousId, timestamp, context, @event = "Order Completed",
                    properties = new { order_id = $"o-{sequence}", revenue = Math.Round(_random.NextDouble() * 200 + 5, 2), currency = "EUR", category = Categories[product], products = new[] { new { sku = $"SKU-{product}", name = Products[product], quantity = 1 } } },
                };
            default:
                return new
                {
                    type = "track", messageId, userId, anonymousId, timestamp, context, @event = _random.Next(2) == 0 ? "Product Viewed" : "Product Added",
                    properties = new { sku = $"SKU-{product}", name = Products[product], category = Categories[product], price = 19.99 + product * 10 },
                };
        }
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
