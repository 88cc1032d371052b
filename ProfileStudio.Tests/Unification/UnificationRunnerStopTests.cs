using Microsoft.Data.Sqlite;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using ProfileStudio.Core.Unification.Stages;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Unification;

/// <summary>
/// A stop (the host shutting down) interrupts a large run instead of waiting for it: the run's one transaction
/// rolls back, so nothing is half-written and the checkpoint stays; the next catch-up does the run again whole.
/// </summary>
public sealed class UnificationRunnerStopTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _writing;
    private readonly SqliteConnection _reading;

    public UnificationRunnerStopTests()
    {
        _directory.MigrateWithWebSource();
        _writing = new SqliteConnection(_directory.ConnectionString);
        _writing.Open();
        _reading = new SqliteConnection(_directory.ConnectionString);
        _reading.Open();
    }

    /// <summary>Stands for a stop that arrives while a run is being written: after the identity writer, before the fragments.</summary>
    private sealed class StopArrives(CancellationTokenSource stop) : IStageChanges, IUnificationStage, IStageWriter
    {
        public int Writes { get; private set; }

        public void Describe(ProfileChangeMarks marks)
        {
        }

        public IStageChanges Process(UnificationRun run) => this;

        public Type Changes => typeof(StopArrives);

        public void Write(IStageChanges changes, StageWriteContext context)
        {
            Writes++;
            if (Writes == 1)
            {
                stop.Cancel();
            }
            context.Execute("SELECT 1"); // the next statement of the run: where the stop is noticed
        }
    }

    [Fact]
    public async Task CatchUp_StopAskedForDuringTheWrite_RollsTheRunBack_AndTheNextCatchUpCompletesIt()
    {
        Lake(50);
        using var stop = new CancellationTokenSource();
        var stopArrives = new StopArrives(stop);
        // The stop's stage runs between the identity stage and the fragments, so its writer runs in the middle of the run's writes.
        var d = UnificationPipeline.Default;
        var pipeline = new UnificationPipeline([d.Stages[0], d.Stages[1], stopArrives, d.Stages[2]], [d.Writers[0], d.Writers[1], stopArrives, d.Writers[2]]);
        var store = new SqliteUnificationStore(_writing, pipeline: pipeline);
        await using var session = new SqliteUnificationSession(_reading, _writing);
        await using var runner = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(IdentityRules.Default), pipeline: pipeline), TimeProvider.System);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.CatchUpAsync(0, runSize: 50, null, stop.Token));

        Assert.Equal(1, stopArrives.Writes);
        Assert.Equal(0, store.ReadCheckpoint());
        Assert.Equal(new long[] { 0, 0, 0, 0, 0 }, Counts());

        var (checkpoint, messages) = await runner.CatchUpAsync(0, runSize: 50, null, CancellationToken.None);

        Assert.Equal((50L, 50), (checkpoint, messages));
        Assert.Equal(50, store.ReadCheckpoint());
        // 25 people, each with 2 identities (user id, anonymous id) and 2 events; every change in the feed once.
        Assert.Equal(new long[] { 25, 50, 50, 25, 25 }, Counts());
    }

    [Fact]
    public async Task CatchUp_StoppedBetweenRuns_KeepsTheCommittedRuns_AndTheNextCatchUpGoesOnFromThem()
    {
        Lake(40);
        using var stop = new CancellationTokenSource();
        var store = new SqliteUnificationStore(_writing);
        await using var session = new SqliteUnificationSession(_reading, _writing);
        await using var runner = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(IdentityRules.Default)), TimeProvider.System);
        var runs = 0;

        var stopped = await Record.ExceptionAsync(() => runner.CatchUpAsync(0, runSize: 10, _ =>
        {
            if (++runs == 2)
            {
                stop.Cancel(); // after the second run's commit: the third may be resolved already, and is not written
            }
        }, stop.Token));

        Assert.True(stopped is null or OperationCanceledException, stopped?.ToString());
        Assert.Equal(20, store.ReadCheckpoint());
        var (checkpoint, _) = await runner.CatchUpAsync(store.ReadCheckpoint(), runSize: 10, null, CancellationToken.None);
        Assert.Equal(40, checkpoint);
        Assert.Equal(new long[] { 20, 40, 40, 20, 20 }, Counts());
    }

    /// <summary>Profiles, identities, events, profiles with a timeline, change-feed profiles.</summary>
    private long[] Counts() =>
    [
        Scalar("SELECT count(*) FROM Profiles"), Scalar("SELECT count(*) FROM Identities"), Scalar("SELECT count(*) FROM ProfileEvents"),
        Scalar("SELECT count(*) FROM Profiles WHERE LastActivityAt IS NOT NULL"), Scalar("SELECT count(DISTINCT ProfileId) FROM ProfileChanges"),
    ];

    /// <summary>Two track calls per person, each with the person's user id and anonymous id.</summary>
    private void Lake(int messages)
    {
        var at = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < messages; i++)
        {
            using var command = _writing.CreateCommand();
            command.CommandText = "INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES (1, $id, 'track', $at, $at, $p, 1)";
            command.Parameters.AddWithValue("$id", Guid.NewGuid().ToString("N"));
            command.Parameters.AddWithValue("$at", at.AddMinutes(i));
            command.Parameters.AddWithValue("$p", $$"""{"type":"track","userId":"u{{i / 2}}","anonymousId":"a{{i / 2}}","event":"Viewed"}""");
            command.ExecuteNonQuery();
        }
    }

    private long Scalar(string sql)
    {
        using var command = _writing.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        _writing.Dispose();
        _reading.Dispose();
        _directory.Dispose();
    }
}
