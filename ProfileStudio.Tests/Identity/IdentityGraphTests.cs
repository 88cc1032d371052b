using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using ProfileStudio.Core.Identity;

namespace ProfileStudio.Tests.Identity;

/// <summary>The identity stories ProfileStudio holds itself to, each as a short sequence of messages.</summary>
public sealed class IdentityGraphTests
{
    private static IdentityKey U(string v) => new("user_id", v);
    private static IdentityKey A(string v) => new("anonymous_id", v);
    private static IdentityKey E(string v) => new("email", v);

    private static IReadOnlyList<IdentityKey> Keys(string json) =>
        IdentityExtractor.Extract(JsonNode.Parse(json)!.AsObject(), IdentityRules.Default).Where(i => i.Key is not null).Select(i => i.Key!.Value).ToList();

    [Fact]
    public void Resolve_AnonymousBrowsingThenLogin_KeepsOneProfileWithBoth()
    {
        var graph = new IdentityGraph(IdentityRules.Default);

        var browsing = graph.Resolve([A("device-1")]);
        var login = graph.Resolve([U("ada"), A("device-1")]);

        Assert.True(browsing.Created);
        Assert.Equal(browsing.ProfileId, login.ProfileId);
        Assert.Equal([U("ada")], login.Added);
        Assert.Equal([A("device-1"), U("ada")], graph.IdentitiesOf(login.ProfileId!.Value).OrderBy(k => k.Namespace));
    }

    [Fact]
    public void Resolve_TwoPeopleShareADevice_NeverMergeAndTheDeviceFollowsTheLastSignIn()
    {
        var graph = new IdentityGraph(IdentityRules.Default);
        var ada = graph.Resolve([U("ada"), A("family-laptop")]).ProfileId;

        var bob = graph.Resolve([U("bob"), A("family-laptop")]);
        var laterEvent = graph.Resolve([A("family-laptop")]);
        var adaAgain = graph.Resolve([U("ada"), A("family-laptop")]);

        Assert.True(bob.Created);
        Assert.NotEqual(ada, bob.ProfileId);
        var aside = Assert.Single(bob.SetAside);
        Assert.Equal(A("family-laptop"), aside.Key);
        Assert.Contains("at most 1 user_id", aside.Reason);
        Assert.Equal([(A("family-laptop"), ada!.Value)], bob.Reassigned);
        Assert.Equal(bob.ProfileId, laterEvent.ProfileId);
        Assert.Equal(ada, adaAgain.ProfileId);
        Assert.Equal(ada, graph.ProfileOf(A("family-laptop")));
        Assert.Equal([U("bob")], graph.IdentitiesOf(bob.ProfileId!.Value));
    }

    [Fact]
    public void Resolve_SameEmailInCrmUpperCaseAndWebLowerCase_Merges()
    {
        var graph = new IdentityGraph(IdentityRules.Default);

        var web = graph.Resolve(Keys("""{"type":"identify","userId":"web-1","traits":{"email":"ada@example.com"}}"""));
        var crm = graph.Resolve(Keys("""{"type":"identify","context":{"externalIds":[{"id":"CRM-9","type":"crm_id"},{"id":" ADA@Example.COM ","type":"email"}]}}"""));

        Assert.Equal(web.ProfileId, crm.ProfileId);
        Assert.Equal(3, graph.IdentitiesOf(web.ProfileId!.Value).Count);
    }

    [Theory]
    [InlineData("07700 900123")]
    [InlineData("+44 (0)7700 900-123")]
    [InlineData("0044 7700 900123")]
    [InlineData("+447700900123")]
    public void Normalize_UkMobileInAnyFormat_IsOneE164Identity(string written)
    {
        var (value, problem) = IdentityNormalizer.Normalize(IdentityRules.Default.Find("phone")!, written);

        Assert.Null(problem);
        Assert.Equal("+447700900123", value);
    }

    [Fact]
    public void Resolve_PhoneInThreeFormats_FromThreeSources_IsOneProfile()
    {
        var graph = new IdentityGraph(IdentityRules.Default);

        var ids = new[] { "07700 900123", "+44 (0)7700 900-123", "0044 7700 900123" }
            .Select(p => graph.Resolve(Keys($$$"""{"type":"identify","traits":{"phone":"{{{p}}}"}}""")).ProfileId)
            .Distinct();

        Assert.Single(ids);
    }

    [Theory]
    [InlineData("test@test.com")]
    [InlineData("null")]
    [InlineData("UNDEFINED")]
    [InlineData("  ")]
    public void Extract_PlaceholderValues_AreDroppedWithAReasonAndMergeNobody(string placeholder)
    {
        var message = $$$"""{"type":"identify","traits":{"email":"{{{placeholder}}}"}}""";
        var graph = new IdentityGraph(IdentityRules.Default);

        var extracted = IdentityExtractor.Extract(JsonNode.Parse(message)!.AsObject(), IdentityRules.Default);
        var ada = graph.Resolve([U("ada"), .. Keys(message)]);
        var bob = graph.Resolve([U("bob"), .. Keys(message)]);

        Assert.Contains(extracted, e => e.Key is null && (e.DroppedBecause!.Contains("blocked") || e.DroppedBecause.Contains("empty")));
        Assert.NotEqual(ada.ProfileId, bob.ProfileId);
    }

