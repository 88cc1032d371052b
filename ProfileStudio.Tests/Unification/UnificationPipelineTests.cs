using Microsoft.Extensions.Time.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using ProfileStudio.Core.Unification.Stages;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Unification;

/// <summary>A new capability is one stage and its writer: it reads the earlier stages' changes and is written in the run's transaction.</summary>
public sealed class UnificationPipelineTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;

    public UnificationPipelineTests()
    {
        _directory.MigrateWithWebSource();
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
        Execute("CREATE TABLE OrderCounts (ProfileId INTEGER PRIMARY KEY, Orders INTEGER NOT NULL)");
    }

    /// <summary>A stage a later feature might add: orders per profile, from the fragment stage's events.</summary>
    private sealed class OrderCounts : IStageChanges
    {
        public Dictionary<long, int> Orders { get; } = [];

        public void Describe(ProfileChangeMarks marks)
        {
            foreach (var profile in Orders.Keys)
            {
                marks.Mark(profile, ProfileChangeKinds.Attributes);
            }
        }
    }

    private sealed class OrderCountStage : IUnificationStage
    {
        public IStageChanges Process(UnificationRun run)
        {
            var counts = new OrderCounts();
            foreach (var e in run.Output<FragmentChanges>().Events.Where(e => e.Name == "Order Completed"))
            {
                counts.Orders[e.ProfileId] = counts.Orders.GetValueOrDefault(e.ProfileId) + 1;
            }
            return counts;
        }
    }

    private sealed class OrderCountWriter : StageWriter<OrderCounts>
    {
        protected override void Write(OrderCounts changes, StageWriteContext context)
        {
            foreach (var (profile, orders) in changes.Orders)
            {
                context.Statement("INSERT INTO OrderCounts (ProfileId, Orders) VALUES (?1, ?2) ON CONFLICT (ProfileId) DO UPDATE SET Orders = Orders + excluded.Orders")
                    .Bind(1, profile).Bind(2, orders).Execute();
            }
        }
    }

    [Fact]
    public async Task AStageAddedWithItsWriter_ReadsEarlierStages_AndIsWrittenWithTheRun()
    {
        Lake("""{"type":"track","userId":"u1","event":"Order Completed"}""", """{"type":"track","userId":"u1","event":"Viewed"}""",
             """{"type":"track","userId":"u2","event":"Order Completed"}""", """{"type":"track","userId":"u1","event":"Order Completed"}""");
        var pipeline = UnificationPipeline.Default.With(new OrderCountStage(), new OrderCountWriter());
        var store = new SqliteUnificationStore(_connection, pipeline: pipeline);
        using var reading = new SqliteConnection(_directory.ConnectionString);
        reading.Open();

        await using (var session = new SqliteUnificationSession(reading, _connection))
        await using (var runner = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(IdentityRules.Default), pipeline: pipeline), TimeProvider.System))
        {
            await runner.CatchUpAsync(0, runSize: 3, null, CancellationToken.None);
        }

        Assert.Equal([(1L, 2L), (2L, 1L)], Rows("SELECT ProfileId, Orders FROM OrderCounts ORDER BY ProfileId"));
        // Its changes are in the change feed with the run's own (the profile is new: first seen).
        Assert.Contains((2L, (long)(ProfileChangeKinds.Identities | ProfileChangeKinds.Events | ProfileChangeKinds.Attributes | ProfileChangeKinds.FirstSeen | ProfileChangeKinds.Created)),
            Rows("SELECT ProfileId, Kinds FROM ProfileChanges"));
    }

    /// <summary>A writer that takes a while: the clock moves on while it writes.</summary>
    private sealed class SlowWriter(FakeTimeProvider clock, TimeSpan takes) : StageWriter<OrderCounts>
    {
        protected override void Write(OrderCounts changes, StageWriteContext context) => clock.Advance(takes);
    }

    [Fact]
    public async Task AFeedRow_IsStampedWhenItIsAppended_AfterTheRunsStagesWrote_NotWhenTheRunBegan()
    {
        // A consumer's lag (the oldest unread row's age, /metrics) must not count the time the run spent writing before
        // the row could be read: that is unification's lag.
        Lake("""{"type":"track","userId":"u1","event":"Order Completed"}""");
        var began = new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(began);
        var pipeline = UnificationPipeline.Default.With(new OrderCountStage(), new SlowWriter(clock, TimeSpan.FromSeconds(3)));
        var store = new SqliteUnificationStore(_connection, pipeline: pipeline);
        using var reading = new SqliteConnection(_directory.ConnectionString);
        reading.Open();

        await using (var session = new SqliteUnificationSession(reading, _connection, clock, pipeline: pipeline))
        await using (var runner = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(IdentityRules.Default), pipeline: pipeline), clock))
        {
            await runner.CatchUpAsync(0, runSize: 10, null, CancellationToken.None);
        }

        using var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options);
        var feed = await db.ProfileChanges.AsNoTracking().ToListAsync();
        Assert.NotEmpty(feed);
        Assert.All(feed, row => Assert.Equal(began.UtcDateTime.AddSeconds(3), row.At));
        // The run's own writes keep the run's time (its checkpoint here).
        using var checkpoint = _connection.CreateCommand();
        checkpoint.CommandText = "SELECT UpdatedAt FROM UnificationCheckpoints";
        Assert.Equal(began.UtcDateTime, DateTime.SpecifyKind(DateTime.Parse((string)checkpoint.ExecuteScalar()!, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc));
    }

    [Fact]
    public void TheDefaultPipeline_ReadsThenResolvesThenRecordsFragments()
    {
        Assert.Equal([typeof(MessageReadStage), typeof(IdentityStage), typeof(FragmentStage)], UnificationPipeline.Default.Stages.Select(s => s.GetType()));
        Assert.Equal([typeof(MessageReadChanges), typeof(IdentityChanges), typeof(FragmentChanges)], UnificationPipeline.Default.Writers.Select(w => w.Changes));
    }

    private void Lake(params string[] payloads)
    {
        var at = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        foreach (var payload in payloads)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES (1, $id, 'track', $at, $at, $p, 1)";
            command.Parameters.AddWithValue("$id", Guid.NewGuid().ToString("N"));
            command.Parameters.AddWithValue("$at", at);
            command.Parameters.AddWithValue("$p", payload);
            command.ExecuteNonQuery();
        }
    }

    private List<(long, long)> Rows(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<(long, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt64(1)));
        }
        return rows;
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _connection.Dispose();
        _directory.Dispose();
    }
}
