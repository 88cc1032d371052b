using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Schema;

/// <summary>
/// The union schema and event catalog kept from the change feed equal a recount from stored data, on
/// real SQLite, through real unification runs, merges (shared identifiers), deletes and splits.
/// </summary>
public sealed class SchemaMaintainerTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 11, 20, 12, 0, 0, DateTimeKind.Utc);
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;
    private readonly IDbContextFactory<ProfileStudioDbContext> _dbFactory;
    private long _feedPosition;
    private long _messageIds;

    public SchemaMaintainerTests()
    {
        var options = new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options;
        using (var db = new ProfileStudioDbContext(options))
        {
            db.Database.Migrate();
            db.Database.OpenConnection();
            SqliteConsumerTables.MoveOut((SqliteConnection)db.Database.GetDbConnection()); // as the migrator does: the counts in their own file
            db.Sources.AddRange(
                new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "a", WriteKeyHint = "a" },
                new Source { Name = "CRM", Kind = SourceKind.Batch, WriteKeyHash = "b", WriteKeyHint = "b" });
            db.SaveChanges();
        }
        _dbFactory = new PooledDbContextFactory<ProfileStudioDbContext>(options);
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
    }

    /// <summary>One step: a message, or the deletion of the profile holding an identifier, or a split removing one.</summary>
    public sealed record Step(int Kind, int Source, string Type, string? UserId, string? AnonymousId, string? Email, int Trait, int Value, int Day);

    private static readonly string[] Traits = ["name", "age", "vip", "birthday", "tags", "address.city", "address", "score"];
    private static readonly JsonNode?[] Values = ["Ada", 42, true, "1990-05-01", new JsonArray("a", "b"), "Paris", new JsonObject(), 3.5, null, "later"];

    private static Gen<Step> StepGen =>
        from kind in Gen.Frequency((14, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)))
        from source in Gen.Choose(1, 2)
        from type in Gen.Elements("identify", "identify", "track", "page", "screen")
        from user in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Gen.Choose(1, 4).Select(i => (string?)$"u{i}")))
        from anon in Gen.Frequency((1, Gen.Constant<string?>(null)), (3, Gen.Choose(1, 6).Select(i => (string?)$"a{i}")))
        from email in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Gen.Elements<string?>("e1@x.test", "e2@x.test")))
        from trait in Gen.Choose(0, Traits.Length - 1)
        from value in Gen.Choose(0, Values.Length - 1)
        from day in Gen.Choose(-40, 1)
        select new Step(kind, source, type, user, anon ?? (user is null ? "a1" : null), email, trait, value, day);

    [FsCheck.Xunit.Property(MaxTest = 40)]
    public Property Incremental_OverRunsMergesDeletesAndSplits_EqualsARecountFromStoredData()
    {
        return Prop.ForAll(StepGen.ListOf().Where(l => l.Count is > 0 and <= 50).ToArbitrary(), Gen.Choose(1, 6).ToArbitrary(), (steps, runSize) =>
        {
            Reset();
            var maintainer = Maintainer();
            maintainer.RecountAsync().GetAwaiter().GetResult(); // built (empty) before the first change, as the back-fill does
            var pending = new List<Step>();
            foreach (var step in steps)
            {
                if (step.Kind == 0)
                {
                    pending.Add(step);
                    if (pending.Count >= runSize)
                    {
                        Unify(pending, maintainer);
                    }
                    continue;
                }
                Unify(pending, maintainer);
                if (ProfileHolding(step.AnonymousId ?? step.UserId!) is { } profile)
                {
                    if (step.Kind == 1)
                    {
                        new SqliteProfileDeletion(_connection).Run(profile, eraseFromLake: false, IdentityRules.Default, Now);
                    }
                    else
                    {
                        Split(profile);
                    }
                    Consume(maintainer);
                }
            }
            Unify(pending, maintainer);
            var incremental = Snapshot();

            Maintainer().RecountAsync().GetAwaiter().GetResult();
            var recounted = Snapshot();

            return (incremental.SequenceEqual(recounted) && incremental.Contains($"live={LiveProfiles()}"))
                .Label($"incremental:\n{string.Join("\n", incremental)}\nrecount:\n{string.Join("\n", recounted)}\nlive {LiveProfiles()}");
        });
    }

    [Fact]
    public async Task HandleAsync_TwoProfilesMerge_FillCountsTheSurvivorOnce()
    {
        var maintainer = Maintainer();
        await maintainer.RecountAsync();
        Unify([new Step(0, 1, "identify", null, "a1", null, 0, 0, 0), new Step(0, 2, "identify", null, "a2", null, 0, 9, 0)], maintainer);
        Assert.Contains("name profiles=2 types=text:2 sources=1:1,2:1", Snapshot());

        Unify([new Step(0, 1, "identify", "u1", "a1", null, 1, 1, 0), new Step(0, 1, "identify", "u1", "a2", null, 1, 1, 0)], maintainer);

        var snapshot = Snapshot();
        Assert.Contains("live=1", snapshot);
        Assert.Contains("name profiles=1 types=text:2 sources=1:1,2:1", snapshot);
        Assert.Contains("age profiles=1 types=number:1 sources=1:1", snapshot);
    }

    [Fact]
    public async Task HandleAsync_ProfileDeleted_ItsPathsAndExamplesGo()
    {
        var maintainer = Maintainer();
        await maintainer.RecountAsync();
        Unify([new Step(0, 1, "identify", null, "a1", null, 0, 0, 0), new Step(0, 1, "identify", null, "a2", null, 0, 9, 0), new Step(0, 1, "identify", null, "a2", null, 2, 2, 0)], maintainer);
        var catalog = new SchemaCatalog(_dbFactory, new FakeTimeProvider(Now));
        Assert.Equal(["Ada", "later"], (await catalog.AttributeAsync("name"))!.Examples.Order());

        new SqliteProfileDeletion(_connection).Run(ProfileHolding("a1")!.Value, eraseFromLake: false, IdentityRules.Default, Now);
        Assert.DoesNotContain("Ada", (await catalog.AttributeAsync("name"))!.Examples); // gone with the delete itself, before the consumer runs
        Consume(maintainer);

        var name = (await catalog.AttributeAsync("name"))!;
        Assert.Equal(["later"], name.Examples);
        Assert.Equal((1, 1L), (name.ProfileCount, name.LiveProfiles));
        new SqliteProfileDeletion(_connection).Run(ProfileHolding("a2")!.Value, eraseFromLake: false, IdentityRules.Default, Now);
        Consume(maintainer);
        Assert.Null(await catalog.AttributeAsync("vip"));
        Assert.Equal((0, 0, 0L), await catalog.TotalsAsync());
    }

    [Fact]
    public async Task HandleAsync_Events_CountedOncePerEventWithDailyVolumeSourcesAndPropertyTypes()
    {
        var maintainer = Maintainer();
        await maintainer.RecountAsync();
        Unify([new Step(0, 1, "track", null, "a1", null, 1, 1, 0), new Step(0, 2, "track", null, "a2", null, 0, 0, -1), new Step(0, 1, "page", null, "a1", null, 0, 0, 0)], maintainer);
        Consume(maintainer); // handed the same rows again (at least once): nothing is counted twice
        await maintainer.HandleAsync([new ProfileChange { Id = 1, ProfileId = ProfileHolding("a1")!.Value, Kinds = ProfileChangeKinds.Events }]);

        var catalog = new SchemaCatalog(_dbFactory, new FakeTimeProvider(Now));
        var purchase = (await catalog.EventAsync("track:Order Completed"))!;
        Assert.Equal(2, purchase.Count);
        Assert.Equal([1L, 1L], purchase.Volume.Skip(28));
        Assert.Equal(["CRM", "Web"], purchase.Sources.Select(s => s.Name).Order());
        Assert.Equal([("age", "number"), ("name", "text")], purchase.Properties.Select(p => (p.Path, p.Type)));
        var page = (await catalog.EventAsync("page"))!;
        Assert.Equal(("Page viewed", 1L), (page.Name, page.Count));
        Assert.Equal([("/pricing", 1L)], page.Names);
        Assert.Equal(["age", "name"], (await catalog.EventPropertiesAsync(["track:Order Completed", "page"])).Select(p => p.Path));
    }

    private SchemaMaintainer Maintainer() => new(_dbFactory, new FakeTimeProvider(Now), NullLogger<SchemaMaintainer>.Instance);

    private void Reset()
    {
        foreach (var table in new[] { "IdentityLinks", "Identities", "ProfileAttributes", "ProfileEvents", "IdentityInsights", "Profiles", "UnificationCheckpoints", "RawMessages", "ProfileChanges", "NeverLinkRules", "DeletedProfiles", "SetAsideMessages" })
        {
            Execute($"DELETE FROM {table}");
        }
        _feedPosition = 0;
    }

    private void Unify(List<Step> steps, SchemaMaintainer maintainer)
    {
        if (steps.Count == 0)
        {
            return;
        }
        WriteLake(steps);
        steps.Clear();
        using var store = new SqliteUnificationStore(_connection);
        while (store.ReadLake(store.ReadCheckpoint(), 1000) is { Count: > 0 } batch)
        {
            store.Apply(new UnificationEngine(store.RestoreGraph(IdentityRules.Default)).Process(batch), Now);
        }
        Consume(maintainer);
    }

    /// <summary>Hands the feed rows after the last position to the maintainer, as the host does.</summary>
    private void Consume(SchemaMaintainer maintainer)
    {
        var rows = new List<ProfileChange>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT Id, ProfileId, Kinds, OtherProfileId FROM ProfileChanges WHERE Id > $p ORDER BY Id";
            command.Parameters.AddWithValue("$p", _feedPosition);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(new ProfileChange { Id = reader.GetInt64(0), ProfileId = reader.GetInt64(1), Kinds = (ProfileChangeKinds)reader.GetInt32(2), OtherProfileId = reader.IsDBNull(3) ? null : reader.GetInt64(3) });
            }
        }
        if (rows.Count > 0)
        {
            maintainer.HandleAsync(rows).GetAwaiter().GetResult();
            _feedPosition = rows[^1].Id;
        }
    }

    private void Split(long profile)
    {
        var members = new List<IdentityKey>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT Namespace, Value FROM Identities WHERE ProfileId = $p ORDER BY Namespace, Value";
            command.Parameters.AddWithValue("$p", profile);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                members.Add(new IdentityKey(reader.GetString(0), reader.GetString(1)));
            }
        }
        if (members.Count < 2)
        {
            return;
        }
        foreach (var other in members.Skip(1))
        {
            Execute("INSERT INTO NeverLinkRules (NamespaceA, ValueA, NamespaceB, ValueB, CreatedAt, CreatedBy) VALUES ($a, $av, $b, $bv, $at, 'test')",
                ("$a", members[0].Namespace), ("$av", members[0].Value), ("$b", other.Namespace), ("$bv", other.Value), ("$at", Now));
        }
        using var reading = new SqliteConnection(_directory.ConnectionString);
        reading.Open();
        using var store = new SqliteUnificationStore(_connection);
        new SqliteComponentSplit(reading, store).Run(profile, IdentityRules.Default, store.ReadCheckpoint(), Now, members[0]);
    }

    private long? ProfileHolding(string identifier)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT ProfileId FROM Identities WHERE Value = $v LIMIT 1";
        command.Parameters.AddWithValue("$v", identifier);
        return command.ExecuteScalar() as long?;
    }

    private long LiveProfiles()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM Profiles WHERE MergedIntoId IS NULL";
        return (long)command.ExecuteScalar()!;
    }

    private void WriteLake(List<Step> steps)
    {
        foreach (var step in steps)
        {
            var payload = new JsonObject { ["type"] = step.Type };
            if (step.UserId is not null) payload["userId"] = step.UserId;
            if (step.AnonymousId is not null) payload["anonymousId"] = step.AnonymousId;
            var path = Traits[step.Trait].Split('.');
            var values = new JsonObject();
            var target = values;
            foreach (var part in path[..^1])
            {
                target = (JsonObject)(target[part] ??= new JsonObject());
            }
            target[path[^1]] = Values[step.Value]?.DeepClone();
            if (step.Email is not null) values["email"] = step.Email;
            switch (step.Type)
            {
                case "identify": payload["traits"] = values; break;
                case "track": payload["event"] = "Order Completed"; payload["properties"] = values; break;
                case "page": payload["name"] = "/pricing"; payload["properties"] = values; break;
                default: payload["name"] = "Home"; payload["properties"] = values; break;
            }
            var at = Now.AddDays(step.Day).AddMinutes(_messageIds);
            Execute("INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES ($s, $id, $t, $r, $e, $p, 1)",
                ("$s", step.Source), ("$id", $"m{_messageIds++}"), ("$t", step.Type), ("$r", at), ("$e", at), ("$p", payload.ToJsonString()));
        }
    }

    /// <summary>The maintained figures the property compares (first/last seen and attribute examples are history, see the maintainer).</summary>
    private List<string> Snapshot()
    {
        using var db = _dbFactory.CreateDbContext();
        db.Database.OpenConnection();
        SqliteConsumerTables.Attach((SqliteConnection)db.Database.GetDbConnection());
        var rows = new List<string> { $"live={db.SchemaStates.Single().LiveProfiles}" };
        foreach (var a in db.SchemaAttributes.AsNoTracking().ToList().OrderBy(a => a.Path, StringComparer.Ordinal))
        {
            var t = AttributeTally.From(a);
            rows.Add($"{a.Path} profiles={a.ProfileCount} types={Join(t.Types)} sources={Join(t.Sources)}");
        }
        var examples = db.SchemaEventExamples.AsNoTracking().ToList().ToLookup(x => (x.EventKey, x.Path), x => x.Value);
        foreach (var e in db.SchemaEvents.AsNoTracking().ToList().OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var t = EventTally.From(e, examples);
            rows.Add($"{e.Key} '{e.Name}' count={e.Count} {e.FirstSeenAt:O}..{e.LastSeenAt:O} sources={Join(t.Sources)} daily={Join(t.Daily)} names={Join(t.Names)}+{t.OtherNames} " +
                string.Join(" ", t.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{p.Value.Count}:{Join(p.Value.Types)}:{string.Join("|", p.Value.Examples.Order(StringComparer.Ordinal))}")));
        }
        return rows;
    }

    private static string Join<TKey>(IEnumerable<KeyValuePair<TKey, long>> counts) =>
        string.Join(",", counts.Select(c => $"{c.Key}:{c.Value}").Order(StringComparer.Ordinal));

    private void Execute(string sql, params (string, object)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _connection.Dispose();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
