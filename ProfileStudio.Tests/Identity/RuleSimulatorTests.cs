using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Identity.Simulator;
using ProfileStudio.Core.Identity;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Identity;

/// <summary>The rule simulator: the identity stories, run through the real parser and engine, under saved and edited rules.</summary>
public sealed class RuleSimulatorTests
{
    private static readonly DateTime Now = new(2025, 3, 4, 12, 0, 0, DateTimeKind.Utc);

    private static SimulationResult Simulate(string input, IdentityRules? rules = null) =>
        RuleSimulator.Simulate(input, rules ?? IdentityRules.Default, Now);

    private static SimulationResult Example(string key, IdentityRules? rules = null) =>
        Simulate(SimulatorExamples.All.Single(e => e.Key == key).Messages, rules);

    private static IReadOnlyList<string> IdentitiesOf(SimulatedProfile profile) =>
        profile.Graph.Identities.Select(i => $"{i.Namespace}:{i.Value}").Order(StringComparer.Ordinal).ToList();

    /// <summary>The default namespaces as the store holds them, one edited.</summary>
    private static IdentityRules Edited(Action<IdentityNamespace> edit, string name, int cap = 50)
    {
        var namespaces = IdentityRules.Default.Namespaces.Select(n => new IdentityNamespace
        {
            Name = n.Name, Normalization = n.Normalization, Priority = n.Priority, Limit = n.Limit,
            BlockedValues = [.. n.BlockedValues], BlockedPatterns = [.. n.BlockedPatterns],
            DefaultCountry = n.DefaultCountry, IsDevice = n.IsDevice, TraitKeys = [.. n.Keys],
        }).ToList();
        edit(namespaces.Single(n => n.Name == name));
        var (rules, problems) = RuleSimulator.BuildRules(namespaces, cap);
        Assert.Empty(problems);
        return rules!;
    }

    [Fact]
    public void Simulate_SharedDevice_KeepsTwoPeopleAndTheDeviceFollowsTheLastSignIn()
    {
        var result = Simulate(SimulatorExamples.SharedDevice.Messages);

        Assert.Null(result.Problem);
        Assert.Equal(2, result.Profiles.Count);
        var (ada, bob) = (result.Profiles[0], result.Profiles[1]);
        Assert.Equal(["email:ada@example.com", "user_id:ada"], IdentitiesOf(ada));
        Assert.Equal(["anonymous_id:laptop-7f3a", "email:bob@example.com", "user_id:bob"], IdentitiesOf(bob));
        Assert.Equal([1, 2], ada.MessageNumbers);
        Assert.Equal([3, 4], bob.MessageNumbers);
        Assert.Equal(["Pricing"], ada.Events.Select(e => e.Name));
        Assert.Equal(["Product Viewed"], bob.Events.Select(e => e.Name));

        var third = result.Messages[2];
        Assert.True(third.CreatedProfile);
        var refused = Assert.Single(third.Insights, i => i.Kind == InsightKinds.Refused);
        Assert.Equal(("anonymous_id", "laptop-7f3a"), (refused.Namespace, refused.Value));
        // "refused", never "set aside": that is what Rejected messages calls a message unification could not process.
        Assert.Equal("refused: anonymous_id:laptop-7f3a not linked (a profile holds at most 1 user_id value)", refused.Detail);
        var moved = Assert.Single(third.Insights, i => i.Kind == InsightKinds.Reassigned);
        Assert.Equal((bob.Id, ada.Id), (moved.ProfileId!.Value, moved.OtherProfileId!.Value));
        Assert.All(result.Insights, i => Assert.InRange(i.MessageNumber, 1, 4));
    }

    [Fact]
    public void Simulate_SharedDeviceWithUserIdLimitEditedToTwo_MergesThemIntoOneProfile()
    {
        var rules = Edited(n => n.Limit = 2, "user_id");

        var result = Simulate(SimulatorExamples.SharedDevice.Messages, rules);

        var profile = Assert.Single(result.Profiles);
        Assert.Equal(["anonymous_id:laptop-7f3a", "email:ada@example.com", "email:bob@example.com", "user_id:ada", "user_id:bob"], IdentitiesOf(profile));
        Assert.DoesNotContain(result.Insights, i => i.Kind is InsightKinds.Refused or InsightKinds.Reassigned);
        Assert.Equal([1, 2, 3, 4], profile.MessageNumbers);
    }

