using System.Text;
using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Tests.MergePolicies;

/// <summary>
/// Properties of the evaluator over random profiles and policies: few sources, keys that nest, removals,
/// and event times and message ids drawn from small ranges so ties are common.
/// </summary>
public sealed class MergePolicyEvaluatorPropertyTests
{
    private static readonly DateTime Base = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Keys = ["email", "name", "address", "address.city", "address.zip", "address.geo", "address.geo.lat", "tier"];
    private static readonly string?[] JsonValues = [null, "null", "\"a\"", "\"b\"", "1", "2.5", "true", "{}", "[1,2]"];
    private static readonly string[] OverrideKeys = ["email", "address", "address.geo", "tier"];

    public sealed record Case(IReadOnlyList<ProfileAttribute> Fragments, MergePolicy Policy, IReadOnlyList<ProfileAttribute> Shuffled)
    {
        public override string ToString() =>
            $"policy {Policy.AttributeMerge} [{string.Join(",", Policy.SourcePrecedence)}] " +
            string.Join(" ", Policy.Overrides.Select(o => $"{o.Key}:{o.Merge}[{string.Join(",", o.SourcePrecedence)}]")) + ", fragments: " +
            string.Join(", ", Fragments.Select(f => $"(s{f.SourceId} {f.Key}={f.ValueJson ?? "∅"} t{(f.EventAt - Base).TotalMinutes} m{f.MessageId})"));
    }

    private static Gen<ProfileAttribute> FragmentGen =>
        from source in Gen.Choose(1, 4)
        from key in Gen.Elements(Keys)
        from value in Gen.Elements(JsonValues)
        from minute in Gen.Choose(0, 3)
        from message in Gen.Choose(1, 5)
        select new ProfileAttribute { ProfileId = 1, SourceId = source, Key = key, ValueJson = value, EventAt = Base.AddMinutes(minute), MessageId = message };

    private static Gen<List<int>> SourceOrderGen =>
        from order in Gen.Shuffle(new[] { 1, 2, 3, 4 })
        from count in Gen.Choose(0, 4)
        select order.Take(count).ToList();

    private static Gen<AttributeOverride> OverrideGen =>
        from key in Gen.Elements(OverrideKeys)
        from merge in Gen.Elements(AttributeMergeRule.Timestamp, AttributeMergeRule.SourcePrecedence)
        from order in SourceOrderGen
        select new AttributeOverride { Key = key, Merge = merge, SourcePrecedence = merge == AttributeMergeRule.SourcePrecedence ? order : [] };

    private static Gen<MergePolicy> PolicyGen =>
        from merge in Gen.Elements(AttributeMergeRule.Timestamp, AttributeMergeRule.SourcePrecedence)
        from order in SourceOrderGen
        from count in Gen.Choose(0, 2)
        from overrides in OverrideGen.ListOf(count)
        select new MergePolicy
        {
            Name = "P",
            AttributeMerge = merge,
            SourcePrecedence = merge == AttributeMergeRule.SourcePrecedence ? order : [],
            // The store refuses two overrides for one key; the evaluator keeps the first.
            Overrides = overrides.DistinctBy(o => o.Key).ToList(),
        };

    private static Arbitrary<Case> Cases =>
        (from fragments in FragmentGen.ListOf().Where(l => l.Count <= 25)
         from policy in PolicyGen
         from shuffled in Gen.Shuffle(fragments.ToArray())
         select new Case(fragments.ToList(), policy, shuffled.ToList())).ToArbitrary();

    /// <summary>The rule the policy gives a key, worked out here independently of the evaluator.</summary>
    private static (AttributeMergeRule Merge, IReadOnlyList<int> Order) RuleOf(MergePolicy policy, string key) =>
        policy.Overrides.Where(o => key == o.Key || key.StartsWith(o.Key + ".", StringComparison.Ordinal)).MaxBy(o => o.Key.Length) is { } o
            ? (o.Merge, o.SourcePrecedence)
            : (policy.AttributeMerge, policy.SourcePrecedence);

    private static bool IsAtOrAbove(string above, string key) => key == above || key.StartsWith(above + ".", StringComparison.Ordinal);

