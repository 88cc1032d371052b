using System.Text.Json;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Tests.Segments;

public sealed class SegmentEvaluatorTests
{
    private static readonly DateTime Now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    private static SegmentProfileFacts Profile(
        Dictionary<string, string>? attributes = null,
        IEnumerable<(string Name, DateTime At, string Properties)>? events = null,
        Dictionary<string, string[]>? identities = null,
        long[]? segments = null) =>
        new(1,
            (attributes ?? []).ToDictionary(a => a.Key, a => JsonDocument.Parse(a.Value).RootElement.Clone()),
            (events ?? []).Select(e => new SegmentEventFact(e.Name, e.At, SegmentProfileFacts.Properties(e.Properties))).ToList(),
            (identities ?? []).ToDictionary(i => i.Key, i => (IReadOnlyList<string>)i.Value),
            (segments ?? []).ToHashSet());

    private static bool Attribute(string json, ValueTest test, DateTime? now = null) =>
        SegmentEvaluator.Matches(new SegmentRule(new AttributeCondition("a", "x", test)), Profile(new() { ["x"] = json }), now ?? Now);

    private static ValueTest Text(ValueOperator op, string text) => new(ValueTestType.Text, op) { Text = text };

    [Theory]
    [InlineData("\"France\"", ValueOperator.Equals, "France", true)]
    [InlineData("\"france\"", ValueOperator.Equals, "France", false)] // ordinal: case matters
    [InlineData("\"Spain\"", ValueOperator.NotEquals, "France", true)]
    [InlineData("\"France\"", ValueOperator.NotEquals, "France", false)]
    [InlineData("12", ValueOperator.NotEquals, "France", false)] // a number is not a text value
    [InlineData("\"France\"", ValueOperator.Contains, "anc", true)]
    [InlineData("\"France\"", ValueOperator.StartsWith, "Fr", true)]
    [InlineData("\"France\"", ValueOperator.StartsWith, "ance", false)]
    [InlineData("\"France\"", ValueOperator.EndsWith, "ance", true)]
    [InlineData("\"France\"", ValueOperator.EndsWith, "Fr", false)]
    public void TextOperators_Value_Decide(string json, ValueOperator op, string text, bool expected) =>
        Assert.Equal(expected, Attribute(json, Text(op, text)));

    [Fact]
    public void NotEquals_MissingAttribute_DoesNotMatch()
    {
        var rule = new SegmentRule(new AttributeCondition("a", "country", Text(ValueOperator.NotEquals, "France")));

        Assert.False(SegmentEvaluator.Matches(rule, Profile(), Now));
        Assert.True(SegmentEvaluator.Matches(new SegmentRule(new AttributeCondition("a", "country", new ValueTest(ValueTestType.Text, ValueOperator.NotExists))), Profile(), Now));
    }

    [Theory]
    [InlineData("5", ValueOperator.Equals, 5, null, true)]
    [InlineData("5.0", ValueOperator.Equals, 5, null, true)]
    [InlineData("\"5\"", ValueOperator.Equals, 5, null, false)] // a string is not a number
    [InlineData("5", ValueOperator.LessThan, 5, null, false)]
    [InlineData("5", ValueOperator.LessOrEqual, 5, null, true)]
    [InlineData("5", ValueOperator.GreaterThan, 4.5, null, true)]
    [InlineData("5", ValueOperator.GreaterOrEqual, 5.5, null, false)]
    [InlineData("5", ValueOperator.Between, 5, 10.0, true)]
    [InlineData("10", ValueOperator.Between, 5, 10.0, true)]
    [InlineData("10.01", ValueOperator.Between, 5, 10.0, false)]
    public void NumberOperators_Value_Decide(string json, ValueOperator op, double number, double? to, bool expected) =>
        Assert.Equal(expected, Attribute(json, new ValueTest(ValueTestType.Number, op) { Number = number, NumberTo = to }));

    [Theory]
    [InlineData("true", ValueOperator.IsTrue, true)]
    [InlineData("false", ValueOperator.IsTrue, false)]
    [InlineData("\"true\"", ValueOperator.IsTrue, false)]
    [InlineData("false", ValueOperator.IsFalse, true)]
    public void BooleanOperators_Value_Decide(string json, ValueOperator op, bool expected) =>
        Assert.Equal(expected, Attribute(json, new ValueTest(ValueTestType.Boolean, op)));