    [Fact]
    public void Simulate_EditedPriorityPutsTheUserIdBelowTheDevice_SetsTheUserIdAsideInstead()
    {
        var rules = Edited(n => n.Priority = 10, "user_id"); // weaker than anonymous_id (9)

        var result = Simulate(SimulatorExamples.SharedDevice.Messages, rules);

        var refused = Assert.Single(result.Messages[2].Insights, i => i.Kind == InsightKinds.Refused);
        Assert.Equal("user_id", refused.Namespace);
        Assert.Equal(1, result.Messages[2].ProfileId); // the device kept Bob's message on Ada's profile
    }

    [Fact]
    public void Simulate_AnonymousOnTwoDevicesThenLogin_MergesIntoTheOldestProfile()
    {
        var result = Example("anonymous-login");

        var profile = Assert.Single(result.Profiles);
        Assert.Equal(1, profile.Id);
        Assert.Equal(["anonymous_id:laptop-7f3a", "anonymous_id:phone-91c2", "user_id:ada"], IdentitiesOf(profile));
        // Two merges: the laptop's anonymous history joins ada when she signs in there, then the phone's profile merges in.
        var merges = result.Insights.Where(i => i.Kind == InsightKinds.Merged).ToList();
        Assert.Equal(2, merges.Count);
        Assert.Equal((3, 2L), (merges[0].MessageNumber, merges[0].ProfileId!.Value));
        Assert.Contains("now belongs to user_id:ada", merges[0].Detail);
        Assert.Equal((4, 1L, 2L), (merges[1].MessageNumber, merges[1].ProfileId!.Value, merges[1].OtherProfileId!.Value));
        Assert.Equal(2, result.Messages[1].ProfileId);
        Assert.Equal(1, result.Messages[1].FinalProfileId);
        Assert.Equal(3, profile.Events.Count);
        Assert.Equal("\"pro\"", profile.Attributes.Single(a => a.Key == "plan").ValueJson); // the later identify wins
    }

    [Fact]
    public void Simulate_CrmUpperCaseEmail_MergesWithTheWebProfileAndKeepsAttributesPerSource()
    {
        var result = Example("crm-email");

        var profile = Assert.Single(result.Profiles);
        Assert.Contains("email:ada@example.com", IdentitiesOf(profile));
        Assert.Contains("crm_id:CRM-0042", IdentitiesOf(profile));
        Assert.Equal(["CRM", "Website"], result.SourceNames.Values.Order(StringComparer.Ordinal));
        var names = profile.Attributes.Where(a => a.Key == "name").ToDictionary(a => result.SourceNames[a.SourceId], a => a.ValueJson);
        Assert.Equal("\"Ada\"", names["Website"]);
        Assert.Equal("\"Ada Lovelace\"", names["CRM"]);
    }

    [Fact]
    public void Simulate_PhoneInThreeFormats_IsOneIdentityOnOneProfile()
    {
        var result = Example("phone-formats");

        var profile = Assert.Single(result.Profiles);
        Assert.Single(profile.Graph.Identities, i => i.Namespace == "phone" && i.Value == "+447700900123");
        Assert.Equal(3, profile.Graph.Identities.Count(i => i.Namespace == "anonymous_id"));
        Assert.Equal(3, result.SourceNames.Count);
    }

    [Fact]
    public void Simulate_PlaceholderValues_AreBlockedMergeNobodyAndAnInvalidTrackIsReported()
    {
        var result = Example("placeholders");

        Assert.Equal(2, result.Profiles.Count);
        Assert.Contains(result.Insights, i => i is { Kind: InsightKinds.Blocked, Namespace: "email", MessageNumber: 1 } && i.Detail.Contains("blocked value"));
        Assert.Contains(result.Insights, i => i is { Kind: InsightKinds.Blocked, Namespace: "phone", MessageNumber: 2 });
        var placeholdersOnly = result.Messages[2];
        Assert.Null(placeholdersOnly.ProfileId);
        Assert.Contains(placeholdersOnly.Insights, i => i.Kind == InsightKinds.Unidentified);
        var invalid = result.Messages[3];
        Assert.False(invalid.IsValid);
        Assert.Equal("A track call needs an \"event\" name.", invalid.Error);
        Assert.Equal(1, result.InvalidMessages);
    }