    private static string Canonical(UnifiedView view)
    {
        var text = new StringBuilder();
        foreach (var a in view.Attributes)
        {
            text.AppendLine($"{a.Key} {a.Outcome} {a.Winner} {a.Value?.GetRawText()} {a.Rule} {a.Explanation}");
            foreach (var l in a.Losers)
            {
                text.AppendLine($"  {l.Fragment} {l.Reason} {l.Explanation}");
            }
        }
        return text.Append(view.ToJson().ToJsonString()).ToString();
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Evaluate_ShuffledInput_GivesTheSameResult() => Prop.ForAll(Cases, c =>
    {
        var once = MergePolicyEvaluator.Evaluate(c.Fragments, c.Policy);
        var again = MergePolicyEvaluator.Evaluate(c.Shuffled, c.Policy);

        Assert.Equal(Canonical(once), Canonical(again));
    });

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Evaluate_AnyProfile_TheWinnerIsOneOfTheFragmentsAtOrAboveTheKey() => Prop.ForAll(Cases, c =>
    {
        var view = MergePolicyEvaluator.Evaluate(c.Fragments, c.Policy);

        foreach (var a in view.Attributes.Where(a => a.Winner is not null))
        {
            var w = a.Winner!;
            Assert.Contains(c.Fragments, f => f.SourceId == w.SourceId && f.Key == w.Key && f.EventAt == w.EventAt && f.MessageId == w.MessageId
                                              && (f.ValueJson == w.ValueJson || (w.ValueJson is null && f.ValueJson == "null")));
            Assert.True(IsAtOrAbove(w.Key, a.Key), $"{w.Key} won {a.Key}");
        }
    });

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Evaluate_SourcePrecedence_NeverPicksAnUnlistedSourceAndAlwaysTheBestListedOne() => Prop.ForAll(Cases, c =>
    {
        var view = MergePolicyEvaluator.Evaluate(c.Fragments, c.Policy);

        foreach (var a in view.Attributes)
        {
            var (merge, order) = RuleOf(c.Policy, a.Key);
            if (merge != AttributeMergeRule.SourcePrecedence)
            {
                continue;
            }
            var listed = c.Fragments.Where(f => IsAtOrAbove(f.Key, a.Key) && order.Contains(f.SourceId)).ToList();
            if (listed.Count == 0)
            {
                Assert.Equal(AttributeOutcome.Excluded, a.Outcome);
                continue;
            }
            Assert.Contains(a.Winner!.SourceId, order);
            Assert.Equal(listed.Min(f => order.ToList().IndexOf(f.SourceId)), order.ToList().IndexOf(a.Winner.SourceId));
        }
    });

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Evaluate_Timestamp_NoCandidateIsMoreRecentThanTheWinner() => Prop.ForAll(Cases, c =>
    {
        var view = MergePolicyEvaluator.Evaluate(c.Fragments, c.Policy);

        foreach (var a in view.Attributes.Where(a => RuleOf(c.Policy, a.Key).Merge == AttributeMergeRule.Timestamp))
        {
            var newest = c.Fragments.Where(f => IsAtOrAbove(f.Key, a.Key)).Max(f => (f.EventAt, f.MessageId, -f.SourceId));
            Assert.Equal(newest, (a.Winner!.EventAt, a.Winner.MessageId, -a.Winner.SourceId));
        }
    });

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Evaluate_AnyProfile_EveryFragmentIsAccountedForUnderItsOwnKey() => Prop.ForAll(Cases, c =>
    {
        var view = MergePolicyEvaluator.Evaluate(c.Fragments, c.Policy);

        Assert.Equal(c.Fragments.Select(f => f.Key).Distinct().Order(StringComparer.Ordinal), view.Attributes.Select(a => a.Key));
        foreach (var a in view.Attributes)
        {
            var mentioned = a.Losers.Select(l => l.Fragment).Concat(a.Winner is null ? [] : [a.Winner]).ToList();
            var expected = c.Fragments.Where(f => IsAtOrAbove(f.Key, a.Key))
                .Select(f => (f.SourceId, f.Key, f.EventAt, f.MessageId, Value: f.ValueJson == "null" ? null : f.ValueJson)).Distinct();
            Assert.Equal(expected.Order(), mentioned.Select(f => (f.SourceId, f.Key, f.EventAt, f.MessageId, Value: f.ValueJson)).Order());
        }
    });

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Evaluate_AnyProfile_ValuesAreWinnersThatAreNotRemovedAndTheJsonViewHoldsExactlyThem() => Prop.ForAll(Cases, c =>
    {
        var view = MergePolicyEvaluator.Evaluate(c.Fragments, c.Policy);

        foreach (var a in view.Attributes)
        {
            Assert.Equal(a.Outcome == AttributeOutcome.Value, view.Values.ContainsKey(a.Key));
            if (a.Winner is { IsRemoval: true })
            {
                Assert.False(view.Values.ContainsKey(a.Key), $"{a.Key} was removed but has a value");
            }
        }
        Assert.DoesNotContain(view.Values.Keys, k => view.Values.Keys.Any(other => other != k && IsAtOrAbove(other, k)));
        var flattened = ProfileStudio.Core.Unification.Stages.MessageReadStage.Flatten(view.ToJson()).ToDictionary(x => x.Key, x => x.Value!.ToJsonString());
        Assert.Equal(view.Values.ToDictionary(v => v.Key, v => v.Value.GetRawText()).OrderBy(x => x.Key, StringComparer.Ordinal),
            flattened.OrderBy(x => x.Key, StringComparer.Ordinal));
    });

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property Evaluate_NoStitching_OnlyTheIdentitysMessagesWin() => Prop.ForAll(Cases, Gen.Choose(1, 5).ListOf().ToArbitrary(), (c, carried) =>
    {
        c.Policy.Stitching = IdentityStitching.None;
        var scope = new IdentityScope("email:ada@example.com", carried.Select(m => (long)m).ToHashSet());

        var view = MergePolicyEvaluator.Evaluate(c.Fragments, c.Policy, identity: scope);

        Assert.All(view.Attributes.Where(a => a.Winner is not null), a => Assert.Contains(a.Winner!.MessageId, scope.MessageIds));
        Assert.All(view.Attributes.SelectMany(a => a.Losers).Where(l => !scope.MessageIds.Contains(l.Fragment.MessageId)),
            l => Assert.Equal(LossReason.OutsideIdentity, l.Reason));
    });
}
