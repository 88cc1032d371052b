using System.Text.Json;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Tests.Segments;

/// <summary>The builder's pure tree edits.</summary>
public sealed class SegmentRuleEditsTests
{
    private static readonly AttributeCondition A = new("a", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" });
    private static readonly EventCondition B = new("b", "Order Completed", true);
    private static readonly IdentityCondition C = new("c", "email", true);

    [Fact]
    public void Move_ClampsAtTheEnds_AndKeepsTheOthersInOrder()
    {
        var group = new GroupNode("g", GroupKind.AllOf, [A, B, C]);

        Assert.Equal(["b", "c", "a"], SegmentRuleEdits.Move(group, 0, 5).Children.Select(c => c.Id));
        Assert.Same(group, SegmentRuleEdits.Move(group, 0, -1));
        Assert.Equal(["a", "c", "b"], SegmentRuleEdits.Move(group, 2, -1).Children.Select(c => c.Id));
    }

    [Fact]
    public void DuplicateChild_PutsADeepCopyWithFreshIdsRightAfterIt()
    {
        var inner = new GroupNode("inner", GroupKind.AnyOf, [A, B]);
        var group = new GroupNode("g", GroupKind.AllOf, [inner, C]);

        var result = SegmentRuleEdits.DuplicateChild(group, 0);

        Assert.Equal(3, result.Children.Count);
        var copy = Assert.IsType<GroupNode>(result.Children[1]);
        Assert.Same(C, result.Children[2]);
        Assert.DoesNotContain(copy.Id, new[] { "g", "inner", "a", "b", "c" });
        Assert.DoesNotContain(copy.Children[0].Id, new[] { "a", "b" });
        Assert.Equal(A with { Id = copy.Children[0].Id }, copy.Children[0]);
        Assert.Empty(SegmentRuleValidator.Validate(new SegmentRule(result))); // no duplicate id among the nodes
    }

    [Fact]
    public void PickedDays_AreTheWholeDay_AsTheSentenceReads()
    {
        static JsonElement At(string text) => JsonSerializer.SerializeToElement(text);
        var now = new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        var picked = (From: new DateTime(2026, 3, 1), To: new DateTime(2026, 3, 31)); // the picker's kind-less days
        var between = SegmentRuleEdits.WithDateTo(SegmentRuleEdits.WithDate(new ValueTest(ValueTestType.Date, ValueOperator.Between), picked.From), picked.To);
        var after = SegmentRuleEdits.WithDate(new ValueTest(ValueTestType.Date, ValueOperator.After), picked.To);
        var before = SegmentRuleEdits.WithOperator(after, ValueOperator.Before);

        Assert.Equal("is between 1 Mar 2026 and 31 Mar 2026", SegmentSentence.Test(between));
        Assert.True(SegmentValues.Passes(between, At("2026-03-31T09:30:00Z"), now)); // the last day counts
        Assert.False(SegmentValues.Passes(between, At("2026-04-01T00:00:00Z"), now));
        Assert.Equal("is after 31 Mar 2026", SegmentSentence.Test(after));
        Assert.False(SegmentValues.Passes(after, At("2026-03-31T09:30:00Z"), now)); // after the day: from 1 April
        Assert.True(SegmentValues.Passes(after, At("2026-04-01T00:00:00Z"), now));
        Assert.Equal("is before 31 Mar 2026", SegmentSentence.Test(before));
        Assert.False(SegmentValues.Passes(before, At("2026-03-31T09:30:00Z"), now));
        Assert.True(SegmentValues.Passes(before, At("2026-03-30T23:59:59Z"), now));
        Assert.Empty(SegmentRuleValidator.Validate(new SegmentRule(new AttributeCondition("a", "signup", between))));
        Assert.Equal(new DateTime(9999, 12, 31, 23, 59, 59, 999, DateTimeKind.Utc), SegmentRuleEdits.WithDateTo(between, new DateTime(9999, 12, 31)).DateTo);
    }

    [Fact]
    public void WithOperator_KeepsOnlyTheValuesTheOperatorReads()
    {
        var equals = new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" };

        var inList = SegmentRuleEdits.WithOperator(equals, ValueOperator.InList);
        Assert.Null(inList.Text);
        Assert.Equal(["France"], inList.Texts);
        Assert.Equal(new ValueTest(ValueTestType.Text, ValueOperator.Exists), SegmentRuleEdits.WithOperator(inList, ValueOperator.Exists));

        var between = new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = 1, NumberTo = 5 };
        Assert.Equal(new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 1 }, SegmentRuleEdits.WithOperator(between, ValueOperator.GreaterOrEqual));
        Assert.Equal(30, SegmentRuleEdits.WithOperator(new ValueTest(ValueTestType.Date, ValueOperator.Before), ValueOperator.WithinLastDays).Days);
    }

    [Fact]
    public void WithType_ResetsValues_KeepingAnOperatorBothTypesHave()
    {
        var text = new ValueTest(ValueTestType.Text, ValueOperator.Exists);
        var equals = new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "12" };

        Assert.Equal(new ValueTest(ValueTestType.Number, ValueOperator.Exists), SegmentRuleEdits.WithType(text, ValueTestType.Number));
        Assert.Equal(new ValueTest(ValueTestType.Date, ValueOperator.Before), SegmentRuleEdits.WithType(equals, ValueTestType.Date));
        Assert.Same(equals, SegmentRuleEdits.WithType(equals, ValueTestType.Text));
    }
}
