using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.ComputedAttributes;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>The state arithmetic: merging states gives what one state of all the events gives, windows cut at bucket boundaries, bounds hold.</summary>
public sealed class ComputedAggregatorTests
{
    private static readonly DateTime Noon = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);

    private static ComputedAggregator Aggregator(ComputedFunction function, string? path = "v", LookbackWindow? window = null, int limit = 1000) =>
        new(new ComputedAttributeSpec(1, 1, "x", function, ["E"], path, [], window ?? LookbackWindow.AllTime), limit);

    private static void Add(ComputedAggregator a, AggregateState s, DateTime at, long id, string json)
    {
        using var d = JsonDocument.Parse(json);
        a.Add(s, at, id, d.RootElement);
    }

    [Theory]
    [InlineData(ComputedFunction.Count, "3")]
    [InlineData(ComputedFunction.Sum, "13.5")]
    [InlineData(ComputedFunction.Avg, "4.5")]
    [InlineData(ComputedFunction.Min, "1.5")]
    [InlineData(ComputedFunction.Max, "10")]
    [InlineData(ComputedFunction.First, "10")]
    [InlineData(ComputedFunction.Last, "2")]
    public void Merge_TwoStates_EqualsOneStateOfAllTheEvents(ComputedFunction function, string expected)
    {
        var a = Aggregator(function, function == ComputedFunction.Count ? null : "v");
        var (left, right, whole) = (new AggregateState(), new AggregateState(), new AggregateState());
        Add(a, left, Noon.AddHours(-3), 1, """{"v":10}""");
        Add(a, right, Noon.AddHours(-2), 2, """{"v":1.5}""");
        Add(a, left, Noon.AddHours(-1), 3, """{"v":2}""");
        foreach (var (at, id, json) in new[] { (Noon.AddHours(-3), 1L, """{"v":10}"""), (Noon.AddHours(-2), 2L, """{"v":1.5}"""), (Noon.AddHours(-1), 3L, """{"v":2}""") })
        {
            Add(a, whole, at, id, json);
        }

        a.Merge(left, AggregateState.FromJson(right.ToJson())); // through its stored form, as a merge reads it

        Assert.Equal(expected, a.Value(left, Noon));
        Assert.Equal(a.Value(whole, Noon), a.Value(left, Noon));
    }

    /// <summary>
    /// Long states (more than a few daily buckets each, so merged in one pass and pruned in one copy): merging the states of two
    /// halves of the events, in any order of arrival, stores what one state of all the events stores, and pruning keeps exactly
    /// the buckets inside the window.
    /// </summary>
    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property LongStates_MergedAndPruned_EqualOneStateOfTheEventsInside()
    {
        var events = Gen.ListOf(
            from day in Gen.Choose(0, 60)
            from value in Gen.Elements("1", "2.5", "\"a\"", "\"b\"", "-4", "1.0", "1e0", "9", "10", "2.50")
            from left in ArbMap.Default.GeneratorFor<bool>()
            select (Day: day, Value: value, Left: left));
        return Prop.ForAll(events.ToArbitrary(), Gen.Choose(0, 70).ToArbitrary(), (list, keepDays) =>
        {
            foreach (var function in new[] { ComputedFunction.Sum, ComputedFunction.Max, ComputedFunction.CountDistinct, ComputedFunction.Last })
            {
                var a = Aggregator(function, window: LookbackWindow.Days(keepDays + 1), limit: 3);
                var (left, right, whole, inside) = (new AggregateState(), new AggregateState(), new AggregateState(), new AggregateState());
                for (var i = 0; i < list.Count; i++)
                {
                    var (day, value, isLeft) = list[i];
                    var at = Noon.AddDays(-day);
                    var json = $$"""{"v":{{value}}}""";
                    Add(a, isLeft ? left : right, at, i, json);
                    Add(a, whole, at, i, json);
                    if (ComputedWindows.Includes(a.Spec.Window, at, Noon))
                    {
                        Add(a, inside, at, i, json);
                    }
                }
                a.Merge(left, AggregateState.FromJson(right.ToJson()));
                Assert.Equal(Canonical(whole), Canonical(left));
                a.Prune(left, Noon);
                Assert.Equal(Canonical(inside), Canonical(left));
                Assert.Equal(a.Value(inside, Noon), a.Value(left, Noon));
            }
        });
    }

    /// <summary>
    /// A state's contents, distinct values in order (their dictionary's order is the order they came in, which a merge changes),
    /// extremes by value (of 1 and 1.0, the one a bucket keeps as its maximum is whichever came first: the same number).
    /// </summary>
    private static string Canonical(AggregateState state) => string.Join(" | ", state.Buckets.Select(p =>
        $"{p.Key}: n={p.Value.Count} k={p.Value.Numbers} s={p.Value.Sum} lo={Number(p.Value.Min)} hi={Number(p.Value.Max)} o={p.Value.Overflow} " +
        $"f={p.Value.First} l={p.Value.Last} v={string.Join(",", (p.Value.Values ?? []).OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}:{v.Value}"))}"));

    private static string? Number(decimal? value) => value is { } n ? EventProperties.Number(n) : null;

    [Fact]
    public void Value_MostFrequent_TiesGoToTheSmallerValue()
    {
        var a = Aggregator(ComputedFunction.MostFrequent);
        var s = new AggregateState();
        Add(a, s, Noon, 1, """{"v":"boots"}""");
        Add(a, s, Noon, 2, """{"v":"apples"}""");

        Assert.Equal("\"apples\"", a.Value(s, Noon));
    }

    [Fact]
    public void Value_MostFrequent_ATieBetweenNumbersGoesToTheSmallerNumber_NotTheFirstText()
    {
        var a = Aggregator(ComputedFunction.MostFrequent);
        var s = new AggregateState();
        Add(a, s, Noon, 1, """{"v":10}""");
        Add(a, s, Noon, 2, """{"v":9}""");
        Add(a, s, Noon, 3, """{"v":"apples"}""");

        Assert.Equal("9", a.Value(s, Noon)); // as text "10" came first
    }

    [Fact]
    public void Value_MostFrequent_EqualNumbersInDifferentTextsCountAsOneValue()
    {
        var a = Aggregator(ComputedFunction.MostFrequent);
        var s = new AggregateState();
        foreach (var (json, i) in new[] { "10", "10", "1", "1.0", "1.00" }.Select((v, i) => (v, i)))
        {
            Add(a, s, Noon, i, $$"""{"v":{{json}}}""");
        }

        Assert.Equal("1", a.Value(s, Noon)); // three events of 1 against two of 10
    }

    [Fact]
    public void Value_DistinctAndCountDistinct_NumbersInOrderOfValue_EqualNumbersOnce_ThenText()
    {
        var values = new[] { "1.00", "10", "9", "\"b\"", "1", "1.0", "1e0", "0.10E2", "-2.50", "-2.5", "1e40", "1E+40", "\"a\"", "true", "false" };
        var distinct = Aggregator(ComputedFunction.Distinct);
        var count = Aggregator(ComputedFunction.CountDistinct);
        var (s, t) = (new AggregateState(), new AggregateState());
        for (var i = 0; i < values.Length; i++)
        {
            Add(distinct, s, Noon, i, $$"""{"v":{{values[i]}}}""");
            Add(count, t, Noon, i, $$"""{"v":{{values[i]}}}""");
        }

        Assert.Equal("""[-2.5,1,9,10,1E+40,"a","b",false,true]""", distinct.Value(s, Noon));
        Assert.Equal("9", count.Value(t, Noon));
    }

    [Fact]
    public void Value_FirstAndLast_ANumberInItsCanonicalText()
    {
        var first = Aggregator(ComputedFunction.First);
        var s = new AggregateState();
        Add(first, s, Noon, 1, """{"v":10.50}""");

        Assert.Equal("10.5", first.Value(s, Noon));
    }

    [Fact]
    public void DistinctBound_PastTheLimit_KeepsTheSmallestHashesAndEstimates()
    {
        var a = Aggregator(ComputedFunction.CountDistinct, limit: 50);
        var s = new AggregateState();
        for (var i = 0; i < 2000; i++)
        {
            Add(a, s, Noon, i, $$"""{"v":"value-{{i}}"}""");
        }

        Assert.Equal(50, s.Buckets.Single().Value.Values!.Count);
        var estimate = long.Parse(a.Value(s, Noon)!);
        Assert.InRange(estimate, 1400, 2800); // k-minimum-values with k = 50: about ±15%
    }

    [Fact]
    public void Window_ThirtyDays_TodayAndThe29DaysBefore_WholeDays()
    {
        var window = LookbackWindow.Days(30);

        Assert.True(ComputedWindows.Includes(window, Noon.Date.AddDays(-29), Noon));
        Assert.False(ComputedWindows.Includes(window, Noon.Date.AddDays(-29).AddTicks(-1), Noon));
        Assert.Equal(Noon.Date.AddDays(1), ComputedWindows.Expiry(window, ComputedWindows.Bucket(window, Noon.Date.AddDays(-29))));
    }

    [Fact]
    public void Window_Months_ExpiryIsTheFirstMomentTheBucketIsOut_EvenAtMonthEnds()
    {
        var window = LookbackWindow.Months(1);
        var bucket = ComputedWindows.Bucket(window, new DateTime(2026, 1, 31, 8, 0, 0, DateTimeKind.Utc));

        var expiry = ComputedWindows.Expiry(window, bucket)!.Value;

        Assert.True(ComputedWindows.Cut(window, expiry) >= bucket);
        Assert.True(ComputedWindows.Cut(window, expiry.AddTicks(-1)) < bucket);
    }

    [Fact]
    public void Prune_BucketsOutOfTheWindow_GoAndTheValueDrops()
    {
        var a = Aggregator(ComputedFunction.Count, null, LookbackWindow.Hours(2));
        var s = new AggregateState();
        Add(a, s, Noon.AddHours(-1), 1, "{}");
        Add(a, s, Noon, 2, "{}");

        Assert.Equal("2", a.Value(s, Noon));
        Assert.Equal(Noon.AddHours(1), a.NextExpiry(s));
        a.Prune(s, Noon.AddHours(1));
        Assert.Equal("1", a.Value(s, Noon.AddHours(1)));
        Assert.Single(s.Buckets);
    }

    [Fact]
    public void Sum_NumbersOnly_TextAndHugeNumbersPassedOver()
    {
        var a = Aggregator(ComputedFunction.Sum);
        var s = new AggregateState();
        Add(a, s, Noon, 1, """{"v":"12"}""");
        Add(a, s, Noon, 2, """{"v":1e40}""");
        Add(a, s, Noon, 3, """{"v":10.50}""");
        Add(a, s, Noon, 4, """{"v":0.5}""");

        Assert.Equal("11", a.Value(s, Noon));
    }
}
