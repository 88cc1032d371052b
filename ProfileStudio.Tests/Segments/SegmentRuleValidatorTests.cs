using ProfileStudio.Core.Segments;

namespace ProfileStudio.Tests.Segments;

public sealed class SegmentRuleValidatorTests
{
    private static IReadOnlyList<SegmentRuleProblem> Validate(params SegmentNode[] children) =>
        SegmentRuleValidator.Validate(new SegmentRule(new GroupNode("root", GroupKind.AllOf, children)));

    private static void Refused(SegmentNode node, string nodeId, string message)
    {
        var problem = Assert.Single(Validate(node));
        Assert.Equal(nodeId, problem.NodeId);
        Assert.Contains(message, problem.Message);
    }

    [Fact]
    public void Validate_RuleOfEveryKind_HasNoProblem() => Assert.Empty(SegmentRuleValidator.Validate(SegmentRuleJsonTests.EveryKind()));

    [Fact]
    public void Validate_EmptyGroup_IsRefusedAtTheGroup() =>
        Refused(new GroupNode("g", GroupKind.AnyOf, []), "g", "The \"any of\" group is empty");

    [Fact]
    public void Validate_NoConditionAtAll_SaysToAddOne()
    {
        var problem = Assert.Single(Validate());
        Assert.Equal(("root", "Add a condition to say who is in the segment."), (problem.NodeId, problem.Message));
    }

