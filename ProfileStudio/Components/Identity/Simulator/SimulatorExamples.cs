namespace ProfileStudio.Components.Identity.Simulator;

/// <summary>A ready-made story for the rule simulator: what it shows, and its messages.</summary>
public sealed record SimulatorExample(string Key, string Title, string Story, string Messages);

/// <summary>The stories the identity rules are built for, each a few messages a user can run and then edit.</summary>
public static class SimulatorExamples
{
    public static SimulatorExample SharedDevice { get; } = new("shared-device", "Shared device",
        "Ada browses anonymously, signs in; later Bob signs in on the same laptop. With user_id limited to 1 they stay two people and the laptop follows Bob, the last to sign in.",
        """
        [
          { "type": "page", "anonymousId": "laptop-7f3a",
            "name": "Pricing", "timestamp": "2025-03-03T09:00:00Z" },
          { "type": "identify", "userId": "ada",
            "anonymousId": "laptop-7f3a",
            "traits": { "name": "Ada Lovelace",
                        "email": "ada@example.com" },
            "timestamp": "2025-03-03T09:05:00Z" },
          { "type": "identify", "userId": "bob",
            "anonymousId": "laptop-7f3a",
            "traits": { "name": "Bob Stone",
                        "email": "bob@example.com" },
            "timestamp": "2025-03-03T20:30:00Z" },
          { "type": "track", "anonymousId": "laptop-7f3a",
            "event": "Product Viewed",
            "properties": { "sku": "TENT-2P" },
            "timestamp": "2025-03-03T20:35:00Z" }
        ]
        """);

    public static IReadOnlyList<SimulatorExample> All { get; } =
    [
        new("anonymous-login", "Anonymous then login",
            "Ada browses anonymously on her phone and on her laptop, then signs in on both: the two anonymous histories merge into one profile.",
            """
            [
              { "type": "page", "anonymousId": "phone-91c2",
                "name": "Home", "timestamp": "2025-03-01T08:00:00Z" },
              { "type": "page", "anonymousId": "laptop-7f3a",
                "name": "Tents", "timestamp": "2025-03-01T12:00:00Z" },
              { "type": "identify", "userId": "ada",
                "anonymousId": "laptop-7f3a",
                "traits": { "name": "Ada Lovelace", "plan": "free" },
                "timestamp": "2025-03-01T12:03:00Z" },
              { "type": "identify", "userId": "ada",
                "anonymousId": "phone-91c2", "traits": { "plan": "pro" },
                "timestamp": "2025-03-02T07:45:00Z" },
              { "type": "track", "userId": "ada",
                "event": "Order Completed",
                "properties": { "total": 129.5 },
                "timestamp": "2025-03-02T07:50:00Z" }
            ]
            """),
        SharedDevice,
        new("crm-email", "CRM upper-case email",
            "The website knows ada@example.com; the CRM sends ADA@EXAMPLE.COM with its own id. E-mails are lower-cased, so both land on one profile, with attributes from each source.",
            """
            [
              { "type": "identify", "source": "Website",
                "userId": "web-42",
                "traits": { "email": "ada@example.com", "name": "Ada" },
                "timestamp": "2025-03-01T10:00:00Z" },
              { "type": "identify", "source": "CRM",
                "anonymousId": "3f9c2a71-5b7e-4d0c-9a43-2e8d6c1f0b55",
                "traits": { "email": " ADA@EXAMPLE.COM ",
                            "crm_id": "CRM-0042",
                            "name": "Ada Lovelace", "tier": "gold" },
                "timestamp": "2025-03-02T02:00:00Z" }
            ]
            """),
        new("placeholders", "Placeholder values",
            "Two people typed test@test.com and \"unknown\" as their phone. Placeholder values are blocked, so nobody merges; a message with only placeholders has no identifier, and a track without an event name is refused by the parser.",
            """
            [
              { "type": "identify", "userId": "u-1001",
                "traits": { "name": "Ada", "email": "test@test.com",
                            "phone": "unknown" } },
              { "type": "identify", "userId": "u-2002",
                "traits": { "name": "Bob", "email": "test@test.com",
                            "phone": "unknown" } },
              { "type": "page", "userId": "null",
                "anonymousId": "undefined", "name": "Home" },
              { "type": "track", "userId": "u-1001" }
            ]
            """),
        new("phone-formats", "Phone formats",
            "The same UK mobile written three ways by the website, the app and the till. Phones are normalized to E.164, so they are one identity and one profile.",
            """
            [
              { "type": "identify", "source": "Website",
                "anonymousId": "web-5d1e",
                "traits": { "phone": "07700 900123" } },
              { "type": "identify", "source": "App",
                "anonymousId": "app-c07b",
                "traits": { "phone": "+44 (0)7700 900-123",
                            "name": "Ada" } },
              { "type": "identify", "source": "Point of sale",
                "anonymousId": "till-receipt-5521",
                "traits": { "phone": "0044 7700 900123",
                            "loyalty_id": "L-0077" } }
            ]
            """),
    ];
}
