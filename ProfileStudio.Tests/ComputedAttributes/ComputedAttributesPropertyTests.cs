using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>
/// Live values equal values computed from scratch over the same events: for every function and every
/// kind of window, through merges (identifiers that join two profiles), restarts between runs (the
/// graph restored from storage), runs whose stage had a stale list of definitions, a backfill
/// interleaved with live runs, the clock moving between runs (then the expiry job), and splits.
/// The distinct-value bound is 3 here, so the bounded (overflowing) paths are exercised too. Real SQLite.
/// </summary>
public sealed class ComputedAttributesPropertyTests : IDisposable
{
    private const int DistinctLimit = 3;
    private static readonly DateTime Start = new(2026, 6, 15, 10, 30, 0, DateTimeKind.Utc);
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;
    private readonly List<ComputedAttributeSpec> _specs = [];

    public ComputedAttributesPropertyTests()
    {
        using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options))
        {
            db.Database.Migrate();
            db.Sources.Add(new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "a", WriteKeyHint = "a" });
            var windows = new[] { LookbackWindow.AllTime, LookbackWindow.Hours(5), LookbackWindow.Days(2), LookbackWindow.Weeks(1), LookbackWindow.Months(1) };
            // Every aggregate; expression attributes read other values and are evaluated when read (ExpressionFormula's tests).
            foreach (var function in Enum.GetValues<ComputedFunction>().Where(f => f != ComputedFunction.Expression))
            {
                foreach (var window in windows)
                {
                    var path = function == ComputedFunction.Count ? null : ComputedFunctions.IsNumeric(function) ? "amount" : "item.category";
                    IReadOnlyList<EventCondition> conditions = (function, window.Unit) switch
                    {
                        (ComputedFunction.Count, WindowUnit.Days) => [EventCondition.Of("item.category", ConditionOperator.InList, "shoes", "hats")],
                        (ComputedFunction.Sum, WindowUnit.AllTime) => [EventCondition.Of("amount", ConditionOperator.GreaterThan, "5")],
                        (ComputedFunction.MostFrequent, WindowUnit.Weeks) => [EventCondition.Of("item.category", ConditionOperator.NotEquals, "toys")],
                        (ComputedFunction.Distinct, WindowUnit.Days) => [EventCondition.Of("item.category", ConditionOperator.NotEquals, "1")],
                        _ => [],
                    };
                    var d = new ComputedAttributeDefinition
                    {
                        Name = $"{ComputedFunctions.Key(function)}_{window.Unit}", Function = function, PropertyPath = path,
                        EventNames = function == ComputedFunction.Count ? ["Order", "Visit"] : ["Order"], Conditions = conditions,
                        WindowUnit = window.Unit, WindowSize = window.Size, Status = ComputedStatus.Active, Version = 1,
                    };
                    db.ComputedAttributeDefinitions.Add(d);
                }
            }
            db.SaveChanges();
            _specs.AddRange(db.ComputedAttributeDefinitions.AsEnumerable().Select(d => d.ToSpec()));
        }
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
        using var wal = _connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode=WAL"; // as the app's migrator sets it
        wal.ExecuteNonQuery();
    }

    /// <param name="Amount">The amount's JSON text.</param>
    /// <param name="Category">item.category's JSON text.</param>
    public sealed record Msg(string Event, string? UserId, string? AnonymousId, string? Amount, string? Category, int HoursOffset);

    private static Gen<Msg> MessageGen =>
        from name in Gen.Elements("Order", "Order", "Order", "Visit", "Refund")
        from user in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Gen.Choose(1, 3).Select(i => (string?)$"u{i}")))
        from anon in Gen.Frequency((1, Gen.Constant<string?>(null)), (3, Gen.Choose(1, 6).Select(i => (string?)$"a{i}")))
        from amount in Gen.Elements<string?>(null, "10", "2.5", "7", "\"12\"", "-3", "100.10", "0.1", "1e40", "10.0", "1e1")
        from category in Gen.Frequency(
            (3, Gen.Elements<string?>(null, "\"shoes\"", "\"hats\"", "\"bags\"", "\"books\"", "\"toys\"")),
            // Numbers: 9 and 10 (10 sorts before 9 as text), one number in several texts, numbers beyond a decimal, zero signed.
            (2, Gen.Elements<string?>("9", "10", "10.0", "1e1", "1", "1.0", "1.00", "0.1E1", "-2", "-2.50", "1e40", "1E+40", "10e39", "0", "-0", "0.0")))
        from hours in Gen.Choose(-1500, 300)
        select new Msg(name, user ?? (anon is null ? "u1" : null), anon, amount, category, hours);

    private static Gen<(int Size, int ClockHours, bool StaleStage)> RunGen =>
        from size in Gen.Choose(1, 8)
        from clock in Gen.Frequency((2, Gen.Constant(0)), (3, Gen.Choose(1, 30)), (2, Gen.Choose(100, 900)))
        from stale in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        select (size, clock, stale);

    [FsCheck.Xunit.Property(MaxTest = 40)]
    public Property Live_InRunsWithMergesRestartsAndTheClockMoving_EqualsFromScratch()
    {
        return Prop.ForAll(MessageGen.ListOf().Where(l => l.Count is > 0 and <= 40).ToArbitrary(), RunGen.ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            Gen.Elements(0, 1, 2).ToArbitrary(), (messages, runs, activation) =>
            {
                WriteLake(messages);
                var clock = new FakeTimeProvider(Start);
                Process(runs, backfill: activation > 0, clock, backfillVersionLags: activation == 2);
                return Compare(clock.GetUtcNow().UtcDateTime);
            });
    }

    /// <summary>A split recomputes each part from its own events (the replay runs the computed-attributes stage).</summary>
    [FsCheck.Xunit.Property(MaxTest = 30)]
    public Property Split_EachPartsValues_EqualFromScratch()
    {
        return Prop.ForAll(MessageGen.ListOf().Where(l => l.Count is > 0 and <= 40).ToArbitrary(), Gen.Choose(0, 100).ToArbitrary(), (messages, pick) =>
        {
            WriteLake(messages);
            Execute("DELETE FROM NeverLinkRules");
            var clock = new FakeTimeProvider(Start);
            var (store, _) = Process([(5, 10, false)], backfill: false, clock);
            var members = Members();
            if (members.Where(p => p.Value.Count >= 2).Select(p => p.Key).FirstOrDefault() is not (> 0 and var profile))
            {
                return true.Label("no profile with two identities");
            }
            var removed = members[profile][pick % members[profile].Count];
            foreach (var other in members[profile].Where(m => m != removed))
            {
                Execute("INSERT INTO NeverLinkRules (NamespaceA, ValueA, NamespaceB, ValueB, CreatedAt, CreatedBy) VALUES ($a, $av, $b, $bv, $at, 'test')",
                    ("$a", removed.Namespace), ("$av", removed.Value), ("$b", other.Namespace), ("$bv", other.Value), ("$at", DateTime.UtcNow));
            }
            using var reading = new SqliteConnection(_directory.ConnectionString);
            reading.Open();
            new SqliteComponentSplit(reading, store).Run(profile, IdentityRules.Default, store.ReadCheckpoint(), clock.GetUtcNow().UtcDateTime, removed);
            return Compare(clock.GetUtcNow().UtcDateTime);
        });
    }

    /// <param name="backfillVersionLags">Active rows whose backfill version is behind their version (as an older build or a
    /// hand edit leaves them): the backfill must start them from the first profile, not spin at cursor 0.</param>
    private (SqliteUnificationStore Store, ComputedDefinitionCatalog Catalog) Process(
        (int Size, int ClockHours, bool StaleStage)[] runs, bool backfill, FakeTimeProvider clock, bool backfillVersionLags = false)
    {
        var catalog = new ComputedDefinitionCatalog();
        var pipeline = UnificationPipeline.Default.WithComputedAttributes(catalog, DistinctLimit);
        var store = new SqliteUnificationStore(_connection, pipeline: pipeline);
        store.Clear();
        // Activated before any data (the live writer keeps every profile), or activated now with a backfill to run alongside live runs.
        Execute(backfillVersionLags
            ? "UPDATE ComputedAttributeDefinitions SET BackfillVersion = 0, BackfillCursor = 0, BackfillDone = 0, BackfillStartedAt = NULL, BackfillProcessed = 0"
            : backfill
            ? "UPDATE ComputedAttributeDefinitions SET BackfillVersion = Version, BackfillCursor = 0, BackfillDone = 0, BackfillStartedAt = NULL, BackfillProcessed = 0"
            : "UPDATE ComputedAttributeDefinitions SET BackfillVersion = Version, BackfillDone = 1");
        // Both ways the backfill reads timelines: on a second connection while the first writes (WAL, as the app runs),
        // and on the writing connection itself.
        using var reading = new SqliteConnection(_directory.ConnectionString);
        reading.Open();
        using var maintenance = new ComputedAttributeMaintenance(_connection, clock, DistinctLimit, backfillVersionLags ? null : reading);
        var checkpoint = 0L;
        for (var i = 0; ; i++)
        {
            var (size, hours, stale) = runs[i % runs.Length];
            var batch = store.ReadLake(checkpoint, size);
            if (batch.Count == 0)
            {
                break;
            }
            catalog.Publish(stale ? [] : _specs);
            var engine = new UnificationEngine(store.RestoreGraph(IdentityRules.Default), pipeline: pipeline); // a restart before every run
            store.Apply(engine.Process(batch), clock.GetUtcNow().UtcDateTime);
            checkpoint = store.ReadCheckpoint();
            if (backfill)
            {
                maintenance.BackfillStep(chunk: 2);
            }
            clock.Advance(TimeSpan.FromHours(hours));
            if (i % 3 == 2)
            {
                maintenance.ExpireDue(take: 7);
            }
        }
        // A backfill that never moves its cursor would run for ever: a bound far above any lake here fails it instead.
        var steps = 0;
        maintenance.BackfillAll(chunk: 2, _ => Assert.True(++steps < 10_000, "the backfill does not advance"));
        maintenance.ExpireDue(take: 7);
        return (store, catalog);
    }

    /// <summary>Every live profile's stored values against the from-scratch computation over its timeline, at <paramref name="now"/>.</summary>
    private Property Compare(DateTime now)
    {
        var timelines = new Dictionary<long, List<ComputedEvent>>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT p.Id, e.Name, e.EventAt, e.MessageId, e.PropertiesJson FROM Profiles p LEFT JOIN ProfileEvents e ON e.ProfileId = p.Id WHERE p.MergedIntoId IS NULL";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var profile = reader.GetInt64(0);
                var list = timelines.TryGetValue(profile, out var l) ? l : timelines[profile] = [];
                if (!reader.IsDBNull(1))
                {
                    list.Add(new ComputedEvent(profile, reader.GetString(1), DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc), reader.GetInt64(3), reader.GetString(4)));
                }
            }
        }
        var stored = new Dictionary<(long, int), string?>();
        var strays = new List<string>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT ProfileId, Entries FROM ComputedProfileStates";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var profile = reader.GetInt64(0);
                var entries = ComputedEntries.Decode(reader.GetFieldValue<byte[]>(1));
                if (!timelines.ContainsKey(profile) || entries.Count == 0)
                {
                    strays.Add($"row of profile {profile} with {entries.Count} entries");
                }
                foreach (var entry in entries)
                {
                    if (!stored.TryAdd((profile, entry.DefinitionId), entry.ValueJson))
                    {
                        strays.Add($"two entries of {profile}/{entry.DefinitionId}");
                    }
                }
            }
        }
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT ProfileId, MergedFromId FROM ComputedStateParts";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                strays.Add($"part of {reader.GetInt64(0)} merged from {reader.GetInt64(1)}, never combined");
            }
        }
        var differences = new List<string>(strays);
        foreach (var (profile, events) in timelines)
        {
            foreach (var spec in _specs)
            {
                var (has, expected) = ComputedReference.Compute(spec, events, now, DistinctLimit);
                var found = stored.TryGetValue((profile, spec.Id), out var actual);
                if (has != found || expected != actual)
                {
                    differences.Add($"profile {profile}, {spec.Name}: expected {(has ? expected ?? "null" : "no row")}, stored {(found ? actual ?? "null" : "no row")}");
                }
            }
        }
        return (differences.Count == 0).Label($"at {now:O}:\n{string.Join("\n", differences.Take(20))}");
    }

    private Dictionary<long, List<IdentityKey>> Members()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT ProfileId, Namespace, Value FROM Identities ORDER BY ProfileId, Namespace, Value";
        using var reader = command.ExecuteReader();
        var members = new Dictionary<long, List<IdentityKey>>();
        while (reader.Read())
        {
            var id = reader.GetInt64(0);
            (members.TryGetValue(id, out var list) ? list : members[id] = []).Add(new IdentityKey(reader.GetString(1), reader.GetString(2)));
        }
        return members;
    }

    private void WriteLake(List<Msg> messages)
    {
        Execute("DELETE FROM RawMessages");
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            var properties = new JsonObject();
            if (m.Amount is not null)
            {
                properties["amount"] = JsonNode.Parse(m.Amount);
            }
            if (m.Category is not null)
            {
                properties["item"] = new JsonObject { ["category"] = JsonNode.Parse(m.Category) };
            }
            var payload = new JsonObject { ["type"] = "track", ["event"] = m.Event, ["properties"] = properties };
            if (m.UserId is not null) payload["userId"] = m.UserId;
            if (m.AnonymousId is not null) payload["anonymousId"] = m.AnonymousId;
            Execute("INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES (1, $id, 'track', $r, $e, $p, 1)",
                ("$id", $"m{i}"), ("$r", Start.AddMinutes(i)), ("$e", Start.AddHours(m.HoursOffset).AddMinutes(i)), ("$p", payload.ToJsonString()));
        }
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
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
