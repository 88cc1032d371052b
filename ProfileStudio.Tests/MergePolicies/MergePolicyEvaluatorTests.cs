using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Tests.MergePolicies;

public sealed class MergePolicyEvaluatorTests
{
    private const int Crm = 1;
    private const int Web = 2;
    private const int Pos = 3;
    private static readonly DateTime At = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly Dictionary<int, string> Names = new() { [Crm] = "CRM", [Web] = "Website", [Pos] = "POS" };

    private static ProfileAttribute F(int source, string key, string? json, DateTime at, long message) =>
        new() { ProfileId = 7, SourceId = source, Key = key, ValueJson = json, EventAt = at, MessageId = message };

    private static MergePolicy Timestamp(params AttributeOverride[] overrides) =>
        new() { Name = "Most recent", Stitching = IdentityStitching.Graph, AttributeMerge = AttributeMergeRule.Timestamp, Overrides = [.. overrides] };

    private static MergePolicy Precedence(params int[] order) =>
        new() { Name = "CRM first", Stitching = IdentityStitching.Graph, AttributeMerge = AttributeMergeRule.SourcePrecedence, SourcePrecedence = [.. order] };

    private static UnifiedView Evaluate(MergePolicy policy, params ProfileAttribute[] fragments) =>
        MergePolicyEvaluator.Evaluate(fragments, policy, Names);

    [Fact]
    public void Evaluate_Timestamp_NewestValueWinsAndTheOlderOneSaysWhy()
    {
        var view = Evaluate(Timestamp(),
            F(Crm, "name", "\"Ada L.\"", At.AddDays(-2), 10),
            F(Web, "name", "\"Ada Lovelace\"", At, 20));

        var name = view.Lineage("name")!;
        Assert.Equal("Ada Lovelace", view.Values["name"].GetString());
        Assert.Equal((Web, At, 20L), (name.Winner!.SourceId, name.Winner.EventAt, name.Winner.MessageId));
        Assert.Equal("most recent event time wins", name.Rule);
        var loser = Assert.Single(name.Losers);
        Assert.Equal((Crm, LossReason.Older), (loser.Fragment.SourceId, loser.Reason));
        Assert.Equal("older than the winner (1 Mar 2026, 12:00:00 UTC)", loser.Explanation);
    }

    [Fact]
    public void Evaluate_TimestampTie_HigherMessageIdWins()
    {
        var view = Evaluate(Timestamp(),
            F(Crm, "tier", "\"gold\"", At, 31),
            F(Web, "tier", "\"silver\"", At, 30));

        var tier = view.Lineage("tier")!;
        Assert.Equal("gold", view.Values["tier"].GetString());
        var loser = Assert.Single(tier.Losers);
        Assert.Equal(LossReason.TieBreak, loser.Reason);
        Assert.Contains("the winner's message #31 is later than #30", loser.Explanation);
    }

    [Fact]
    public void Evaluate_TimestampTieInOneMessage_LowerSourceIdWins()
    {
        var view = Evaluate(Timestamp(),
            F(Web, "tier", "\"silver\"", At, 30),
            F(Crm, "tier", "\"gold\"", At, 30));

        Assert.Equal("gold", view.Values["tier"].GetString());
        Assert.Contains("CRM has the lower source id", view.Lineage("tier")!.Losers.Single().Explanation);
    }

    [Fact]
    public void Evaluate_SourcePrecedence_FirstListedSourceWinsEvenWhenOlder()
    {
        var view = Evaluate(Precedence(Crm, Web),
            F(Crm, "email", "\"ada@crm.example\"", At.AddYears(-1), 1),
            F(Web, "email", "\"ada@web.example\"", At, 2));

        var email = view.Lineage("email")!;
        Assert.Equal("ada@crm.example", view.Values["email"].GetString());
        Assert.Equal("source precedence: CRM › Website", email.Rule);
        var loser = Assert.Single(email.Losers);
        Assert.Equal(LossReason.RanksLower, loser.Reason);
        Assert.Equal("source Website ranks below CRM in policy \"CRM first\"", loser.Explanation);
    }

    [Fact]
    public void Evaluate_SourcePrecedence_FirstListedSourceMissing_NextListedWins()
    {
        var view = Evaluate(Precedence(Crm, Web, Pos),
            F(Pos, "tier", "\"bronze\"", At, 3),
            F(Web, "tier", "\"silver\"", At.AddDays(-1), 2));

        Assert.Equal("silver", view.Values["tier"].GetString());
        Assert.Equal(Web, view.Lineage("tier")!.Winner!.SourceId);
    }

