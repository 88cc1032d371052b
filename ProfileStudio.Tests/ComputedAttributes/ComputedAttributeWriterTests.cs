using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>The computed-attributes writer when the stage's snapshot of a definition is older than the stored one. Real SQLite.</summary>
public sealed class ComputedAttributeWriterTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 6, 15, 10, 30, 0, DateTimeKind.Utc);
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;

    public ComputedAttributeWriterTests()
    {
        _directory.MigrateWithWebSource();
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
    }

    [Fact]
    public void ASurvivorOfAMerge_GetsNoInputsTheStageReadForAnOlderVersion_OfAnEditedDefinition()
    {
        // Version 1 counted "Visit"; version 2 (stored, backfilled) counts "Order". The stage still has version 1.
        var stored = new ComputedAttributeDefinition
        {
            Name = "orders", Function = ComputedFunction.Count, EventNames = ["Order"], Status = ComputedStatus.Active,
            Version = 2, BackfillVersion = 2, BackfillDone = true,
        };
        var (catalog, pipeline, store) = Start(stored);

        // First run, the stage up to date: u1 orders once, a1 (another profile) visits.
        Message(1, "Order", userId: "u1");
        Message(2, "Visit", anonymousId: "a1");
        catalog.Publish([stored.ToSpec()]);
        Run(store, pipeline, 0);
        Assert.Equal("1", Value(Profile("u1"), stored.Id));

        // Second run, the stage's snapshot is version 1: a visit that joins u1 and a1.
        Message(3, "Visit", userId: "u1", anonymousId: "a1");
        catalog.Publish([stored.ToSpec() with { Version = 1, EventNames = ["Visit"] }]);
        Run(store, pipeline, store.ReadCheckpoint());

        // Version 2 counts orders: still one; the visits version 1 counted are not added.
        Assert.Equal("1", Value(Profile("u1"), stored.Id));
    }

    [Fact]
    public void ManyProfilesInARun_AreAllStored_ThroughBatchesOfEveryKind()
    {
        // 150 rows of a kind: batches of 64, 64, 16, 4 and 2. A count for 7 days (its next expiry moves as the oldest event changes)
        // beside one for all time gives inserts, then updates that move the row's expiry.
        var all = new ComputedAttributeDefinition
        {
            Name = "orders", Function = ComputedFunction.Count, EventNames = ["Order"], Status = ComputedStatus.Active,
            Version = 1, BackfillVersion = 1, BackfillDone = true,
        };
        var week = new ComputedAttributeDefinition
        {
            Name = "orders_7d", Function = ComputedFunction.Count, EventNames = ["Order"], WindowUnit = WindowUnit.Days, WindowSize = 7,
            Status = ComputedStatus.Active, Version = 1, BackfillVersion = 1, BackfillDone = true,
        };
        var (catalog, pipeline, store) = Start(all, week);
        catalog.Publish([all.ToSpec(), week.ToSpec()]);
        const int people = 150;
        for (var i = 0; i < people; i++)
        {
            Message(i + 1, "Order", userId: $"u{i}", at: Now.AddMinutes(-1));
        }
        Run(store, pipeline, 0, take: 1000);
        for (var i = 0; i < people; i++)
        {
            Message(people + i + 1, "Order", userId: $"u{i}", at: Now.AddDays(-3)); // older: the 7-day state's next expiry moves
        }
        Run(store, pipeline, store.ReadCheckpoint(), take: 1000);

        for (var i = 0; i < people; i++)
        {
            Assert.Equal("2", Value(Profile($"u{i}"), all.Id));
            Assert.Equal("2", Value(Profile($"u{i}"), week.Id));
        }
        using var rows = _connection.CreateCommand();
        rows.CommandText = "SELECT count(*) FROM ComputedProfileStates";
        Assert.Equal((long)people, rows.ExecuteScalar()); // one row per profile, both definitions in it
        // The 7-day count drops when the order of 3 days ago leaves its window: in 4 days, not 7.
        rows.CommandText = $"SELECT count(*) FROM ComputedProfileStates WHERE NextExpiryAt < '{SqliteStatement.Text(Now.AddDays(5))}'";
        Assert.Equal((long)people, rows.ExecuteScalar());
    }

    /// <summary>Stores the definitions and opens a store whose pipeline computes what the returned catalog publishes.</summary>
    private (ComputedDefinitionCatalog Catalog, UnificationPipeline Pipeline, SqliteUnificationStore Store) Start(params ComputedAttributeDefinition[] definitions)
    {
        using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options))
        {
            db.ComputedAttributeDefinitions.AddRange(definitions);
            db.SaveChanges();
        }
        var catalog = new ComputedDefinitionCatalog();
        var pipeline = UnificationPipeline.Default.WithComputedAttributes(catalog);
        var store = new SqliteUnificationStore(_connection, pipeline: pipeline);
        store.Clear();
        return (catalog, pipeline, store);
    }

    private static void Run(SqliteUnificationStore store, UnificationPipeline pipeline, long checkpoint, int take = 100)
    {
        var engine = new UnificationEngine(store.RestoreGraph(IdentityRules.Default), pipeline: pipeline);
        store.Apply(engine.Process(store.ReadLake(checkpoint, take)), Now);
    }

    private void Message(int id, string name, string? userId = null, string? anonymousId = null, DateTime? at = null)
    {
        var payload = new JsonObject { ["type"] = "track", ["event"] = name, ["properties"] = new JsonObject() };
        if (userId is not null)
        {
            payload["userId"] = userId;
        }
        if (anonymousId is not null)
        {
            payload["anonymousId"] = anonymousId;
        }
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES (1, $id, 'track', $at, $at, $p, 1)";
        command.Parameters.AddWithValue("$id", $"m{id}");
        command.Parameters.AddWithValue("$at", at ?? Now.AddMinutes(id - 10));
        command.Parameters.AddWithValue("$p", payload.ToJsonString());
        command.ExecuteNonQuery();
    }

    private long Profile(string userId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT ProfileId FROM Identities WHERE Namespace = 'user_id' AND Value = $v";
        command.Parameters.AddWithValue("$v", userId);
        return (long)command.ExecuteScalar()!;
    }

    private string? Value(long profile, int definition)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT Entries FROM ComputedProfileStates WHERE ProfileId = $p";
        command.Parameters.AddWithValue("$p", profile);
        return command.ExecuteScalar() is byte[] entries ? ComputedEntries.Find(entries, definition)?.ValueJson : null;
    }

    public void Dispose()
    {
        _connection.Dispose();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