    [Fact]
    public void Simulate_InvalidMessageAmongValidOnes_IsReportedWithTheParserReasonAndTheOthersStillRun()
    {
        var result = Simulate("""
            [
              { "type": "identify", "userId": "ada" },
              { "type": "identify", "traits": { "email": "x@example.com" } },
              { "type": "shout", "userId": "ada" },
              "not an object",
              { "type": "track", "userId": "ada", "event": "Signed In", "timestamp": "yesterday" },
              { "type": "track", "userId": "ada", "event": "Signed In" }
            ]
            """);

        Assert.Equal(6, result.Messages.Count);
        Assert.Equal(
            [null, "Every message needs a \"userId\" or an \"anonymousId\".", "Unknown message type \"shout\".",
             "A batch item must be a JSON object.", "\"timestamp\" is not an ISO-8601 date: \"yesterday\"."],
            result.Messages.Take(5).Select(m => m.Error));
        Assert.True(result.Messages[5].IsValid);
        var profile = Assert.Single(result.Profiles);
        Assert.Equal([1, 6], profile.MessageNumbers);
        Assert.Equal(4, result.InvalidMessages);
    }

    [Fact]
    public void Simulate_Ndjson_ReadsALineEachAndReportsALineThatIsNotJson()
    {
        var result = Simulate("""
            {"type":"page","anonymousId":"d-1","name":"Home"}
            {"type":"identify","userId":"ada",
            {"type":"identify","userId":"ada","anonymousId":"d-1"}
            """);

        Assert.Null(result.Problem);
        Assert.Equal(3, result.Messages.Count);
        Assert.StartsWith("This line is not valid JSON", result.Messages[1].Error);
        Assert.Equal([1, 3], Assert.Single(result.Profiles).MessageNumbers);
    }

    [Fact]
    public void Simulate_SegmentBatch_AppliesTheBatchContextAndSource()
    {
        var result = Simulate("""
            { "source": "App", "context": { "traits": { "email": "ADA@example.com" } },
              "batch": [ { "type": "track", "anonymousId": "d-1", "event": "Opened" },
                         { "type": "track", "anonymousId": "d-2", "event": "Opened", "source": "Web" } ] }
            """);

        var profile = Assert.Single(result.Profiles); // the shared context e-mail links both devices
        Assert.Equal(["anonymous_id:d-1", "anonymous_id:d-2", "email:ada@example.com"], IdentitiesOf(profile));
        Assert.Equal(["App", "Web"], result.Messages.Select(m => m.Source));
    }

    [Fact]
    public void Simulate_SingleMessageObject_IsOneMessage()
    {
        var result = Simulate("""{ "type": "identify", "userId": "ada", "traits": { "name": "Ada" } }""");

        Assert.True(Assert.Single(result.Messages).CreatedProfile);
        Assert.Equal(RuleSimulator.DefaultSource, result.SourceNames[1]);
    }

    [Theory]
    [InlineData("", "no messages")]
    [InlineData("   \n ", "no messages")]
    [InlineData("[]", "batch is empty")]
    [InlineData("42", "Messages are JSON objects")]
    [InlineData("null", "Messages are JSON objects")]
    [InlineData("[{\"type\":\"identify\",\"userId\":\"ada\"}", "not valid JSON")]
    [InlineData("{\n  \"type\": \"identify\",\n  \"userId\": ada\n}", "not valid JSON")]
    [InlineData("{\"batch\": 5}", "needs a \"batch\" array")]
    public void Simulate_InputThatCannotBeRead_SaysWhy(string input, string expected)
    {
        var result = Simulate(input);

        Assert.Contains(expected, result.Problem);
        Assert.Empty(result.Messages);
        Assert.Empty(result.Profiles);
    }

    [Fact]
    public void Simulate_TextThatIsNoJson_SaysWhereInPeoplesCounting_NotWhatTheParserGuessed()
    {
        var result = Simulate("not json at all");

        Assert.Equal("The messages are not valid JSON: 'not json at all' is not JSON (text goes in double quotes). (line 1, byte 2)", result.Problem);
    }

    [Fact]
    public void Simulate_AnInputLongerThanItReads_IsRefusedWithTheLimit_NotCut()
    {
        var one = """{"type":"identify","userId":"user-0","traits":{"email":"person0@example.com","note":"NOTE"}}""".Replace("NOTE", new string('x', 1200));
        var result = Simulate(string.Join("\n", Enumerable.Repeat(one, 450)));

        Assert.StartsWith("The simulator reads at most 500,000 characters at a time; this input has 5", result.Problem);
        Assert.Empty(result.Messages);
    }