    [Theory]
    [InlineData("2026-03-01", "2026-03-01T00:00:00.000Z")]
    [InlineData("2026-03-01T10:00:00Z", "2026-03-01T10:00:00.000Z")]
    [InlineData("2026-03-01 10:00", "2026-03-01T10:00:00.000Z")]
    [InlineData("2026-03-01T12:00:00+02:00", "2026-03-01T10:00:00.000Z")]
    [InlineData("2026-03-01T10:00:00.1234Z", "2026-03-01T10:00:00.123Z")]
    [InlineData("2026-02-30", "2026-03-02T00:00:00.000Z")] // SQLite's day overflow, so both paths agree
    public void TryParseDateMs_IsoText_ReadsTheInstant(string text, string expected)
    {
        Assert.True(SegmentValues.TryParseDateMs(text, out var ms));
        Assert.Equal(DateTime.Parse(expected, null, System.Globalization.DateTimeStyles.AdjustToUniversal), SegmentValues.FromMs(ms));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("2026-13-01")]
    [InlineData("2026-03-01Z")]
    [InlineData("2026-03-01T10")]
    [InlineData("1/3/2026")]
    [InlineData("2026-03-01T10:00:00 tomorrow")]
    public void TryParseDateMs_NotADate_IsRefused(string text) => Assert.False(SegmentValues.TryParseDateMs(text, out _));

    [Fact]
    public void WithinLastDays_AtTheBoundaryMillisecond_Holds()
    {
        var test = new ValueTest(ValueTestType.Date, ValueOperator.WithinLastDays) { Days = 30 };

        Assert.True(Attribute("\"2026-01-30T12:00:00.000Z\"", test)); // exactly 30 days before now
        Assert.False(Attribute("\"2026-01-30T11:59:59.999Z\"", test));
        Assert.True(Attribute("\"2026-03-01T12:00:00Z\"", test)); // now
        Assert.False(Attribute("\"2026-03-01T12:00:00.001Z\"", test)); // the future is not "the last 30 days"
    }

    [Fact]
    public void RelativeDates_AroundNow_Decide()
    {
        var next = new ValueTest(ValueTestType.Date, ValueOperator.WithinNextDays) { Days = 7 };
        var ago = new ValueTest(ValueTestType.Date, ValueOperator.MoreThanDaysAgo) { Days = 90 };
        var before = new ValueTest(ValueTestType.Date, ValueOperator.Before) { Date = new DateTime(2026, 2, 1) };

        Assert.True(Attribute("\"2026-03-08T12:00:00Z\"", next));
        Assert.False(Attribute("\"2026-03-08T12:00:00.001Z\"", next));
        Assert.True(Attribute("\"2025-12-01T11:59:59.999Z\"", ago)); // 90 days before now is 2025-12-01T12:00
        Assert.False(Attribute("\"2025-12-01T12:00:00Z\"", ago));
        Assert.True(Attribute("\"2026-01-31T23:59:59.999Z\"", before));
        Assert.False(Attribute("\"2026-02-01\"", before));
        Assert.False(Attribute("\"not a date\"", new ValueTest(ValueTestType.Date, ValueOperator.WithinLastDays) { Days = 3000 }));
    }

    private static EventCondition Orders(CountOperator op, int times, int days) => new("e", "Order Completed", true)
    {
        Count = new EventCount(op, times),
        Window = new EventWindow(WindowKind.LastDays) { Amount = days },
    };

    [Fact]
    public void EventWindow_EventsOnTheBoundaries_CountOnlyInside()
    {
        var profile = Profile(events:
        [
            ("Order Completed", Now.AddDays(-30), "{}"), // the window's first instant: counted
            ("Order Completed", Now.AddDays(-30).AddTicks(-1), "{}"), // one tick older: not counted
            ("Order Completed", Now, "{}"), // now: counted
            ("Order Completed", Now.AddTicks(1), "{}"), // the future: not counted
            ("order completed", Now.AddDays(-1), "{}"), // another name (names are exact)
        ]);

        Assert.True(SegmentEvaluator.Matches(new SegmentRule(Orders(CountOperator.Exactly, 2, 30)), profile, Now));
    }

