using System.Text.Json;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Tests.Segments;

public sealed class SegmentDependenciesTests
{
    private static readonly DateTime Now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    private static SegmentProfileFacts Facts(IEnumerable<DateTime> orders, string? birthday = null) => new(1,
        birthday is null ? new Dictionary<string, JsonElement>() : new Dictionary<string, JsonElement> { ["renewal"] = JsonSerializer.SerializeToElement(birthday) },
        orders.Select(at => new SegmentEventFact("Order Completed", at, SegmentProfileFacts.Properties("{}"))).ToList(),
        new Dictionary<string, IReadOnlyList<string>>(),
        new HashSet<long>());

    private static readonly SegmentRule RecentBuyers = new(new EventCondition("e", "Order Completed", true)
    {
        Count = new EventCount(CountOperator.AtLeast, 2),
        Window = new EventWindow(WindowKind.LastDays) { Amount = 30 },
    });

    [Theory]
    [InlineData("9999-12-31", ValueOperator.MoreThanDaysAgo)] // "no end date" in CRM exports
    [InlineData("9999-12-31", ValueOperator.WithinLastDays)]
    [InlineData("0001-01-01T00:00:00", ValueOperator.WithinNextDays)] // .NET's empty date
    [InlineData("0001-01-01T00:00:00+01:00", ValueOperator.WithinLastDays)] // before the first instant a DateTime holds
    public void NextClockChange_DateAtTheEdgeOfTheCalendar_IsAnInstantNeverAThrow(string date, ValueOperator op)
    {
        var rule = new SegmentRule(new AttributeCondition("a", "renewal", new ValueTest(ValueTestType.Date, op) { Days = 30 }));
        Assert.Empty(SegmentRuleValidator.Validate(rule));

        var next = SegmentDependencies.NextClockChange(rule, Facts([], date), Now);
        var explained = SegmentEvaluator.Evaluate(rule, Facts([], date), Now);

        Assert.True(next is null || next > Now);
        Assert.Equal(SegmentEvaluator.Matches(rule, Facts([], date), Now), explained.Matches);
    }

    [Fact]
    public void Of_RuleOfEveryKind_ListsWhatItReads()
    {
        var dependencies = SegmentDependencies.Of(SegmentRuleJsonTests.EveryKind());

        Assert.Equal(["country", "ltv", "signup", "tier", "vip"], dependencies.AttributeKeys);
        Assert.Equal(["Cart Viewed", "Order Completed"], dependencies.EventNames);
        Assert.Equal(["email"], dependencies.IdentityNamespaces);
        Assert.Equal([42L], dependencies.SegmentIds);
        Assert.True(dependencies.IsTimeDependent); // "in the last 30 days"
    }

    [Fact]
    public void Of_AbsoluteDatesOnly_IsNotTimeDependent()
    {
        var rule = new SegmentRule(new GroupNode("r", GroupKind.AllOf,
        [
            new AttributeCondition("a", "signup", new ValueTest(ValueTestType.Date, ValueOperator.Before) { Date = Now }),
            new EventCondition("e", "Viewed", true) { Window = new EventWindow(WindowKind.Between) { From = Now.AddDays(-1), To = Now } },
        ]));

        Assert.False(SegmentDependencies.Of(rule).IsTimeDependent);
        Assert.True(SegmentDependencies.Of(new SegmentRule(new AttributeCondition("a", "signup", new ValueTest(ValueTestType.Date, ValueOperator.MoreThanDaysAgo) { Days = 3 }))).IsTimeDependent);
    }

    [Fact]
    public void NextClockChange_RecentBuyer_IsWhenTheOldestCountedOrderLeavesTheWindow()
    {
        var facts = Facts([Now.AddDays(-10), Now.AddDays(-3)]);

        var next = SegmentDependencies.NextClockChange(RecentBuyers, facts, Now);

        Assert.Equal(Now.AddDays(20).AddTicks(1), next);
        Assert.True(SegmentEvaluator.Matches(RecentBuyers, facts, next!.Value.AddTicks(-1)));
        Assert.False(SegmentEvaluator.Matches(RecentBuyers, facts, next.Value));
    }

    [Fact]
    public void NextClockChange_TooFewOrdersToBeARecentBuyer_IsNone_ForTheirLeavingCannotMakeTwo()
    {
        // One order: not a member, and not one as it leaves; before, its exit was stored as a check for everyone like this.
        var one = Facts([Now.AddDays(-3)]);
        Assert.Null(SegmentDependencies.NextClockChange(RecentBuyers, one, Now));

        // The same for "did not buy twice" (the rule negated): it holds now and keeps holding as the order leaves.
        var notRecent = new SegmentRule(new EventCondition("e", "Order Completed", false)
        {
            Count = new EventCount(CountOperator.AtLeast, 2),
            Window = new EventWindow(WindowKind.LastDays) { Amount = 30 },
        });
        Assert.Null(SegmentDependencies.NextClockChange(notRecent, one, Now));
        Assert.True(SegmentEvaluator.Matches(notRecent, one, Now.AddDays(40)));

        // "At most one order" does change as orders leave: its checks stay.
        var atMost = new SegmentRule(new EventCondition("e", "Order Completed", true)
        {
            Count = new EventCount(CountOperator.AtMost, 1),
            Window = new EventWindow(WindowKind.LastDays) { Amount = 30 },
        });
        var two = Facts([Now.AddDays(-10), Now.AddDays(-3)]);
        Assert.Equal(Now.AddDays(20).AddTicks(1), SegmentDependencies.NextClockChange(atMost, two, Now));
    }

    [Fact]
    public void NextClockChange_FutureEvent_IsWhenItEntersTheWindow()
    {
        var facts = Facts([Now.AddDays(-1), Now.AddHours(6)]);

        var next = SegmentDependencies.NextClockChange(RecentBuyers, facts, Now);

        Assert.Equal(Now.AddHours(6), next);
        Assert.False(SegmentEvaluator.Matches(RecentBuyers, facts, next!.Value.AddTicks(-1)));
        Assert.True(SegmentEvaluator.Matches(RecentBuyers, facts, next.Value));
    }

    [Fact]
    public void NextClockChange_RelativeDateAttribute_IsTheMillisecondItCrosses()
    {
        var rule = new SegmentRule(new AttributeCondition("a", "renewal", new ValueTest(ValueTestType.Date, ValueOperator.WithinNextDays) { Days = 7 }));
        var facts = Facts([], "2026-03-20T00:00:00Z");

        var next = SegmentDependencies.NextClockChange(rule, facts, Now);

        Assert.Equal(new DateTime(2026, 3, 13, 0, 0, 0, DateTimeKind.Utc), next);
        Assert.False(SegmentEvaluator.Matches(rule, facts, next!.Value.AddMilliseconds(-1)));
        Assert.True(SegmentEvaluator.Matches(rule, facts, next.Value));
        var after = SegmentDependencies.NextClockChange(rule, facts, next.Value);
        Assert.Equal(new DateTime(2026, 3, 20, 0, 0, 0, 1, DateTimeKind.Utc), after);
        Assert.False(SegmentEvaluator.Matches(rule, facts, after!.Value));
    }

    [Fact]
    public void NextClockChange_NoWindows_IsNull() =>
        Assert.Null(SegmentDependencies.NextClockChange(new SegmentRule(new EventCondition("e", "Order Completed", true)), Facts([Now.AddDays(-1)]), Now));
}
