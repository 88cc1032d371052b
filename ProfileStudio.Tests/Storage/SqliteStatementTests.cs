using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Tests.Storage;

/// <summary>
/// The unification writer binds its hot statements by position through SQLitePCLRaw; what it
/// stores must read back exactly as what Microsoft.Data.Sqlite (and so EF Core) would have stored.
/// </summary>
public sealed class SqliteStatementTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public SqliteStatementTests()
    {
        _connection.Open();
        Run("CREATE TABLE T (Id INTEGER PRIMARY KEY, Name TEXT NOT NULL UNIQUE, At TEXT, Flag INTEGER, Count INTEGER)");
    }

    public void Dispose() => _connection.Dispose();

    [Theory]
    [InlineData(0L)]
    [InlineData(1234567L)]
    [InlineData(1200000L)]
    [InlineData(1L)]
    public void AStoredTime_IsTheTextMicrosoftDataSqliteStores(long ticks)
    {
        var at = new DateTime(2026, 10, 1, 12, 3, 4, DateTimeKind.Utc).AddTicks(ticks);
        using var statement = new SqliteStatement(_connection, "INSERT INTO T (Name, At) VALUES (?1, ?2)");
        statement.Bind(1, "raw").Bind(2, at).Execute();
        using (var ado = _connection.CreateCommand())
        {
            ado.CommandText = "INSERT INTO T (Name, At) VALUES ('ado', $at)";
            ado.Parameters.AddWithValue("$at", at);
            ado.ExecuteNonQuery();
        }

        Assert.Equal(Scalar("SELECT At FROM T WHERE Name = 'ado'"), Scalar("SELECT At FROM T WHERE Name = 'raw'"));
        using var read = _connection.CreateCommand();
        read.CommandText = "SELECT At FROM T WHERE Name = 'raw'";
        using var reader = read.ExecuteReader();
        reader.Read();
        Assert.Equal(at, reader.GetDateTime(0));
    }

    /// <summary>Times from year 1 to 9999 with any fraction, and texts of every kind: the stored bytes equal Microsoft.Data.Sqlite's.</summary>
    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property AnyTimeAndText_AreStoredAsMicrosoftDataSqliteStoresThem()
    {
        var seconds = DateTime.MaxValue.Ticks / TimeSpan.TicksPerSecond;
        var times =
            from second in Gen.Choose(0, int.MaxValue)
            from fraction in Gen.OneOf(Gen.Constant(0), Gen.Choose(0, 99).Select(f => f * 100_000), Gen.Choose(0, 9_999_999))
            select new DateTime((long)((double)second / int.MaxValue * (seconds - 1)) * TimeSpan.TicksPerSecond + fraction, DateTimeKind.Utc);
        var texts = Gen.Elements("", "plain", "Zoë", "日本語", "😀", "\ud800 lone", "tail \udc00", "a\0b", new string('x', 5000), new string('é', 70_000));
        return Prop.ForAll(times.ToArbitrary(), texts.ToArbitrary(), (at, text) =>
        {
            Assert.Equal(StoredByAdo(at), StoredByStatement(s => s.Bind(1, at)));
            Assert.Equal(SqliteStatement.Text(at), Scalar("SELECT At FROM T"));
            Assert.True(SqliteStatement.TryParseText(SqliteStatement.Text(at), out var read));
            Assert.Equal(at, read);
            Assert.Equal(DateTimeKind.Utc, read.Kind);
            Assert.Equal(StoredByAdo(text), StoredByStatement(s => s.Bind(1, text)));
        });
    }

    [Theory]
    [InlineData("2026-13-01 00:00:00")]
    [InlineData("2026-02-30 00:00:00")]
    [InlineData("2026-01-01T00:00:00")]
    [InlineData("2026-01-01 24:00:00")]
    [InlineData("2026-01-01 00:00:00.")]
    [InlineData("2026-01-01 00:00:00.12345678")]
    [InlineData("0000-01-01 00:00:00")]
    [InlineData("2026-01-01 00:00:00Z")]
    [InlineData("2026-01-01")]
    [InlineData("２０２６-01-01 00:00:00")]
    public void TextsOfAnotherShape_AreLeftToTheGeneralParse(string text) => Assert.False(SqliteStatement.TryParseText(text, out _));

    /// <summary>The stored bytes (hex) of a value bound by position.</summary>
    private object? StoredByStatement(Action<SqliteStatement> bind)
    {
        Run("DELETE FROM T");
        using var statement = new SqliteStatement(_connection, "INSERT INTO T (Name, At) VALUES ('x', ?1)");
        bind(statement);
        statement.Execute();
        return Scalar("SELECT hex(At) FROM T");
    }

    /// <summary>The stored bytes (hex) of a value bound by Microsoft.Data.Sqlite.</summary>
    private object? StoredByAdo(object value)
    {
        Run("DELETE FROM T");
        using (var ado = _connection.CreateCommand())
        {
            ado.CommandText = "INSERT INTO T (Name, At) VALUES ('x', $v)";
            ado.Parameters.AddWithValue("$v", value);
            ado.ExecuteNonQuery();
        }
        return Scalar("SELECT hex(At) FROM T");
    }

    [Fact]
    public void NullsBooleansAndUnicode_RoundTrip()
    {
        using var statement = new SqliteStatement(_connection, "INSERT INTO T (Name, At, Flag, Count) VALUES (?1, ?2, ?3, ?4)");
        statement.Bind(1, "Zoë <script>'; DROP TABLE T; --").Bind(2, (string?)null).Bind(3, true).Bind(4, (long?)null).Execute();

        Assert.Equal("Zoë <script>'; DROP TABLE T; --", Scalar("SELECT Name FROM T"));
        Assert.Equal(DBNull.Value, Scalar("SELECT At FROM T"));
        Assert.Equal(1L, Scalar("SELECT Flag FROM T"));
        Assert.Equal("null", Scalar("SELECT typeof(Count) FROM T"));
    }

    [Fact]
    public void RunAgain_WithNewValues_AndReportsChangedRows()
    {
        using var insert = new SqliteStatement(_connection, "INSERT INTO T (Name, Count) VALUES (?1, ?2)");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, insert.Bind(1, $"n{i}").Bind(2, i).Execute());
        }
        using var update = new SqliteStatement(_connection, "UPDATE T SET Count = Count + 10 WHERE Count >= ?1");

        Assert.Equal(2, update.Bind(1, 1).Execute());
        Assert.Equal(23L, Scalar("SELECT sum(Count) FROM T"));
    }

    [Fact]
    public void AFailedExecution_ThrowsTheSqliteError_AndTheStatementStillWorks()
    {
        using var insert = new SqliteStatement(_connection, "INSERT INTO T (Name) VALUES (?1)");
        Assert.Equal(1, insert.Bind(1, "same").Execute());

        var error = Assert.Throws<SqliteException>(() => insert.Bind(1, "same").Execute());
        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Contains("UNIQUE", error.Message);

        Assert.Equal(1, insert.Bind(1, "other").Execute());
        Assert.Equal(2L, Scalar("SELECT count(*) FROM T"));
    }

    [Fact]
    public void MoreThanOneStatement_IsRefused_RatherThanTheRestIgnored()
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteStatement(_connection, "INSERT INTO T (Name) VALUES (?1); DELETE FROM T"));
        Assert.Contains("DELETE FROM T", error.Message);
        Assert.Throws<ArgumentException>(() => new SqliteStatement(_connection, "  "));
    }

    [Fact]
    public void AStatementOnAClosedConnection_RefusesToRun()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var statement = new SqliteStatement(connection, "SELECT 1");
        connection.Close();

        Assert.Throws<InvalidOperationException>(() => statement.Execute());
    }

    [Fact]
    public void ASyntaxError_IsReportedWhenPrepared()
    {
        var error = Assert.Throws<SqliteException>(() => new SqliteStatement(_connection, "INSERT INTO Nowhere VALUES (?1)"));
        Assert.Contains("no such table", error.Message);
    }

    [Fact]
    public Task TheBackgroundCheckpointer_CopiesTheCommittedLogIntoTheDatabase() => WithALogOf2000Rows(async (directory, connectionString, _) =>
    {
        // Everything committed is still in the log: the database file has not grown.
        var database = new FileInfo(Path.Combine(directory, "wal.db"));
        Assert.True(database.Length < 64 * 1024, $"{database.Length} bytes before the checkpoint");

        await using (var checkpointer = new WalCheckpointer(connectionString))
        {
            checkpointer.Request();
        }

        database.Refresh();
        Assert.True(database.Length > 800 * 1000, $"{database.Length} bytes after the checkpoint");
    });

    /// <summary>
    /// A checkpoint after every run copied a page as often as runs rewrote it: requests within the minimum interval of the last
    /// checkpoint's start are put off, and made again once it has passed, though no later commit asks (ingestion stopped).
    /// </summary>
    [Fact]
    public Task TheBackgroundCheckpointer_StartsAtMostOncePerInterval_AndMakesARequestItPutOffOnceTheIntervalHasPassed() => WithALogOf2000Rows(async (directory, connectionString, writer) =>
    {
        var database = new FileInfo(Path.Combine(directory, "wal.db"));
        var interval = TimeSpan.FromMilliseconds(600);
        await using var checkpointer = new WalCheckpointer(connectionString, minInterval: interval);
        var started = System.Diagnostics.Stopwatch.StartNew();
        checkpointer.Request();
        await checkpointer.Running;
        database.Refresh();
        var afterFirst = database.Length;

        Execute(writer, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO W SELECT hex(randomblob(200)) FROM n;");
        checkpointer.Request(); // within the interval: dropped
        await checkpointer.Running;
        database.Refresh();
        if (started.Elapsed < interval)
        {
            Assert.Equal(afterFirst, database.Length);
        }

        // No later commit asks: the request put off is made again once the interval has passed.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(50);
            await checkpointer.Running;
            database.Refresh();
        }
        while (database.Length <= afterFirst + 700 * 1000 && DateTime.UtcNow < deadline);
        Assert.True(database.Length > afterFirst + 700 * 1000, $"{database.Length} bytes after the interval, {afterFirst} before");
        Assert.True(started.Elapsed >= interval, "copied before the interval had passed");
    });

    /// <summary>
    /// Under steady ingestion a reader is always reading from the log while new frames arrive, so a passive checkpoint never
    /// lets the log start over and it grows without end (1.9 GB in a 40 s lag benchmark). Past its threshold the checkpointer
    /// waits for the readers of the log and the next write starts the log over; without that, the log keeps every frame.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public Task TheBackgroundCheckpointer_PastItsThreshold_MakesTheNextWriteStartTheLogOver_ThoughAReaderWasReadingFromIt(bool pastThreshold) =>
        WithALogOf2000Rows(async (_, connectionString, writer) =>
        {
            await using var reader = new SqliteConnection(connectionString);
            reader.Open();
            var reading = reader.BeginTransaction(deferred: true);
            Assert.Equal(2000L, Scalar(reader, "SELECT count(*) FROM W")); // a snapshot of the log as it is now
            Execute(writer, "INSERT INTO W VALUES ('after the reader began')");
            var logBefore = LogFrames(writer);

            await using (var checkpointer = new WalCheckpointer(connectionString, restartFrames: pastThreshold ? 100 : int.MaxValue, TimeSpan.FromSeconds(10), TimeSpan.Zero))
            {
                checkpointer.Request();
                if (pastThreshold)
                {
                    // The reader finishes while the restart checkpoint waits for it.
                    var deadline = DateTime.UtcNow.AddSeconds(5);
                    while (checkpointer.RestartsTried == 0 && DateTime.UtcNow < deadline)
                    {
                        await Task.Delay(10);
                    }
                    Assert.Equal(1, checkpointer.RestartsTried);
                    Assert.False(checkpointer.Running.IsCompleted, "the restart should be waiting for the reader");
                }
                else
                {
                    await checkpointer.Running; // the passive checkpoint is done while the reader still reads
                }
                reading.Commit();
            }

            Execute(writer, "INSERT INTO W VALUES ('the next write')");
            var logAfter = LogFrames(writer);
            if (pastThreshold)
            {
                Assert.True(logAfter < 10, $"{logAfter} frames in the log after the next write (it held {logBefore})");
            }
            else
            {
                Assert.True(logAfter > logBefore, $"{logAfter} frames in the log after the next write, {logBefore} before");
            }
            Assert.Equal(2002L, Scalar(writer, "SELECT count(*) FROM W"));
        });

    /// <summary>
    /// A long read (a dashboard refresh, a full segment evaluation) keeps the log from starting over, and a restart
    /// checkpoint holds writers up while it waits for it: after one gave up, the next checkpoints are passive for a while,
    /// rather than holding writers up after every run.
    /// </summary>
    [Fact]
    public Task TheBackgroundCheckpointer_AfterARestartGaveUpOnALongRead_DoesNotTryAgainAtOnce() =>
        WithALogOf2000Rows(async (_, connectionString, writer) =>
        {
            await using var reader = new SqliteConnection(connectionString);
            reader.Open();
            using var longRead = reader.BeginTransaction(deferred: true);
            Assert.Equal(2000L, Scalar(reader, "SELECT count(*) FROM W"));
            Execute(writer, "INSERT INTO W VALUES ('after the long read began')");

            await using var checkpointer = new WalCheckpointer(connectionString, restartFrames: 100, TimeSpan.FromMilliseconds(50), TimeSpan.Zero);
            checkpointer.Request();
            await checkpointer.Running;
            Assert.Equal(1, checkpointer.RestartsTried); // gave up: the long read is still open

            Execute(writer, "INSERT INTO W VALUES ('the next run')");
            checkpointer.Request();
            await checkpointer.Running;
            Assert.Equal(1, checkpointer.RestartsTried);
            Assert.Equal(2002L, Scalar(writer, "SELECT count(*) FROM W"));
        });

    /// <summary>
    /// A long read in short statements (the dashboard's refresh, <see cref="LongReads"/>): while it is inside a statement the
    /// checkpointer does not wait for it (writers would wait behind), it asks; the read pauses at its next statement boundary,
    /// the next request finds it paused and starts the log over, and the read goes on.
    /// </summary>
    [Fact]
    public Task TheBackgroundCheckpointer_DuringALongRead_StartsTheLogOverWhenTheReadPauses_NotWhileItReads() =>
        WithALogOf2000Rows(async (_, connectionString, writer) =>
        {
            var longReads = LongReads.For(connectionString);
            using var longRead = longReads.Begin();
            await using var reader = new SqliteConnection(connectionString);
            reader.Open();
            var statement = reader.BeginTransaction(deferred: true);
            Assert.Equal(2000L, Scalar(reader, "SELECT count(*) FROM W")); // one of the read's statements, its snapshot held
            Execute(writer, "INSERT INTO W VALUES ('during the long read')");

            await using var checkpointer = new WalCheckpointer(connectionString, restartFrames: 100, TimeSpan.FromSeconds(10), TimeSpan.Zero);
            checkpointer.Request();
            await checkpointer.Running.WaitAsync(TimeSpan.FromSeconds(5)); // at once: it did not wait for the reader
            Assert.Equal(0, checkpointer.RestartsTried);
            Assert.True(longReads.RestartWanted);

            statement.Commit(); // the statement ends; the read pauses before its next one
            var pause = Task.Run(longReads.Pause);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!longReads.Paused && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }
            Assert.True(longReads.Paused);
            Execute(writer, "INSERT INTO W VALUES ('the next run')");
            checkpointer.Request(); // the next commit's request
            await checkpointer.Running.WaitAsync(TimeSpan.FromSeconds(5));
            var restarted = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(1, checkpointer.RestartsTried);
            await pause.WaitAsync(TimeSpan.FromSeconds(5));
            // Released by the restart, not by its time limit (a second after it began).
            Assert.True(restarted.Elapsed < TimeSpan.FromMilliseconds(300), $"the pause ended {restarted.ElapsedMilliseconds} ms after the restart");
            Assert.False(longReads.RestartWanted);

            Execute(writer, "INSERT INTO W VALUES ('after the restart')");
            Assert.True(LogFrames(writer) < 10, $"{LogFrames(writer)} frames in the log after the restart");
            Assert.Equal(2003L, Scalar(reader, "SELECT count(*) FROM W")); // the read goes on, seeing everything
        });

    /// <summary>
    /// The checkpointer runs only after a commit: when ingestion stops right after it asked for a restart, a long read
    /// waits for it at one pause at most, not at every pause after.
    /// </summary>
    [Fact]
    public void LongReads_ARestartNoCommitComesToRun_IsWaitedForOnceThenDropped()
    {
        var longReads = LongReads.For($"Data Source={Path.Combine(Path.GetTempPath(), $"profilestudio-longreads-{Guid.NewGuid():N}.db")}");
        using var reading = longReads.Begin();
        longReads.RequestRestart();

        var first = System.Diagnostics.Stopwatch.StartNew();
        longReads.Pause();
        first.Stop();
        var next = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            longReads.Pause();
        }
        next.Stop();

        Assert.InRange(first.Elapsed, LongReads.MaxPause - TimeSpan.FromMilliseconds(50), LongReads.MaxPause + TimeSpan.FromSeconds(2));
        Assert.True(next.Elapsed < TimeSpan.FromMilliseconds(200), $"20 later pauses took {next.ElapsedMilliseconds} ms");
        Assert.False(longReads.RestartWanted);
    }

    /// <summary>Long reads of one database never pause for another database's log.</summary>
    [Fact]
    public void LongReads_AreKeptPerDatabaseFile()
    {
        var a = LongReads.For("Data Source=/tmp/profilestudio-a/x/../profilestudio.db");
        using var reading = a.Begin();

        Assert.Same(a, LongReads.For("Data Source=/tmp/profilestudio-a/profilestudio.db;Pooling=False"));
        Assert.True(a.Reading);
        Assert.False(LongReads.For("Data Source=/tmp/profilestudio-b/profilestudio.db").Reading);
    }

    /// <summary>
    /// A WAL database in a temporary folder (<c>wal.db</c>), its table W holding 2,000 rows of 400 characters, all still in
    /// the log (no automatic checkpoint on the writer); runs <paramref name="test"/> with the folder, the connection string
    /// (not pooled) and the open writer, then removes the folder.
    /// </summary>
    private static async Task WithALogOf2000Rows(Func<string, string, SqliteConnection, Task> test)
    {
        var directory = Directory.CreateTempSubdirectory("profilestudio-wal-").FullName;
        try
        {
            var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "wal.db"), Pooling = false }.ToString();
            await using var writer = new SqliteConnection(connectionString);
            writer.Open();
            Execute(writer, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE W (V TEXT);");
            Execute(writer, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO W SELECT hex(randomblob(200)) FROM n;");
            await test(directory, connectionString, writer);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Frames in the log, as a passive checkpoint reports them (it copies what it can and changes nothing else).</summary>
    private static long LogFrames(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return reader.GetInt64(1);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private void Run(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
