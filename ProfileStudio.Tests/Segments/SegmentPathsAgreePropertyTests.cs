using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;
using ValueType = ProfileStudio.Core.Segments.ValueTestType;

namespace ProfileStudio.Tests.Segments;

/// <summary>
/// The one-profile evaluator and the SQL path select exactly the same profiles: random profiles
/// (attribute fragments with nesting, removals, ties and non-JSON text; events on window boundaries with
/// odd properties, some of them page and screen views under the names of track events; identities; memberships)
/// written to a real migrated SQLite database, and random rule trees. Only track events count: every path selects
/// what the evaluator selects on the profile's track events alone.
/// </summary>
public sealed class SegmentPathsAgreePropertyTests : IDisposable
{
    internal static readonly DateTime Now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    private static readonly string[] Keys = ["country", "plan", "age", "vip", "signup", "address", "address.city", "address.zip"];

    private static readonly string?[] Values =
    [
        null, "null", "\"France\"", "\"Spain\"", "\"Fr\"", "\"\"", "\"fr-FR\"", "12", "3.5", "-1", "0", "100", "true", "false",
        "\"2026-02-20\"", "\"2026-03-01T10:00:00Z\"", "\"2026-03-01T13:00:00+02:00\"", "\"2026-01-15 08:30\"", "\"2026-03-05\"",
        "\"2026-02-30\"", "\"soon\"", "\"2026-01-01T25:00\"", "{\"a\":1}", "[1]", "not json",
    ];

    private static readonly string[] EventNames = ["Order Completed", "Viewed", "order completed"];

    // Page and screen views are on the timeline under their page's name, the same names as track events (page('Order Completed')).
    private static readonly string[] EventTypes = ["track", "track", "page", "screen"];

    private static readonly TimeSpan[] EventOffsets =
    [
        TimeSpan.Zero, TimeSpan.FromDays(-30), TimeSpan.FromDays(-30) - TimeSpan.FromTicks(1), TimeSpan.FromDays(-29),
        TimeSpan.FromHours(-2), TimeSpan.FromHours(-2) - TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(-1), TimeSpan.FromDays(-200),
        TimeSpan.FromHours(5), TimeSpan.FromTicks(1), TimeSpan.FromDays(-10) + TimeSpan.FromTicks(1234567),
    ];

    private static readonly string[] Properties =
    [
        "{}", "{\"amount\":10}", "{\"amount\":2.5,\"currency\":\"EUR\"}", "{\"amount\":\"12\"}", "{\"amount\":null}",
        "{\"currency\":\"USD\",\"amount\":100}", "{\"item\":{\"sku\":\"A1\"}}", "not json", "[1,2]", "{\"when\":\"2026-02-27\"}",
        "{\"amount\":-4,\"item\":{\"sku\":\"B2\"}}",
        // Decimal fractions no double holds exactly: 0.1 + 0.2 is 0.3, 99.99 + 0.005 + 0.005 is 100, on every path.
        "{\"amount\":0.1}", "{\"amount\":0.2}", "{\"amount\":99.99}", "{\"amount\":0.005}",
    ];

    private static readonly string[] Namespaces = ["email", "user_id", "phone"];

    public sealed record StoredProfile(
        long Id,
        bool Merged,
        IReadOnlyList<ProfileAttribute> Attributes,
        IReadOnlyList<ProfileEvent> Events,
        IReadOnlyList<string> Namespaces,
        IReadOnlyList<long> Segments);

    public sealed record Case(IReadOnlyList<StoredProfile> Profiles, SegmentRule Rule)
    {
        public override string ToString() => SegmentRuleJson.Serialize(Rule) + "\n" + string.Join("\n", Profiles.Select(p =>
            $"#{p.Id}{(p.Merged ? " merged" : "")} attrs[{string.Join(", ", p.Attributes.Select(a => $"s{a.SourceId} {a.Key}={a.ValueJson ?? "∅"} t{a.EventAt:mm} m{a.MessageId}"))}] " +
            $"events[{string.Join(", ", p.Events.Select(e => $"{(e.Type == "track" ? "" : e.Type + " ")}{e.Name}@{(e.EventAt - Now).TotalHours:0.####}h {e.PropertiesJson}"))}] " +
            $"ids[{string.Join(",", p.Namespaces)}] segs[{string.Join(",", p.Segments)}]"));
    }

    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;