    [Fact]
    public void Validate_OperatorOfAnotherType_IsRefused() =>
        Refused(new AttributeCondition("c", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.Contains) { Text = "5" }), "c",
            "The operator \"contains\" does not apply to a number value");

    [Fact]
    public void Validate_MissingValue_IsRefused() =>
        Refused(new AttributeCondition("c", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals)), "c", "\"is\" needs a text value");

    [Fact]
    public void Validate_MissingValues_NameTheOperatorsAsTheBuilderShowsThem()
    {
        var problems = Validate(
            new AttributeCondition("ltv", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = 1 }),
            new EventCondition("e", "Order Completed", true)
            {
                Aggregate = new EventAggregate(AggregateFunction.Avg, "amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual)),
            });

        Assert.Equal(["\"between\" needs two numbers (low and high).", "average of amount: \"≥\" needs a number."], problems.Select(p => p.Message));
    }

    [Fact]
    public void Validate_MissingNumbers_SayWhichTestOfTheConditionTheyAreAbout()
    {
        // The builder leaves out a test's "needs a number" while that test's box holds unreadable text: it needs to know which test.
        var problems = Validate(
            new AttributeCondition("ltv", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.LessThan)),
            new EventCondition("e", "Order Completed", true)
            {
                Properties =
                [
                    new PropertyTest("coupon", new ValueTest(ValueTestType.Text, ValueOperator.Exists)),
                    new PropertyTest("amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterThan)),
                ],
                Aggregate = new EventAggregate(AggregateFunction.Sum, "amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual)),
            });

        Assert.Equal([("ltv", TestPart.Attribute), ("e", TestPart.Property(1)), ("e", TestPart.Aggregate)],
            problems.Where(p => p.NumberMissing).Select(p => (p.NodeId, p.Part)));
    }

    /// <summary>
    /// An infinite number said "needs a number" of a number that was there, too large. (JSON no longer reads 1e309 as infinity: it
    /// refuses it by its text, SegmentRuleJsonTests; a rule built in code can still hold one.)
    /// </summary>
    [Fact]
    public void Validate_InfiniteNumbers_AreTooLargeWithTheBound_NotMissing()
    {
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf,
        [
            new AttributeCondition("a", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.GreaterThan) { Number = double.PositiveInfinity }),
            new AttributeCondition("b", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = double.NegativeInfinity, NumberTo = 5 }),
        ]));

        Assert.Equal(
            [
                ("a", "The number is too large: numbers here go up to 1.7976931348623157E+308."),
                ("b", "The low number is too large a negative number: numbers here go down to -1.7976931348623157E+308."),
            ],
            SegmentRuleValidator.Validate(rule).Select(p => (p.NodeId, p.Message)));
    }

    [Fact]
    public void Validate_EmptyContains_IsRefused() =>
        Refused(new AttributeCondition("c", "country", new ValueTest(ValueTestType.Text, ValueOperator.Contains) { Text = "" }), "c", "needs a non-empty text value");

    [Fact]
    public void Validate_BetweenLowAboveHigh_IsRefused()
    {
        Refused(new AttributeCondition("c", "ltv", new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = 10, NumberTo = 5 }), "c",
            "Between 10 and 5: the low value is above the high value");
        Refused(new AttributeCondition("d", "signup", new ValueTest(ValueTestType.Date, ValueOperator.Between)
        {
            Date = new DateTime(2026, 3, 2, 0, 0, 0, DateTimeKind.Utc), DateTo = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc),
        }), "d", "the first date is after the second");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(36_501)]
    public void Validate_DaysOutOfRange_IsRefused(int days) =>
        Refused(new AttributeCondition("c", "signup", new ValueTest(ValueTestType.Date, ValueOperator.WithinLastDays) { Days = days }), "c",
            $"The number of days must be between 1 and 36,500 (it is {days})");

    [Fact]
    public void Validate_EventProblems_AreEachReportedAtTheEvent()
    {
        var problems = Validate(new EventCondition("e", "", true)
        {
            Count = new EventCount(CountOperator.AtLeast, 0),
            Window = new EventWindow(WindowKind.LastHours) { Amount = -1 },
            Properties = [new PropertyTest("bad..path", new ValueTest(ValueTestType.Text, ValueOperator.Exists))],
            Aggregate = new EventAggregate(AggregateFunction.Sum, "amount", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "x" }),
        });

        Assert.All(problems, p => Assert.Equal("e", p.NodeId));
        Assert.Collection(problems.Select(p => p.Message),
            m => Assert.Equal("Choose an event.", m),
            m => Assert.Contains("not a dotted list of names", m),
            m => Assert.Equal("\"At least 0 times\" always holds: use 1 or more.", m),
            m => Assert.Contains("The number of hours in the window must be between 1 and", m),
            m => Assert.Equal("An aggregate is compared as a number (=, ≠, <, ≤, >, ≥ or between).", m));
    }

    [Fact]
    public void Validate_DuplicateIdsAndTooDeep_AreRefused()
    {
        SegmentNode node = new IdentityCondition("leaf", "email", true);
        for (var i = 0; i < SegmentRuleValidator.MaxDepth + 1; i++)
        {
            node = new GroupNode($"g{i}", GroupKind.AllOf, [node]);
        }
        Assert.Contains(SegmentRuleValidator.Validate(new SegmentRule(node)), p => p.Message.Contains("nested more than 20 deep"));

        var duplicate = Validate(new IdentityCondition("x", "email", true), new IdentityCondition("x", "phone", true));
        Assert.Equal("The node id \"x\" is used twice; every node needs its own.", Assert.Single(duplicate).Message);
    }

    private static SegmentRule RefersTo(params long[] ids) =>
        new(new GroupNode("r", GroupKind.AllOf, ids.Select(id => (SegmentNode)new SegmentCondition($"s{id}", id, IsIn: true)).ToList()));

    [Fact]
    public void Cycles_ThreeSegments_NamesThePath()
    {
        var others = new Dictionary<long, SegmentRule> { [2] = RefersTo(3), [3] = RefersTo(1), [4] = RefersTo(2) };

        var problem = SegmentCycles.Check(1, RefersTo(4, 2), others, id => id == 1 ? "Buyers" : null);

        Assert.NotNull(problem);
        Assert.Equal("s2", problem.NodeId);
        Assert.Equal("This reference makes a cycle of segments: Buyers (#1) → #2 → #3 → Buyers (#1). Remove one of the references.", problem.Message);
    }

    [Fact]
    public void Cycles_SelfReference_IsRefused()
    {
        var problem = SegmentCycles.Check(5, RefersTo(5), new Dictionary<long, SegmentRule>());

        Assert.Equal("A segment cannot refer to itself: #5 → #5.", problem!.Message);
    }

    [Fact]
    public void Cycles_ChainWithoutLoop_IsAccepted()
    {
        var others = new Dictionary<long, SegmentRule> { [2] = RefersTo(3), [3] = RefersTo(), [4] = RefersTo(2, 3) };

        Assert.Null(SegmentCycles.Check(1, RefersTo(2, 4), others));
        Assert.Null(SegmentCycles.Find(new Dictionary<long, SegmentRule>(others) { [1] = RefersTo(2, 4) }));
    }

    [Fact]
    public void Cycles_FindOverTheSet_ReturnsTheLoop()
    {
        var rules = new Dictionary<long, SegmentRule> { [1] = RefersTo(2), [2] = RefersTo(3), [3] = RefersTo(2) };

        Assert.Equal([2L, 3L, 2L], SegmentCycles.Find(rules));
    }

    [Fact]
    public void Warnings_ConditionsOnADraftAndADisabledSegment_SayNobodyIsInThem_AndWhatTheConditionMatches()
    {
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf,
        [
            new SegmentCondition("in-draft", 1, true),
            new SegmentCondition("not-in-disabled", 2, false),
            new SegmentCondition("in-active", 3, true),
            new SegmentCondition("in-unknown", 4, true),
        ]));
        var segments = new Dictionary<long, (string, SegmentStatus)>
        {
            [1] = ("Big spenders", SegmentStatus.Draft), [2] = ("Lapsed", SegmentStatus.Disabled), [3] = ("Buyers", SegmentStatus.Active),
        };

        var warnings = SegmentRuleValidator.Warnings(rule, id => segments.TryGetValue(id, out var s) ? s : null);

        Assert.Equal(
        [
            new SegmentRuleProblem("in-draft", "\"Big spenders\" is a draft: nobody is in it until it is activated, so this condition matches nobody."),
            new SegmentRuleProblem("not-in-disabled", "\"Lapsed\" is disabled: nobody is in it until it is activated again, so this condition matches everybody."),
        ], warnings);
        Assert.Empty(SegmentRuleValidator.Validate(rule)); // a warning, not a problem: a draft may refer to a draft
    }
}