    [Fact]
    public void EventCounts_AtLeastAtMostExactly_Decide()
    {
        var profile = Profile(events: [("Order Completed", Now.AddDays(-1), "{}"), ("Order Completed", Now.AddDays(-2), "{}")]);

        Assert.True(SegmentEvaluator.Matches(new SegmentRule(Orders(CountOperator.AtLeast, 2, 30)), profile, Now));
        Assert.False(SegmentEvaluator.Matches(new SegmentRule(Orders(CountOperator.AtLeast, 3, 30)), profile, Now));
        Assert.True(SegmentEvaluator.Matches(new SegmentRule(Orders(CountOperator.AtMost, 2, 30)), profile, Now));
        Assert.False(SegmentEvaluator.Matches(new SegmentRule(Orders(CountOperator.AtMost, 1, 30)), profile, Now));
        Assert.False(SegmentEvaluator.Matches(new SegmentRule(Orders(CountOperator.Exactly, 1, 30)), profile, Now));
        Assert.True(SegmentEvaluator.Matches(new SegmentRule(Orders(CountOperator.AtLeast, 1, 1)), profile, Now)); // the one from exactly a day ago
    }

    [Fact]
    public void EventHoursWindow_AndBetweenDates_CountInclusive()
    {
        var profile = Profile(events: [("Viewed", Now.AddHours(-2), "{}"), ("Viewed", Now.AddHours(-3), "{}")]);
        var lastTwoHours = new EventCondition("e", "Viewed", true) { Count = new EventCount(CountOperator.Exactly, 1), Window = new EventWindow(WindowKind.LastHours) { Amount = 2 } };
        var between = new EventCondition("e", "Viewed", true)
        {
            Count = new EventCount(CountOperator.Exactly, 2),
            Window = new EventWindow(WindowKind.Between) { From = Now.AddHours(-3), To = Now.AddHours(-2) },
        };

        Assert.True(SegmentEvaluator.Matches(new SegmentRule(lastTwoHours), profile, Now));
        Assert.True(SegmentEvaluator.Matches(new SegmentRule(between), profile, Now));
    }

