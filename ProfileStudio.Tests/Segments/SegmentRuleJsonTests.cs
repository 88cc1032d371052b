using ProfileStudio.Core.Segments;

namespace ProfileStudio.Tests.Segments;

public sealed class SegmentRuleJsonTests
{
    internal static SegmentRule EveryKind() => new(new GroupNode("root", GroupKind.AllOf,
    [
        new AttributeCondition("c1", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" }),
        new AttributeCondition("c2", "tier", new ValueTest(ValueTestType.Text, ValueOperator.InList) { Texts = ["gold", "silver"] }),
        new AttributeCondition("c3", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = 1.5, NumberTo = 500 }),
        new AttributeCondition("c4", "vip", new ValueTest(ValueTestType.Boolean, ValueOperator.IsTrue)),
        new AttributeCondition("c5", "signup", new ValueTest(ValueTestType.Date, ValueOperator.Between)
        {
            Date = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), DateTo = new DateTime(2026, 2, 1, 12, 30, 0, DateTimeKind.Utc),
        }),
        new GroupNode("g1", GroupKind.AnyOf,
        [
            new EventCondition("e1", "Order Completed", true)
            {
                Properties = [new PropertyTest("currency", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "EUR" })],
                Count = new EventCount(CountOperator.AtLeast, 2),
                Window = new EventWindow(WindowKind.LastDays) { Amount = 30 },
                Aggregate = new EventAggregate(AggregateFunction.Sum, "amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 100 }),
            },
            new EventCondition("e2", "Cart Viewed", false)
            {
                Window = new EventWindow(WindowKind.Between) { From = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), To = new DateTime(2026, 1, 31, 0, 0, 0, DateTimeKind.Utc) },
            },
        ]),
        new GroupNode("g2", GroupKind.NoneOf,
        [
            new IdentityCondition("i1", "email", Has: true),
            new SegmentCondition("s1", 42, IsIn: false),
        ]),
    ]));

    [Fact]
    public void Serialize_SmallRule_WritesTheVersionedTaggedFormat()
    {
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf,
        [
            new AttributeCondition("c1", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" }),
            new SegmentCondition("s1", 7, IsIn: true),
        ]));

        var json = SegmentRuleJson.Serialize(rule);

        Assert.Equal(
            """{"format":1,"root":{"type":"group","kind":"allOf","children":[{"type":"attribute","path":"country","test":{"type":"text","operator":"equals","text":"France"},"id":"c1"},{"type":"segment","segmentId":7,"isIn":true,"id":"s1"}],"id":"root"}}""",
            json);
    }

    [Fact]
    public void Parse_SerializedRuleOfEveryKind_RoundTripsToTheSameText()
    {
        var json = SegmentRuleJson.Serialize(EveryKind());

        var again = SegmentRuleJson.Serialize(SegmentRuleJson.Parse(json));

        Assert.Equal(json, again);
        var parsed = SegmentRuleJson.Parse(json);
        var e1 = Assert.IsType<EventCondition>(((GroupNode)((GroupNode)parsed.Root).Children[5]).Children[0]);
        Assert.Equal(30, e1.Window!.Amount);
        Assert.Equal(DateTimeKind.Utc, ((AttributeCondition)((GroupNode)parsed.Root).Children[4]).Test.Date!.Value.Kind);
    }

    [Fact]
    public void Parse_PropertiesInAnyOrder_ReadsTheType()
    {
        var rule = SegmentRuleJson.Parse("""{"root":{"id":"r","kind":"anyOf","children":[{"id":"x","namespace":"email","has":false,"type":"identity"}],"type":"group"},"format":1}""");

        var identity = Assert.IsType<IdentityCondition>(Assert.IsType<GroupNode>(rule.Root).Children[0]);
        Assert.False(identity.Has);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("""{"root":{"type":"identity","id":"a","namespace":"email","has":true}}""", "no \"format\"")]
    [InlineData("""{"format":2,"root":{"type":"identity","id":"a","namespace":"email","has":true}}""", "format 2 is not known")]
    [InlineData("""{"format":1,"root":{"type":"planet","id":"a"}}""", "not valid")]
    [InlineData("""{"format":1,"root":{"type":"identity","id":"a","namespace":"email","has":true,"colour":"red"}}""", "colour")]
    [InlineData("""{"format":1,"root":{"type":"group","id":"a","kind":1,"children":[]}}""", "not valid")]
    [InlineData("""{"format":1,"root":{"type":"group","id":"a","kind":"sometimes","children":[]}}""", "not valid")]
    [InlineData("""{"format":1,"root":{"type":"identity","namespace":"email","has":true}}""", "id")]
    [InlineData("""{"format":1,"root":{"type":"identity","id":null,"namespace":"email","has":true}}""", "not valid")]
    [InlineData("""{"format":1}""", "not valid")]
    [InlineData("""[1]""", "no \"format\"")]
    [InlineData("""{"format":1,"root":""", "not valid")]
    public void TryParse_BadRule_RefusesWithTheReason(string json, string reason)
    {
        Assert.False(SegmentRuleJson.TryParse(json, out var rule, out var error));
        Assert.Null(rule);
        Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
    }

    private static string WithNumbers(string test) =>
        $$"""{"format":1,"root":{"type":"group","id":"root","kind":"allOf","children":[{"type":"attribute","id":"c1","path":"ltv","test":{{test}}},"""
        + """{"type":"event","id":"e1","eventName":"Order Completed","performed":true,"aggregate":{"function":"sum","path":"amount","test":{"type":"number","operator":"greaterThan","number":5}}}]}}""";

    [Theory]
    [InlineData("""{"type":"number","operator":"greaterThan","number":1e-400}""",
        "Node \"c1\": \"1e-400\" is too close to 0 to hold: numbers here other than 0 are at least 4.9E-324 from it.")]
    [InlineData("""{"type":"number","operator":"equals","number":-0.1e-330}""",
        "Node \"c1\": \"-0.1e-330\" is too close to 0 to hold: numbers here other than 0 are at least 4.9E-324 from it.")]
    [InlineData("""{"type":"number","operator":"lessThan","number":1e400}""",
        "Node \"c1\": \"1e400\" is too large: numbers here go up to 1.7976931348623157E+308.")]
    [InlineData("""{"type":"number","operator":"between","number":1,"numberTo":-1E+309}""",
        "Node \"c1\": \"-1E+309\" is too large a negative number: numbers here go down to -1.7976931348623157E+308.")]
    public void TryParse_ANumberADoubleCannotHold_IsRefusedNamingItAndItsNode(string test, string reason)
    {
        // System.Text.Json read 1e-400 as 0 and 1e400 as infinity: the rule compared with a number nobody wrote.
        Assert.False(SegmentRuleJson.TryParse(WithNumbers(test), out var rule, out var error));
        Assert.Null(rule);
        Assert.Equal(reason, error);
    }

    [Fact]
    public void TryParse_ANumberADoubleCannotHold_InAnEventsAggregate_NamesTheEvent()
    {
        var json = WithNumbers("""{"type":"number","operator":"greaterThan","number":1}""").Replace("\"number\":5", "\"number\":5e-999", StringComparison.Ordinal);

        Assert.False(SegmentRuleJson.TryParse(json, out _, out var error));
        Assert.StartsWith("Node \"e1\": \"5e-999\" is too close to 0", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("0e-400", 0.0)]
    [InlineData("-0.0", 0.0)]
    [InlineData("4.9e-324", double.Epsilon)]
    [InlineData("1.7976931348623157e308", double.MaxValue)]
    public void TryParse_NumbersADoubleHolds_AreRead(string number, double expected)
    {
        var rule = SegmentRuleJson.Parse(WithNumbers($$"""{"type":"number","operator":"greaterThan","number":{{number}}}"""));

        Assert.Equal(expected, ((AttributeCondition)((GroupNode)rule.Root).Children[0]).Test.Number);
    }
}