    public SegmentPathsAgreePropertyTests()
    {
        using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options))
        {
            db.Database.Migrate();
        }
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
    }

    public void Dispose()
    {
        _connection.Dispose();
        _directory.Dispose();
    }

    internal static Gen<ProfileAttribute> AttributeGen(long profileId) =>
        from source in Gen.Choose(1, 3)
        from key in Gen.Elements(Keys)
        from value in Gen.Elements(Values)
        from minute in Gen.Choose(0, 2)
        from message in Gen.Choose(1, 3)
        select new ProfileAttribute
        {
            ProfileId = profileId, SourceId = source, Key = key, ValueJson = value,
            EventAt = Now.AddDays(-3).AddMinutes(minute), MessageId = message,
        };

    private static Gen<ProfileEvent> EventGen(long profileId) =>
        from type in Gen.Elements(EventTypes)
        from name in Gen.Elements(EventNames)
        from offset in Gen.Elements(EventOffsets)
        from properties in Gen.Elements(Properties)
        select new ProfileEvent { ProfileId = profileId, Name = name, Type = type, EventAt = Now + offset, PropertiesJson = properties, SourceId = 1 };

    internal static Gen<StoredProfile> ProfileGen(long id) =>
        from merged in Gen.Elements(true, false, false, false, false, false)
        from attributeCount in Gen.Choose(0, 7)
        from attributes in AttributeGen(id).ListOf(attributeCount)
        from eventCount in Gen.Choose(0, 6)
        from events in EventGen(id).ListOf(eventCount)
        from namespaces in Gen.SubListOf(Namespaces)
        from segments in Gen.SubListOf(new long[] { 1, 2 })
        select new StoredProfile(id, merged,
            // One row per (profile, source, key), as the table's key has it.
            attributes.DistinctBy(a => (a.SourceId, a.Key)).ToList(), events.ToList(), namespaces.ToList(), segments.ToList());

    private static Gen<ValueTest> TestGen =>
        Gen.OneOf(
            from op in Gen.Elements(ValueOperator.Equals, ValueOperator.NotEquals, ValueOperator.Contains, ValueOperator.StartsWith, ValueOperator.EndsWith, ValueOperator.Exists, ValueOperator.NotExists)
            from text in Gen.Elements("France", "Fr", "ance", "Spain", "fr-FR", "", "EUR", "A1")
            select new ValueTest(ValueType.Text, op) { Text = text },
            from list in Gen.SubListOf(new[] { "France", "Spain", "EUR", "nope" })
            select new ValueTest(ValueType.Text, ValueOperator.InList) { Texts = list.ToList() },
            from op in Gen.Elements(ValueOperator.Equals, ValueOperator.NotEquals, ValueOperator.LessThan, ValueOperator.LessOrEqual, ValueOperator.GreaterThan, ValueOperator.GreaterOrEqual, ValueOperator.Between, ValueOperator.Exists)
            from n in Gen.Elements(0.0, 3.5, 12.0, 10.0, 100.0, -1.0, 2.5)
            from to in Gen.Elements(0.0, 12.0, 100.0)
            select new ValueTest(ValueType.Number, op) { Number = n, NumberTo = to },
            from op in Gen.Elements(ValueOperator.IsTrue, ValueOperator.IsFalse, ValueOperator.NotExists)
            select new ValueTest(ValueType.Boolean, op),
            from op in Gen.Elements(ValueOperator.Before, ValueOperator.After, ValueOperator.Between, ValueOperator.WithinLastDays, ValueOperator.WithinNextDays, ValueOperator.MoreThanDaysAgo)
            from date in Gen.Elements(new DateTime(2026, 2, 20, 0, 0, 0, DateTimeKind.Utc), new DateTime(2026, 3, 1, 11, 0, 0, DateTimeKind.Utc), new DateTime(2026, 3, 2, 0, 0, 0, DateTimeKind.Utc))
            from to in Gen.Elements(new DateTime(2026, 3, 1, 11, 0, 0, DateTimeKind.Utc), new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc))
            from days in Gen.Elements(1, 4, 9, 30, 45)
            select new ValueTest(ValueType.Date, op) { Date = date, DateTo = to, Days = days });

    private static Gen<EventWindow?> WindowGen =>
        Gen.Elements<EventWindow?>(
            null,
            new EventWindow(WindowKind.LastDays) { Amount = 30 },
            new EventWindow(WindowKind.LastHours) { Amount = 2 },
            new EventWindow(WindowKind.Between) { From = Now.AddDays(-30), To = Now.AddHours(-1) });

    private static Gen<SegmentNode> LeafGen(int id) =>
        Gen.OneOf(
            from key in Gen.Elements(Keys)
            from test in TestGen
            select (SegmentNode)new AttributeCondition($"n{id}", key, test),
            from name in Gen.Elements(EventNames)
            from performed in Gen.Elements(true, true, false)
            from propertyCount in Gen.Choose(0, 1)
            from path in Gen.Elements("amount", "currency", "item.sku", "when")
            from propertyTest in TestGen
            from count in Gen.Elements<EventCount?>(null, new EventCount(CountOperator.AtLeast, 2), new EventCount(CountOperator.AtMost, 1), new EventCount(CountOperator.Exactly, 0), new EventCount(CountOperator.Exactly, 2))
            from window in WindowGen
            from aggregated in Gen.Elements(false, true)
            from function in Gen.Elements(AggregateFunction.Sum, AggregateFunction.Avg, AggregateFunction.Min, AggregateFunction.Max)
            from op in Gen.Elements(ValueOperator.GreaterOrEqual, ValueOperator.LessThan, ValueOperator.Equals, ValueOperator.NotEquals, ValueOperator.Between)
            from n in Gen.Elements(0.0, 10.0, 12.5, 100.0, 0.3)
            select (SegmentNode)new EventCondition($"n{id}", name, performed)
            {
                Properties = propertyCount == 0 ? [] : [new PropertyTest(path, propertyTest)],
                Count = count,
                Window = window,
                Aggregate = aggregated ? new EventAggregate(function, "amount", new ValueTest(ValueType.Number, op) { Number = n, NumberTo = 110 }) : null,
            },
            from ns in Gen.Elements(Namespaces)
            from has in Gen.Elements(true, false)
            select (SegmentNode)new IdentityCondition($"n{id}", ns, has),
            from segment in Gen.Elements(1L, 2L)
            from isIn in Gen.Elements(true, false)
            select (SegmentNode)new SegmentCondition($"n{id}", segment, isIn));

    internal static Gen<SegmentNode> NodeGen(int depth, int id) =>
        depth == 0
            ? LeafGen(id)
            : Gen.OneOf(
                LeafGen(id),
                LeafGen(id),
                from kind in Gen.Elements(GroupKind.AllOf, GroupKind.AnyOf, GroupKind.NoneOf)
                from count in Gen.Choose(0, 3)
                from children in NodeGen(depth - 1, 0).ListOf(count)
                select (SegmentNode)new GroupNode($"g{id}", kind, children.ToList()));

    /// <summary>Gives every node its own id (the generator reuses them), depth first.</summary>
    private static SegmentNode Renumber(SegmentNode node, ref int next)
    {
        var id = $"n{next++}";
        switch (node)
        {
            case GroupNode g:
                var children = new List<SegmentNode>();
                foreach (var child in g.Children)
                {
                    children.Add(Renumber(child, ref next));
                }
                return g with { Id = id, Children = children };
            default:
                return node with { Id = id };
        }
    }

    internal static Arbitrary<Case> Cases =>
        (from profileCount in Gen.Choose(1, 6)
         from profiles in ProfileGen(0).ListOf(profileCount)
         from root in NodeGen(3, 0)
         select new Case(profiles.Select((p, i) => WithId(p, i + 1)).ToList(), new SegmentRule(Renumber(root)))).ToArbitrary();

    internal static SegmentNode Renumber(SegmentNode root)
    {
        var next = 0;
        return Renumber(root, ref next);
    }

    internal static StoredProfile WithId(StoredProfile p, long id)
    {
        foreach (var a in p.Attributes)
        {
            a.ProfileId = id;
        }
        foreach (var e in p.Events)
        {
            e.ProfileId = id;
        }
        return p with { Id = id };
    }

    [FsCheck.Xunit.Property(MaxTest = 400)]
    public Property EvaluatorAndSql_AnyProfilesAndRule_SelectTheSameProfiles() => Prop.ForAll(Cases, c =>
    {
        Store(c.Profiles);
        var live = c.Profiles.Where(p => !p.Merged).Select(p => (p.Id, Facts: Facts(p), Tracked: TrackedFacts(p))).ToList();
        var expected = live.Where(p => SegmentEvaluator.Evaluate(c.Rule, p.Facts, Now).Matches).Select(p => p.Id).ToList();
        var tracked = live.Where(p => SegmentEvaluator.Evaluate(c.Rule, p.Tracked, Now).Matches).Select(p => p.Id).ToList();
        var fast = live.Where(p => SegmentEvaluator.Matches(c.Rule, p.Facts, Now)).Select(p => p.Id).ToList();
        var actual = SegmentSql.ProfileIdsAsync(_connection, c.Rule, Now).GetAwaiter().GetResult();
        var count = SegmentSql.CountAsync(_connection, c.Rule, Now).GetAwaiter().GetResult();
        return (expected.SequenceEqual(actual) && count == expected.Count && expected.SequenceEqual(fast) && expected.SequenceEqual(tracked))
            .Label($"evaluator [{string.Join(",", expected)}] vs SQL [{string.Join(",", actual)}] (count {count}) vs Matches [{string.Join(",", fast)}]"
                + $" vs the track events alone [{string.Join(",", tracked)}]");
    });

    [FsCheck.Xunit.Property(MaxTest = 400)]
    public Property NextClockChange_AnyProfileAndRule_NothingChangesBeforeIt() => Prop.ForAll(Cases, c =>
    {
        foreach (var facts in c.Profiles.Select(Facts))
        {
            var next = SegmentDependencies.NextClockChange(c.Rule, facts, Now);
            var atNow = SegmentEvaluator.Matches(c.Rule, facts, Now);
            DateTime[] probes = next is { } n
                ? [n.AddTicks(-1), Now + (n - Now) / 2, Now.AddTicks(1)]
                : [Now.AddDays(400), Now.AddHours(1), Now.AddTicks(1)];
            foreach (var at in probes.Where(t => t > Now && (next is null || t < next)))
            {
                if (SegmentEvaluator.Matches(c.Rule, facts, at) != atNow)
                {
                    return false.Label($"profile {facts.ProfileId}: {atNow} at now, {!atNow} at {at:O} before the next change {next:O}");
                }
            }
        }
        return true.Label("ok");
    });

    internal static SegmentProfileFacts Facts(StoredProfile p) =>
        SegmentProfileFacts.FromStored(p.Id, p.Attributes, p.Events,
            p.Namespaces.Select(ns => new IdentityRecord { Namespace = ns, Value = $"{ns}-{p.Id}", ProfileId = p.Id }), p.Segments);

    /// <summary>The facts of the profile's rows with its page and screen views left out here: what every path must select on.</summary>
    internal static SegmentProfileFacts TrackedFacts(StoredProfile p) => Facts(p with { Events = [.. p.Events.Where(e => e.Type == "track")] });

    private void Store(IReadOnlyList<StoredProfile> profiles) => Store(_connection, profiles);

    /// <summary>Replaces every profile's rows in the database with these (and the memberships temp table on this connection).</summary>
    internal static void Store(SqliteConnection connection, IReadOnlyList<StoredProfile> profiles)
    {
        using var transaction = connection.BeginTransaction();
        Execute(transaction, "DELETE FROM ProfileAttributes; DELETE FROM ProfileEvents; DELETE FROM Identities; DELETE FROM Profiles;");
        foreach (var p in profiles)
        {
            Execute(transaction, "INSERT INTO Profiles (Id, CreatedAt, UpdatedAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES ($id, $t, $t, $merged, 0, 0)",
                ("$id", p.Id), ("$t", Now), ("$merged", p.Merged ? 999L : DBNull.Value));
            foreach (var a in p.Attributes)
            {
                Execute(transaction, "INSERT INTO ProfileAttributes (ProfileId, SourceId, Key, ValueJson, EventAt, MessageId) VALUES ($p, $s, $k, $v, $t, $m)",
                    ("$p", p.Id), ("$s", a.SourceId), ("$k", a.Key), ("$v", (object?)a.ValueJson ?? DBNull.Value), ("$t", a.EventAt), ("$m", a.MessageId));
            }
            foreach (var e in p.Events)
            {
                Execute(transaction, "INSERT INTO ProfileEvents (ProfileId, MessageId, SourceId, Type, Name, EventAt, PropertiesJson) VALUES ($p, 0, 1, $type, $n, $t, $j)",
                    ("$p", p.Id), ("$type", e.Type), ("$n", e.Name), ("$t", e.EventAt), ("$j", e.PropertiesJson));
            }
            foreach (var ns in p.Namespaces)
            {
                Execute(transaction, "INSERT INTO Identities (Namespace, Value, ProfileId, SourceId, FirstMessageId, LastMessageId, FirstSeenAt, LastSeenAt) VALUES ($ns, $v, $p, 1, 0, 0, $t, $t)",
                    ("$ns", ns), ("$v", $"{ns}-{p.Id}"), ("$p", p.Id), ("$t", Now));
            }
        }
        transaction.Commit();
        SegmentSql.LoadMembershipsAsync(connection, profiles.SelectMany(p => p.Segments.Select(s => (s, p.Id)))).GetAwaiter().GetResult();
    }

    private static void Execute(SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }

    [Theory]
    [InlineData(AggregateFunction.Sum, ValueOperator.GreaterOrEqual, 100.0, true)]
    [InlineData(AggregateFunction.Sum, ValueOperator.LessThan, 100.0, false)]
    [InlineData(AggregateFunction.Sum, ValueOperator.Equals, 100.0, true)]
    [InlineData(AggregateFunction.Avg, ValueOperator.Equals, 33.333333333333336, true)]
    public async Task ATotalOfDecimalFractions_IsExact_OnTheEvaluatorTheIndexAndSql(AggregateFunction function, ValueOperator op, double number, bool member)
    {
        // A customer who spent 99.99 + 0.005 + 0.005 spent 100 (added as doubles: 99.99999999999999, so "at least 100" failed).
        var events = new[] { "99.99", "0.005", "0.005" }.Select((amount, i) => new ProfileEvent
        {
            ProfileId = 1, Name = "Order Completed", Type = "track", EventAt = Now.AddHours(-1 - i), PropertiesJson = $"{{\"amount\":{amount}}}", SourceId = 1,
        }).ToList();
        var profile = new StoredProfile(1, false, [], events, [], []);
        Store([profile]);
        var rule = new SegmentRule(new EventCondition("n", "Order Completed", Performed: true)
        {
            Aggregate = new EventAggregate(function, "amount", new ValueTest(ValueType.Number, op) { Number = number }),
        });
        var facts = Facts(profile);
        using var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options);
        var index = await SegmentIndexLoader.LoadAllAsync(db, Now, default);

        Assert.Equal(member, SegmentEvaluator.Evaluate(rule, facts, Now).Matches);
        Assert.Equal(member, SegmentEvaluator.Matches(rule, facts, Now));
        Assert.Equal(member ? [1L] : [], await SegmentSql.ProfileIdsAsync(_connection, rule, Now));
        Assert.Equal(member ? [1L] : [], index.MatchingIds(rule, Now, new Dictionary<long, IReadOnlySet<long>>()));
    }

    [Fact]
    public async Task PageViewsNamedAsATrackEvent_AreNotPerformingIt_OnTheEvaluatorTheIndexAndSql()
    {
        // page('Order Completed') on a thank-you page, three times, and a screen of that name: no order was completed.
        var views = new[] { "page", "page", "page", "screen" }.Select((type, i) => new ProfileEvent
        {
            ProfileId = 1, Name = "Order Completed", Type = type, EventAt = Now.AddDays(-1 - i), PropertiesJson = "{\"amount\":100}", SourceId = 1,
        }).ToList();
        var buyer = new ProfileEvent { ProfileId = 2, Name = "Order Completed", Type = "track", EventAt = Now.AddDays(-1), PropertiesJson = "{\"amount\":5}", SourceId = 1 };
        var profiles = new[] { new StoredProfile(1, false, [], views, [], []), new StoredProfile(2, false, [], [buyer], [], []) };
        Store(profiles);
        var performed = new SegmentRule(new EventCondition("n", "Order Completed", Performed: true)
        {
            Count = new EventCount(CountOperator.AtLeast, 1),
            Window = new EventWindow(WindowKind.LastDays) { Amount = 30 },
        });
        var spent = new SegmentRule(new EventCondition("n", "Order Completed", Performed: true)
        {
            Aggregate = new EventAggregate(AggregateFunction.Sum, "amount", new ValueTest(ValueType.Number, ValueOperator.GreaterOrEqual) { Number = 100 }),
        });
        var never = new SegmentRule(new EventCondition("n", "Order Completed", Performed: false));
        using var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options);
        var index = await SegmentIndexLoader.LoadAllAsync(db, Now, default);
        var (current, _) = await SegmentIndexLoader.LoadProfilesAsync(db, [1, 2], Now, default);
        var perProfile = SegmentIndex.Build(current);
        var none = new Dictionary<long, IReadOnlySet<long>>();

        foreach (var (rule, members) in new (SegmentRule, long[])[] { (performed, [2]), (spent, []), (never, [1]) })
        {
            Assert.Equal(members, profiles.Where(p => SegmentEvaluator.Evaluate(rule, Facts(p), Now).Matches).Select(p => p.Id));
            Assert.Equal(members, profiles.Where(p => SegmentEvaluator.Matches(rule, Facts(p), Now)).Select(p => p.Id));
            Assert.Equal(members, await SegmentSql.ProfileIdsAsync(_connection, rule, Now));
            Assert.Equal(members, index.MatchingIds(rule, Now, none));
            Assert.Equal(members, perProfile.MatchingIds(rule, Now, none));
        }
        Assert.Null(SegmentDependencies.NextClockChange(performed, Facts(profiles[0]), Now)); // no view falls out of the window to change it
    }

    [Fact]
    public void Facts_ReadBackThroughEf_AreTheFactsOfTheGeneratedRows()
    {
        // The SQL path reads the stored text; the evaluator the objects. The event times must survive the trip unchanged.
        var profile = new StoredProfile(1, false, [], [new ProfileEvent { ProfileId = 1, Name = "Order Completed", Type = "track", EventAt = Now + EventOffsets[2], PropertiesJson = "{}" }], [], []);
        Store([profile]);
        using var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options);
        var stored = db.ProfileEvents.Single();
        Assert.Equal(Now + EventOffsets[2], stored.EventAt);
        Assert.Equal(JsonValueKind.Object, SegmentProfileFacts.Properties(stored.PropertiesJson).ValueKind);
    }
}
