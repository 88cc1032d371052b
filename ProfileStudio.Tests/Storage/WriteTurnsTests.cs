using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Tests.Storage;

/// <summary>
/// The turns at a database file's write lock: a change-feed consumer's write waits for the run in progress, not for
/// the runs that ask after it, and a run waits for a round of a few consumers' writes at most.
/// </summary>
public sealed class WriteTurnsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("write-turns-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string File(string name = "turns.db") => Path.Combine(_directory, name);

    private WriteTurns Turns(string name = "turns.db") => WriteTurns.For($"Data Source={File(name)}")!;

    [Fact]
    public void OneDatabaseFile_HasOneLine_WhateverTheConnectionStringSays()
    {
        var plain = WriteTurns.For($"Data Source={File()}");
        var relative = WriteTurns.For($"Data Source={Path.GetRelativePath(Environment.CurrentDirectory, File())};Pooling=False;Default Timeout=30");

        Assert.NotNull(plain);
        Assert.Same(plain, relative);
        Assert.NotSame(plain, WriteTurns.For($"Data Source={File("other.db")}"));
        Assert.Null(WriteTurns.For("Data Source=:memory:"));
        Assert.Null(WriteTurns.For("Data Source=shared;Mode=Memory;Cache=Shared"));
    }

    [Fact]
    public async Task ConsumersWaitingAsARunEnds_WriteBeforeTheNextRun_AndOnesAskingMeanwhile_UpToARoundsTurns()
    {
        Assert.Equal(3, WriteTurns.RoundTurns);
        var turns = Turns();
        var run = turns.Take();
        var nextRun = turns.TakeAsync(); // the next run asks first: in one queue it would go first
        var consumerA = turns.TakeAsync(background: true);
        var consumerB = turns.TakeAsync(background: true);
        Assert.False(consumerA.IsCompleted);

        run.Dispose();
        var a = await Within(consumerA); // a run just wrote: the waiting consumers' round, though the next run asked before them
        Assert.Equal(2, turns.Waiting);
        Assert.False(nextRun.IsCompleted);

        var consumerC = turns.TakeAsync(background: true); // asks during the round, after the next run asked
        a.Dispose();
        var b = await Within(consumerB);
        var consumerD = turns.TakeAsync(background: true);
        b.Dispose();
        var c = await Within(consumerC); // the round's third turn
        Assert.False(nextRun.IsCompleted);
        c.Dispose();

        var next = await Within(nextRun); // three turns: the run, though consumer D waits (a writer that keeps asking cannot hold runs back)
        Assert.False(consumerD.IsCompleted);
        var laterRun = turns.TakeAsync();
        next.Dispose();
        (await Within(consumerD)).Dispose(); // D was waiting when that run ended: it goes before the later run
        (await Within(laterRun)).Dispose();
        (await Within(turns.TakeAsync())).Dispose(); // free again
        Assert.Equal(0, turns.Waiting);
    }

    [Fact]
    public async Task WithNoRunWaiting_ConsumersFollowOneAnother()
    {
        var turns = Turns();
        var consumerA = turns.Take(background: true);
        var consumerB = turns.TakeAsync(background: true);
        consumerA.Dispose();
        var b = await Within(consumerB);
        var consumerC = turns.TakeAsync(background: true);
        b.Dispose();
        (await Within(consumerC)).Dispose();
        Assert.Equal(0, turns.Waiting);
    }

    [Fact]
    public async Task ReleasingATurnTwice_HandsItOverOnce()
    {
        var turns = Turns();
        var first = turns.Take();
        var second = turns.TakeAsync();
        var third = turns.TakeAsync();

        first.Dispose();
        var holder = await Within(second);
        first.Dispose(); // again, while the second writer holds the turn and the third waits
        Assert.Equal(1, turns.Waiting); // still in line (a hand-over takes it out of the line at once)
        Assert.False(third.IsCompleted);

        holder.Dispose();
        (await Within(third)).Dispose();
        Assert.Equal(0, turns.Waiting);
    }

    /// <summary>Awaits a turn, failing the test (rather than hanging the run) if it never comes.</summary>
    private static async Task<WriteTurns.Turn> Within(ValueTask<WriteTurns.Turn> turn) => await turn.AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task WritersOfOneKind_GoInTheOrderTheyAsked()
    {
        var turns = Turns();
        var order = new List<int>();
        var first = turns.Take();
        var waiting = Enumerable.Range(1, 5).Select(i => (i, turns.TakeAsync().AsTask())).ToList();
        first.Dispose();
        foreach (var (i, turn) in waiting)
        {
            using (await turn.WaitAsync(TimeSpan.FromSeconds(10)))
            {
                order.Add(i);
            }
        }
        Assert.Equal([1, 2, 3, 4, 5], order);
    }

    [Fact]
    public async Task AWriterThatGivesUp_PassesTheTurnOn()
    {
        var turns = Turns();
        var held = turns.Take();
        using var cancel = new CancellationTokenSource();
        var givesUp = turns.TakeAsync(cancel.Token, background: true).AsTask();
        var after = turns.TakeAsync(background: true).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givesUp);
        held.Dispose();

        (await after.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.Equal(0, turns.Waiting);
    }

    /// <summary>
    /// On a real database: a writer that takes a background turn while another connection commits one transaction after
    /// another (each holding SQLite's write lock, with no gap in the turns) writes after the transaction in progress. The
    /// busy handler alone let such a writer wait for most of the 200 transactions (session 13's measurement).
    /// </summary>
    [Fact]
    public async Task AConsumersWrite_BehindBackToBackRuns_WaitsForTheRunInProgressOnly()
    {
        var connectionString = SqliteDatabase.ConnectionString(_directory);
        using (var setup = new SqliteConnection(connectionString))
        {
            setup.Open();
            using var create = setup.CreateCommand();
            create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE Runs (Id INTEGER PRIMARY KEY); CREATE TABLE Consumer (RunsBefore INTEGER NOT NULL);";
            create.ExecuteNonQuery();
        }
        var committed = 0L;
        using var consumerAsks = new ManualResetEventSlim();
        var runs = Task.Run(() =>
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            for (var i = 1; i <= 200; i++)
            {
                using var turn = WriteTurns.TakeFor(connection);
                using var transaction = connection.BeginTransaction();
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = $"INSERT INTO Runs (Id) VALUES ({i})";
                insert.ExecuteNonQuery();
                if (i == 20)
                {
                    consumerAsks.Set(); // the consumer asks while run 20 holds the lock
                }
                Thread.Sleep(2);
                transaction.Commit();
                Volatile.Write(ref committed, i);
            }
        });

        consumerAsks.Wait(TimeSpan.FromSeconds(30));
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            var asked = Volatile.Read(ref committed);
            using var turn = WriteTurns.TakeFor(connection, background: true);
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO Consumer (RunsBefore) SELECT count(*) FROM Runs";
            insert.ExecuteNonQuery();
            transaction.Commit();
            // The run in progress, or (if this thread was paused between reading the count and asking) one or two more.
            // Without turns it waited ~180 of the 200 runs.
            Assert.InRange(Volatile.Read(ref committed) - asked, 0, 3);
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT RunsBefore FROM Consumer";
            Assert.InRange((long)read.ExecuteScalar()!, asked, asked + 3);
        }
        await runs;
    }
}
