using ProfileStudio.Core.Segments;

namespace ProfileStudio.Tests.Segments;

public sealed class SegmentSentenceTests
{
    private static readonly AttributeCondition France = new("c", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" });

    private static readonly EventCondition Orders = new("e", "Order Completed", true)
    {
        Count = new EventCount(CountOperator.AtLeast, 2),
        Window = new EventWindow(WindowKind.LastDays) { Amount = 30 },
    };

    [Theory]
    [InlineData("email", "an")]
    [InlineData("anonymous_id", "an")]
    [InlineData("user_id", "a")]
    [InlineData("unique_id", "a")]
    [InlineData("unknown_id", "an")]
    [InlineData("phone", "a")]
    [InlineData("one_id", "a")]
    [InlineData("", "a")]
    public void Article_IsTheOneTheWordIsSaidWith(string word, string article) => Assert.Equal(article, SegmentSentence.Article(word));

    [Fact]
    public void Describe_ANewSegmentWithoutConditions_SaysWhatToDoNext() =>
        Assert.Equal("No condition yet: add one to say who is in the segment.",
            SegmentSentence.Describe(new SegmentRule(new GroupNode("root", GroupKind.AllOf, []))));

    [Fact]
    public void Describe_AttributeAndEvent_ReadsAsOneSentence() =>
        Assert.Equal("People whose country is France and who performed Order Completed at least twice in the last 30 days",
            SegmentSentence.Describe(new SegmentRule(new GroupNode("r", GroupKind.AllOf, [France, Orders]))));

    [Fact]
    public void Describe_NestedAnyOf_IsParenthesisedWithEitherOr()
    {
        var rule = new SegmentRule(new GroupNode("r", GroupKind.AllOf,
        [
            France,
            new GroupNode("g", GroupKind.AnyOf,
            [
                Orders,
                new AttributeCondition("p", "plan", new ValueTest(ValueTestType.Text, ValueOperator.InList) { Texts = ["pro", "team", "enterprise"] }),
            ]),
        ]));

        Assert.Equal(
            "People whose country is France and (either who performed Order Completed at least twice in the last 30 days or whose plan is one of pro, team or enterprise)",
            SegmentSentence.Describe(rule));
    }

    [Fact]
    public void Describe_NoneOf_ListsWhatMustNotHold()
    {
        var rule = new SegmentRule(new GroupNode("r", GroupKind.AllOf,
        [
            new EventCondition("a", "Added to Cart", true) { Window = new EventWindow(WindowKind.LastDays) { Amount = 7 } },
            new GroupNode("n", GroupKind.NoneOf,
            [
                new EventCondition("o", "Order Completed", true) { Window = new EventWindow(WindowKind.LastDays) { Amount = 7 } },
                new SegmentCondition("s", 4, IsIn: true),
            ]),
        ]));

        Assert.Equal(
            "People who performed Added to Cart in the last 7 days and who match none of (who performed Order Completed in the last 7 days; who are in segment Staff)",
            SegmentSentence.Describe(rule, id => id == 4 ? "Staff" : null));
    }

    [Fact]
    public void Describe_RootAnyOf_UsesEitherOrWithoutParentheses() =>
        Assert.Equal("People who either have no email identifier or are not in segment #9",
            SegmentSentence.Describe(new SegmentRule(new GroupNode("r", GroupKind.AnyOf,
                [new IdentityCondition("i", "email", Has: false), new SegmentCondition("s", 9, IsIn: false)]))));

    [Fact]
    public void Describe_RootAnyOfOfEvents_SaysWhoOnceBeforeEither() =>
        Assert.Equal("People who either performed Order Completed in the last 30 days or performed In-Store Purchase in the last 30 days",
            SegmentSentence.Describe(new SegmentRule(new GroupNode("r", GroupKind.AnyOf,
            [
                new EventCondition("o", "Order Completed", true) { Window = new EventWindow(WindowKind.LastDays) { Amount = 30 } },
                new EventCondition("s", "In-Store Purchase", true) { Window = new EventWindow(WindowKind.LastDays) { Amount = 30 } },
            ]))));

    [Fact]
    public void Describe_SegmentNotChosenYet_SaysSoInsteadOfAnId() =>
        Assert.Equal("People who are in a segment not chosen yet",
            SegmentSentence.Describe(new SegmentRule(new GroupNode("r", GroupKind.AllOf, [new SegmentCondition("s", 0, IsIn: true)])), _ => null));

    [Theory]
    [MemberData(nameof(Tests))]
    public void Test_EachOperator_ReadsNaturally(ValueTest test, string expected) => Assert.Equal(expected, SegmentSentence.Test(test));

    public static TheoryData<ValueTest, string> Tests => new()
    {
        { new ValueTest(ValueTestType.Text, ValueOperator.NotEquals) { Text = "France" }, "is set and is not France" },
        { new ValueTest(ValueTestType.Text, ValueOperator.Contains) { Text = "gmail" }, "contains \"gmail\"" },
        { new ValueTest(ValueTestType.Text, ValueOperator.NotExists), "is not set" },
        { new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 500 }, "is at least 500" },
        { new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = 1.5, NumberTo = 10 }, "is between 1.5 and 10" },
        { new ValueTest(ValueTestType.Boolean, ValueOperator.IsFalse), "is false" },
        { new ValueTest(ValueTestType.Date, ValueOperator.Before) { Date = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc) }, "is before 1 Mar 2026" },
        { new ValueTest(ValueTestType.Date, ValueOperator.After) { Date = new DateTime(2026, 3, 1, 9, 30, 0, DateTimeKind.Utc) }, "is after 1 Mar 2026, 09:30 UTC" },
        { new ValueTest(ValueTestType.Date, ValueOperator.WithinLastDays) { Days = 30 }, "is within the last 30 days" },
        { new ValueTest(ValueTestType.Date, ValueOperator.WithinNextDays) { Days = 1 }, "is within the next day" },
        { new ValueTest(ValueTestType.Date, ValueOperator.MoreThanDaysAgo) { Days = 90 }, "is more than 90 days ago" },
    };

    [Fact]
    public void Condition_EventWithPropertiesAndAggregate_ReadsInFull() =>
        Assert.Equal("who performed Order Completed (currency is EUR) exactly once in the last 24 hours, with a total amount that is at least 100",
            SegmentSentence.Condition(new EventCondition("e", "Order Completed", true)
            {
                Properties = [new PropertyTest("currency", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "EUR" })],
                Count = new EventCount(CountOperator.Exactly, 1),
                Window = new EventWindow(WindowKind.LastHours) { Amount = 24 },
                Aggregate = new EventAggregate(AggregateFunction.Sum, "amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 100 }),
            }));
}