    [Fact]
    public void Resolve_ChainOf60Identities_StopsAtTheCapAndRecordsTheRest()
    {
        var graph = new IdentityGraph(IdentityRules.Default);
        var resolutions = Enumerable.Range(1, 60).Select(i => graph.Resolve([U("ada"), A($"device-{i}")])).ToList();

        var profile = resolutions[0].ProfileId!.Value;
        Assert.Equal(50, graph.IdentitiesOf(profile).Count);
        Assert.All(resolutions, r => Assert.Equal(profile, r.ProfileId));
        var refused = resolutions.SelectMany(r => r.SetAside).ToList();
        Assert.Equal(11, refused.Count); // devices 50..60: the user_id plus 49 devices fill the cap
        Assert.All(refused, r => Assert.Contains("at most 50 identities", r.Reason));
    }

    [Fact]
    public void Resolve_MessageLinkingTwoProfiles_MergesIntoTheOldestAndRedirects()
    {
        var graph = new IdentityGraph(IdentityRules.Default);
        var older = graph.Resolve([A("phone-app")]).ProfileId!.Value;
        var newer = graph.Resolve([E("ada@example.com")]).ProfileId!.Value;

        var link = graph.Resolve([A("phone-app"), E("ada@example.com")]);

        Assert.Equal(older, link.ProfileId);
        Assert.Equal([newer], link.Merged);
        Assert.Equal(older, graph.Canonical(newer));
        Assert.Equal(older, graph.ProfileOf(E("ada@example.com")));
    }

    [Fact]
    public void Resolve_NeverLinkPair_KeepsThemApartAsTwoProfiles()
    {
        var graph = new IdentityGraph(IdentityRules.Default);
        graph.NeverLink(U("ada"), E("shared@example.com"));

        var result = graph.Resolve([U("ada"), E("shared@example.com")]);

        Assert.Equal([E("shared@example.com")], result.SetAside.Select(s => s.Key));
        Assert.Contains("never to link", result.SetAside[0].Reason);
        Assert.True(result.SetAside[0].NeverLink);
        // The message's data goes to the strongest identifier's profile; the never-linked one is a person of its own.
        Assert.Equal(graph.ProfileOf(U("ada")), result.ProfileId);
        var detached = Assert.Single(result.Detached);
        Assert.True(detached.Created);
        Assert.Equal(detached.ProfileId, graph.ProfileOf(E("shared@example.com")));
        Assert.NotEqual(result.ProfileId, detached.ProfileId);
    }

    [Fact]
    public void Resolve_LimitRefusal_DoesNotCreateAProfileForTheSetAsideIdentifier()
    {
        var graph = new IdentityGraph(IdentityRules.Default);

        var result = graph.Resolve([U("ada"), U("bob")]);

        Assert.Single(result.SetAside);
        Assert.False(result.SetAside[0].NeverLink);
        Assert.Empty(result.Detached);
        Assert.Null(graph.ProfileOf(result.SetAside[0].Key));
    }

    /// <summary>
    /// Whatever messages arrive, in whatever order: every identifier is in at most one profile, no
    /// profile breaks a namespace limit or the cap, and replaying the same messages gives the same
    /// profiles (what makes a rebuild from the lake equal to incremental processing).
    /// </summary>
    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Resolve_AnySequence_KeepsLimitsAndIsReproducible()
    {
        var key = Gen.OneOf(
            Gen.Choose(1, 4).Select(i => U($"u{i}")),
            Gen.Choose(1, 6).Select(i => A($"a{i}")),
            Gen.Choose(1, 8).Select(i => E($"e{i}@x.test")));
        var message = key.ArrayOf().Where(k => k.Length is > 0 and <= 4);
        var rules = new IdentityRules(IdentityRules.Default.Namespaces, maxIdentitiesPerProfile: 6);
        return Prop.ForAll(message.ListOf().Where(l => l.Count <= 40).ToArbitrary(), messages =>
        {
            var first = new IdentityGraph(rules);
            var second = new IdentityGraph(rules);
            var a = messages.Select(m => first.Resolve(m).ProfileId).ToList();
            var b = messages.Select(m => second.Resolve(m).ProfileId).ToList();
            var partitions = first.Profiles.Select(p => first.IdentitiesOf(p)).ToList();
            var everyKeyOnce = partitions.SelectMany(p => p).GroupBy(k => k).All(g => g.Count() == 1);
            var withinLimits = partitions.All(p => p.Count <= 6
                && p.GroupBy(k => k.Namespace).All(g => rules.Find(g.Key)!.Limit == 0 || g.Count() <= rules.Find(g.Key)!.Limit));
            return a.SequenceEqual(b) && everyKeyOnce && withinLimits;
        });
    }
}