    [Fact]
    public void Evaluate_SourcePrecedence_UnlistedSourceIsLeftOut()
    {
        var view = Evaluate(Precedence(Crm),
            F(Web, "email", "\"ada@web.example\"", At, 2),
            F(Web, "phone", "\"+447700900123\"", At, 2),
            F(Crm, "email", "\"ada@crm.example\"", At.AddDays(-3), 1));

        Assert.Equal("ada@crm.example", view.Values["email"].GetString());
        Assert.Equal("source Website is not listed in policy \"CRM first\"", view.Lineage("email")!.Losers.Single().Explanation);
        var phone = view.Lineage("phone")!;
        Assert.Equal(AttributeOutcome.Excluded, phone.Outcome);
        Assert.Null(phone.Winner);
        Assert.Equal(LossReason.SourceNotListed, phone.Losers.Single().Reason);
        Assert.False(view.Values.ContainsKey("phone"));
    }

    [Fact]
    public void Evaluate_SourcePrecedence_OlderValueOfTheSameSourceLosesByTime()
    {
        var view = MergePolicyEvaluator.Evaluate(
            [F(Crm, "tier", "\"gold\"", At, 2), F(Crm, "tier", "\"silver\"", At.AddDays(-1), 1)], Precedence(Crm), Names);

        Assert.Equal("gold", view.Values["tier"].GetString());
        Assert.Equal("older than the winner from the same source (1 Mar 2026, 12:00:00 UTC)", view.Lineage("tier")!.Losers.Single().Explanation);
    }

    [Fact]
    public void Evaluate_NewestValueIsNull_AttributeIsRemovedButLineageExplainsIt()
    {
        var view = Evaluate(Timestamp(),
            F(Crm, "phone", "\"+447700900123\"", At.AddDays(-1), 1),
            F(Web, "phone", null, At, 2));

        var phone = view.Lineage("phone")!;
        Assert.False(view.Values.ContainsKey("phone"));
        Assert.False(view.ToJson().ContainsKey("phone"));
        Assert.Equal(AttributeOutcome.Removed, phone.Outcome);
        Assert.Equal("Removed (null) by Website at 1 Mar 2026, 12:00:00 UTC.", phone.Explanation);
        Assert.True(phone.Winner!.IsRemoval);
        var loser = Assert.Single(phone.Losers);
        Assert.Equal((LossReason.Removed, "removed (null) by Website at 1 Mar 2026, 12:00:00 UTC"), (loser.Reason, loser.Explanation));
    }

    [Fact]
    public void Evaluate_ValueNewerThanARemoval_IsPresent()
    {
        var view = Evaluate(Timestamp(),
            F(Web, "phone", null, At.AddDays(-1), 1),
            F(Crm, "phone", "\"+447700900123\"", At, 2));

        Assert.Equal("+447700900123", view.Values["phone"].GetString());
        Assert.True(view.Lineage("phone")!.Losers.Single().Fragment.IsRemoval);
    }

    [Fact]
    public void Evaluate_StoredJsonNullLiteral_IsARemoval()
    {
        var view = Evaluate(Timestamp(), F(Web, "phone", "null", At, 1));

        Assert.Equal(AttributeOutcome.Removed, view.Lineage("phone")!.Outcome);
        Assert.Empty(view.Values);
    }