    [Fact]
    public void Simulate_MoreThanTheMaximum_IsRefusedAsAWhole()
    {
        var input = "[" + string.Join(",", Enumerable.Range(0, RuleSimulator.MaxMessages + 1).Select(i => $$"""{"type":"page","anonymousId":"d{{i}}"}""")) + "]";

        var result = Simulate(input);

        Assert.Contains($"at most {RuleSimulator.MaxMessages}", result.Problem);
    }

    [Fact]
    public void Simulate_EditedGlobalCap_StopsTheChainEarlier()
    {
        var input = "[" + string.Join(",", Enumerable.Range(1, 6).Select(i => $$"""{"type":"identify","userId":"ada","anonymousId":"d{{i}}"}""")) + "]";
        var (rules, problems) = RuleSimulator.BuildRules(IdentityRules.Default.Namespaces.Select(ToNamespace), 3);

        var result = Simulate(input, rules);

        Assert.Empty(problems);
        Assert.Equal(3, Assert.Single(result.Profiles).Graph.Identities.Count); // ada and two devices
        Assert.Equal([3, 4, 5, 6], result.Insights.Where(i => i.Kind == InsightKinds.Refused).Select(i => i.MessageNumber));
    }

    [Fact]
    public void Simulate_EditedBlockedValue_DropsItWithTheReason()
    {
        var rules = Edited(n => n.BlockedValues.Add("ada@example.com"), "email");

        var result = Simulate(SimulatorExamples.SharedDevice.Messages, rules);

        var blocked = Assert.Single(result.Insights, i => i.Kind == InsightKinds.Blocked);
        Assert.Equal((2, "email"), (blocked.MessageNumber, blocked.Namespace));
        Assert.DoesNotContain("email:ada@example.com", result.Profiles.SelectMany(IdentitiesOf));
    }

    [Fact]
    public void Simulate_EveryProfilesGraph_HasItsLinksBetweenItsOwnIdentities()
    {
        var result = Example("anonymous-login");

        var graph = Assert.Single(result.Profiles).Graph;
        var ids = graph.Identities.Select(i => i.Id).ToHashSet();
        Assert.Equal(2, graph.Links.Count); // ada with each device
        Assert.All(graph.Links, l => Assert.True(ids.Contains(l.FromIdentityId) && ids.Contains(l.ToIdentityId)));
        Assert.Equal([3, 4], graph.Links.Select(l => l.FirstMessageId).Order());
    }

    [Fact]
    public void BuildRules_InvalidEdits_NameTheNamespaceAndWhatToFix()
    {
        var namespaces = IdentityRules.Default.Namespaces.Select(ToNamespace).ToList();
        namespaces[0].Limit = 99;
        namespaces[1].BlockedPatterns = ["(unclosed"];

        var (rules, problems) = RuleSimulator.BuildRules(namespaces, 0);

        Assert.Null(rules);
        Assert.Equal(3, problems.Count);
        Assert.StartsWith("user_id: The limit per profile", problems[0]);
        Assert.StartsWith("crm_id: \"(unclosed\" is not a valid regular expression", problems[1]);
        Assert.StartsWith("The global cap", problems[2]);
    }

    [Fact]
    public async Task Simulate_WithTheStoredRules_WritesNothingToTheDatabase()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var store = studio.Services.GetRequiredService<IdentityRulesStore>();
        var rules = await store.LoadAsync(); // seeds the built-in namespaces: done before counting
        var before = CountRows(studio.DataDirectory);

        foreach (var example in SimulatorExamples.All)
        {
            Assert.Null(RuleSimulator.Simulate(example.Messages, rules, Now).Problem);
        }

        Assert.Equal(before, CountRows(studio.DataDirectory));
        Assert.Contains(before, t => t.Table == "IdentityNamespaces" && t.Rows == 6);
    }

    private static IdentityNamespace ToNamespace(IdentityNamespaceRule n) => new()
    {
        Name = n.Name, Normalization = n.Normalization, Priority = n.Priority, Limit = n.Limit,
        BlockedValues = [.. n.BlockedValues], BlockedPatterns = [.. n.BlockedPatterns],
        DefaultCountry = n.DefaultCountry, IsDevice = n.IsDevice, TraitKeys = [.. n.Keys],
    };

    /// <summary>Every table's row count, so any write at all shows.</summary>
    internal static List<(string Table, long Rows)> CountRows(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, ProfileStudio.Core.Storage.SqliteDatabase.FileName);
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }
        return tables.Select(t =>
        {
            using var count = connection.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM \"{t}\"";
            return (t, (long)count.ExecuteScalar()!);
        }).ToList();
    }
}