    [Fact]
    public void EventPropertiesAndAggregate_OnlyMatchingEventsAreSummed()
    {
        var profile = Profile(events:
        [
            ("Order Completed", Now.AddDays(-1), """{"amount":60,"currency":"EUR"}"""),
            ("Order Completed", Now.AddDays(-2), """{"amount":50,"currency":"EUR"}"""),
            ("Order Completed", Now.AddDays(-3), """{"amount":500,"currency":"USD"}"""),
            ("Order Completed", Now.AddDays(-4), """{"amount":"lots","currency":"EUR"}"""),
        ]);
        EventCondition Sum(AggregateFunction f, double atLeast) => new("e", "Order Completed", true)
        {
            Properties = [new PropertyTest("currency", Text(ValueOperator.Equals, "EUR"))],
            Aggregate = new EventAggregate(f, "amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = atLeast }),
        };

        var result = SegmentEvaluator.Evaluate(new SegmentRule(Sum(AggregateFunction.Sum, 110)), profile, Now);

        Assert.True(result.Matches);
        Assert.Contains("3 times", result.Explanation.Detail);
        Assert.Contains("sum of amount: 110", result.Explanation.Detail);
        Assert.False(SegmentEvaluator.Matches(new SegmentRule(Sum(AggregateFunction.Sum, 110.5)), profile, Now));
        Assert.True(SegmentEvaluator.Matches(new SegmentRule(Sum(AggregateFunction.Avg, 55)), profile, Now));
        Assert.False(SegmentEvaluator.Matches(new SegmentRule(Sum(AggregateFunction.Min, 51)), profile, Now));
        Assert.True(SegmentEvaluator.Matches(new SegmentRule(Sum(AggregateFunction.Max, 60)), profile, Now));
    }

    [Fact]
    public void DidNotPerform_NegatesTheWholeCondition()
    {
        var profile = Profile(events: [("Order Completed", Now.AddDays(-10), "{}")]);
        var none = new EventCondition("e", "Order Completed", Performed: false) { Window = new EventWindow(WindowKind.LastDays) { Amount = 7 } };

        Assert.True(SegmentEvaluator.Matches(new SegmentRule(none), profile, Now));
        Assert.False(SegmentEvaluator.Matches(new SegmentRule(none with { Window = new EventWindow(WindowKind.LastDays) { Amount = 14 } }), profile, Now));
    }

    [Fact]
    public void Groups_AllAnyNone_CombineChildren()
    {
        var profile = Profile(new() { ["country"] = "\"France\"" }, identities: new() { ["email"] = ["a@example.com"] }, segments: [3]);
        SegmentNode france = new AttributeCondition("c", "country", Text(ValueOperator.Equals, "France"));
        SegmentNode phone = new IdentityCondition("p", "phone", Has: true);
        SegmentNode inThree = new SegmentCondition("s", 3, IsIn: true);

        Assert.True(SegmentEvaluator.Matches(new SegmentRule(new GroupNode("g", GroupKind.AllOf, [france, inThree])), profile, Now));
        Assert.False(SegmentEvaluator.Matches(new SegmentRule(new GroupNode("g", GroupKind.AllOf, [france, phone])), profile, Now));
        Assert.True(SegmentEvaluator.Matches(new SegmentRule(new GroupNode("g", GroupKind.AnyOf, [phone, france])), profile, Now));
        Assert.True(SegmentEvaluator.Matches(new SegmentRule(new GroupNode("g", GroupKind.NoneOf, [phone])), profile, Now));
        Assert.False(SegmentEvaluator.Matches(new SegmentRule(new GroupNode("g", GroupKind.NoneOf, [phone, inThree])), profile, Now));
    }

    [Fact]
    public void Evaluate_Profile_ExplainsEveryNodeWithTheDecidingValues()
    {
        var profile = Profile(new() { ["country"] = "\"France\"" },
            events: [("Order Completed", Now.AddDays(-1), "{}"), ("Order Completed", Now.AddDays(-5), "{}"), ("Order Completed", Now.AddDays(-9), "{}")]);
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf,
        [
            new AttributeCondition("c", "country", Text(ValueOperator.Equals, "France")),
            Orders(CountOperator.AtLeast, 2, 30),
            new IdentityCondition("i", "email", Has: true),
        ]));

        var result = SegmentEvaluator.Evaluate(rule, profile, Now);

        Assert.False(result.Matches);
        Assert.Equal("all of ✗ (2 of 3 hold)", result.Explanation.Display);
        Assert.Equal(["c", "e", "i"], result.Explanation.Children.Select(c => c.NodeId));
        Assert.Equal("country is France ✓ (value: France)", result.Explanation.Children[0].Display);
        Assert.Equal("performed Order Completed at least twice in the last 30 days ✓ (3 times, 20 Feb 2026, 12:00 UTC to 28 Feb 2026, 12:00 UTC)", result.Explanation.Children[1].Display);
        Assert.Equal("have an email identifier ✗ (none)", result.Explanation.Children[2].Display);
    }

    [Fact]
    public void FromStored_Fragments_UseTheMostRecentRule()
    {
        var t = new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc);
        var facts = SegmentProfileFacts.FromStored(1,
        [
            new ProfileAttribute { ProfileId = 1, SourceId = 1, Key = "country", ValueJson = "\"Spain\"", EventAt = t, MessageId = 1 },
            new ProfileAttribute { ProfileId = 1, SourceId = 2, Key = "country", ValueJson = "\"France\"", EventAt = t.AddMinutes(1), MessageId = 2 },
            new ProfileAttribute { ProfileId = 1, SourceId = 1, Key = "plan", ValueJson = "null", EventAt = t, MessageId = 1 },
        ], [], [], computed: new Dictionary<string, JsonElement> { ["orders_30d"] = JsonDocument.Parse("3").RootElement.Clone() });

        Assert.Equal("France", facts.Attributes["country"].GetString());
        Assert.False(facts.Attributes.ContainsKey("plan"));
        Assert.Equal(3, facts.Attributes["orders_30d"].GetInt32());
    }
}