    [Fact]
    public void Evaluate_NestedKeys_AreAssembledIntoObjectsInTheJsonView()
    {
        var view = Evaluate(Timestamp(),
            F(Crm, "address.city", "\"London\"", At, 1),
            F(Crm, "address.geo.lat", "51.5", At, 1),
            F(Web, "address.zip", "\"NW1\"", At, 2),
            F(Web, "name", "\"Ada\"", At, 2));

        Assert.Equal(["address.city", "address.geo.lat", "address.zip", "name"], view.Values.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("""{"address":{"city":"London","geo":{"lat":51.5},"zip":"NW1"},"name":"Ada"}""", view.ToJson().ToJsonString());
    }

    [Fact]
    public void Evaluate_ParentRemovedAfterItsKeys_RemovesTheKeysUnderIt()
    {
        var view = Evaluate(Timestamp(),
            F(Crm, "address.city", "\"London\"", At.AddDays(-1), 1),
            F(Web, "address", null, At, 2));

        var city = view.Lineage("address.city")!;
        Assert.Empty(view.Values);
        Assert.Equal(AttributeOutcome.Removed, city.Outcome);
        Assert.Equal("address", city.Winner!.Key);
        Assert.Equal("Removed with address (null) by Website at 1 Mar 2026, 12:00:00 UTC.", city.Explanation);
        Assert.Equal(LossReason.Removed, city.Losers.Single().Reason);
    }

    [Fact]
    public void Evaluate_KeyWrittenAfterItsParentWasRemoved_IsPresent()
    {
        var view = Evaluate(Timestamp(),
            F(Web, "address", null, At.AddDays(-1), 1),
            F(Crm, "address.city", "\"Paris\"", At, 2));

        Assert.Equal("""{"address":{"city":"Paris"}}""", view.ToJson().ToJsonString());
        Assert.Equal(AttributeOutcome.Removed, view.Lineage("address")!.Outcome);
    }

    [Fact]
    public void Evaluate_OlderScalarParentAndNewerKeyUnderIt_ParentIsReplacedByTheObject()
    {
        var view = Evaluate(Timestamp(),
            F(Web, "address", "\"1 Main St\"", At.AddDays(-1), 1),
            F(Crm, "address.city", "\"Paris\"", At, 2));

        var address = view.Lineage("address")!;
        Assert.Equal(AttributeOutcome.ReplacedByNestedKeys, address.Outcome);
        Assert.Null(address.Value);
        Assert.StartsWith("address.city keeps a value under its rule", address.Explanation);
        Assert.Equal("""{"address":{"city":"Paris"}}""", view.ToJson().ToJsonString());
    }

    [Fact]
    public void Evaluate_NewerScalarParent_ReplacesTheKeysUnderIt()
    {
        var view = Evaluate(Timestamp(),
            F(Crm, "address.city", "\"Paris\"", At.AddDays(-1), 1),
            F(Web, "address", "\"1 Main St\"", At, 2));

        Assert.Equal("""{"address":"1 Main St"}""", view.ToJson().ToJsonString());
        Assert.Equal("Replaced when Website set address to \"1 Main St\" at 1 Mar 2026, 12:00:00 UTC.", view.Lineage("address.city")!.Explanation);
    }

    [Fact]
    public void Evaluate_OverrideForEmail_UsesItsSourcesWhileTheRestGoesByTime()
    {
        var policy = Timestamp(new AttributeOverride { Key = "email", Merge = AttributeMergeRule.SourcePrecedence, SourcePrecedence = [Crm, Web] });

        var view = Evaluate(policy,
            F(Crm, "email", "\"ada@crm.example\"", At.AddDays(-5), 1),
            F(Web, "email", "\"ada@web.example\"", At, 2),
            F(Crm, "name", "\"Ada L.\"", At.AddDays(-5), 1),
            F(Web, "name", "\"Ada Lovelace\"", At, 2));

        Assert.Equal("ada@crm.example", view.Values["email"].GetString());
        Assert.Equal("Ada Lovelace", view.Values["name"].GetString());
        Assert.Equal("override for email: source precedence: CRM › Website", view.Lineage("email")!.Rule);
        Assert.Equal("source Website ranks below CRM in policy \"Most recent\" (override for email)", view.Lineage("email")!.Losers.Single().Explanation);
    }

    [Fact]
    public void Evaluate_OverrideForAKey_AppliesToTheKeysUnderItButNotToLookalikes()
    {
        var policy = Timestamp(new AttributeOverride { Key = "address", Merge = AttributeMergeRule.SourcePrecedence, SourcePrecedence = [Crm] });

        var view = Evaluate(policy,
            F(Crm, "address.city", "\"London\"", At.AddDays(-1), 1),
            F(Web, "address.city", "\"Paris\"", At, 2),
            F(Crm, "addressLine", "\"old\"", At.AddDays(-1), 1),
            F(Web, "addressLine", "\"new\"", At, 2));

        Assert.Equal("London", view.Values["address.city"].GetString());
        Assert.Equal("new", view.Values["addressLine"].GetString());
    }

    [Fact]
    public void Evaluate_TwoOverridesMatch_TheMostSpecificApplies()
    {
        var policy = Precedence(Crm, Web);
        policy.Overrides =
        [
            new AttributeOverride { Key = "address", Merge = AttributeMergeRule.SourcePrecedence, SourcePrecedence = [Web] },
            new AttributeOverride { Key = "address.geo", Merge = AttributeMergeRule.Timestamp },
        ];

        var view = Evaluate(policy,
            F(Crm, "address.city", "\"London\"", At, 2),
            F(Web, "address.city", "\"Paris\"", At.AddDays(-1), 1),
            F(Web, "address.geo.lat", "48.8", At.AddDays(-1), 1),
            F(Crm, "address.geo.lat", "51.5", At, 2));

        Assert.Equal("Paris", view.Values["address.city"].GetString());
        Assert.Equal(51.5, view.Values["address.geo.lat"].GetDouble());
        Assert.Equal("override for address.geo: most recent event time wins", view.Lineage("address.geo.lat")!.Rule);
    }

    [Fact]
    public void Evaluate_NoStitchingWithoutAnIdentity_Throws()
    {
        var policy = Timestamp();
        policy.Stitching = IdentityStitching.None;

        var error = Assert.Throws<ArgumentException>(() => Evaluate(policy, F(Crm, "name", "\"Ada\"", At, 1)));

        Assert.Contains("does not stitch identities", error.Message);
    }

    [Fact]
    public void Evaluate_NoStitching_ReadsOnlyTheMessagesThatCarriedTheIdentity()
    {
        var policy = Timestamp();
        policy.Stitching = IdentityStitching.None;
        var identity = new IdentityScope("email:ada@example.com", new HashSet<long> { 1, 2 });

        var view = MergePolicyEvaluator.Evaluate(
        [
            F(Crm, "name", "\"Ada\"", At.AddDays(-1), 1),
            F(Web, "name", "\"Someone on a shared laptop\"", At, 9),
            F(Web, "tier", "\"free\"", At, 9),
        ], policy, Names, identity);

        Assert.Equal("Ada", view.Values["name"].GetString());
        var loser = view.Lineage("name")!.Losers.Single();
        Assert.Equal(LossReason.OutsideIdentity, loser.Reason);
        Assert.Equal("from a message that did not carry email:ada@example.com; policy \"Most recent\" does not stitch identities", loser.Explanation);
        Assert.Equal(AttributeOutcome.Excluded, view.Lineage("tier")!.Outcome);
    }

    [Fact]
    public void Evaluate_GraphStitching_IgnoresTheIdentityScope()
    {
        var view = MergePolicyEvaluator.Evaluate([F(Web, "name", "\"Ada\"", At, 9)], Timestamp(), Names, new IdentityScope("email:x", new HashSet<long>()));

        Assert.Equal("Ada", view.Values["name"].GetString());
    }

    [Fact]
    public void Evaluate_UnknownSourceName_IsShownByItsId()
    {
        var view = MergePolicyEvaluator.Evaluate([F(42, "name", "\"Ada\"", At, 1), F(Crm, "name", "\"A\"", At.AddDays(-1), 0)], Precedence(42, Crm));

        Assert.Equal("source #42", view.Lineage("name")!.Winner!.SourceName);
        Assert.Equal("source precedence: source #42 › source #1", view.Lineage("name")!.Rule);
    }

    [Fact]
    public void Evaluate_PolicyChangedAfterTheEvaluatorWasBuilt_UsesThePolicyAsItWas()
    {
        var policy = Precedence(Crm);
        var evaluator = new MergePolicyEvaluator(policy, Names);
        policy.SourcePrecedence.Clear();
        policy.SourcePrecedence.Add(Web);

        var view = evaluator.Evaluate([F(Crm, "tier", "\"gold\"", At, 1), F(Web, "tier", "\"silver\"", At, 2)]);

        Assert.Equal("gold", view.Values["tier"].GetString());
    }

    [Fact]
    public void Evaluate_TimesWithMilliseconds_ShowThem()
    {
        var view = Evaluate(Timestamp(),
            F(Crm, "tier", "\"gold\"", At.AddMilliseconds(250), 1),
            F(Web, "tier", "\"silver\"", At, 2));

        Assert.Equal("older than the winner (1 Mar 2026, 12:00:00.250 UTC)", view.Lineage("tier")!.Losers.Single().Explanation);
    }

    [Fact]
    public void Evaluate_NoFragments_IsAnEmptyView()
    {
        var view = Evaluate(Timestamp());

        Assert.Empty(view.Attributes);
        Assert.Equal("{}", view.ToJson().ToJsonString());
        Assert.Equal("Most recent", view.PolicyName);
    }
}
