using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// The tables that change-feed consumers derive and alone write live in SQLite files beside the store, attached to
/// the connections that read or write them (<see cref="SqliteSideFile"/>):
/// <list type="bullet">
/// <item><see cref="Consumers"/>: the dashboard's history and figures, the union schema's and event catalog's tallies;</item>
/// <item><see cref="Segments"/>: segment memberships, their clock checks, history and daily sizes, and the outbox of
/// the change-feed rows their writes make (<see cref="Segments.SegmentFeedRelay"/> copies those into the store's feed).</item>
/// </list>
/// <para>
/// SQLite has one write lock per file. In the store's file a consumer's write waited for the unification run in
/// progress, every batch: in the feed bench (5,000 msg/s) half of the dashboard's and the schema consumer's handling
/// time was that wait, and it made them the two consumers whose lag missed 1 s; the segments consumer spent a quarter
/// to two fifths of its time waiting, and held the lock for another third, which the runs then waited for. In their own
/// files they wait only for the other writers of that file (<see cref="SqliteSideFile.TakeTurnAsync"/>), and a run
/// never waits for them. Segments have a file to themselves: the segments consumer writes the most, and the clock job
/// and batch job write with it.
/// </para>
/// <para>
/// What stays in the store's file: everything a run or a delete writes, and personal values. The schema's example
/// values stay there (a delete removes a person's examples in its own transaction, and an example is stored only if
/// its profile still lives, checked under the store's lock). The tables here hold counts, paths, profile ids and times.
/// </para>
/// <para>
/// The EF model and its migrations still create these tables in the store's file; <see cref="DatabaseMigrator"/> moves
/// them out after migrating (<see cref="MoveOut"/>) and back in before a migration (<see cref="MoveIn"/>), so a
/// migration that changes them finds them where it expects. SQL names them unqualified: SQLite looks in the store's file
/// first, then in the attached ones, so the same statements work wherever the tables are (an in-memory store keeps them,
/// and so does a store that was migrated without the migrator, as some tests do).
/// </para>
/// <para>
/// A transaction that writes a side file begins deferred (<see cref="SqliteSideFile.BeginWrite"/>): <c>BEGIN IMMEDIATE</c>
/// takes the write lock of every attached file, the store's included. So connections that write the store (a run, the
/// lake, EF saves) never attach these files. A connection with them attached writes the store only in a deferred
/// transaction whose first statement is a write there, in the store's write turn (the schema's examples, the segments'
/// feed relay).
/// </para>
/// </summary>
public static class SqliteConsumerTables
{
    /// <summary>The dashboard's and the union schema's file.</summary>
    public static SqliteSideFile Consumers { get; } = new("consumers", "-consumers",
        ["DashboardDays", "DashboardSnapshots", "DashboardDailyFigures", "SchemaAttributes", "SchemaEvents", "SchemaProfiles", "SchemaState"]);

    /// <summary>The segments' file.</summary>
    public static SqliteSideFile Segments { get; } = new("segments", "-segments",
        ["SegmentMemberships", "SegmentClockChecks", "SegmentMembershipChanges", "SegmentDailySizes", "SegmentFeedOutbox"]);

    public static IReadOnlyList<SqliteSideFile> Files { get; } = [Consumers, Segments];

    /// <summary>Every table in a side file.</summary>
    public static IReadOnlyList<string> Tables { get; } = [.. Files.SelectMany(f => f.Tables)];

    /// <summary>
    /// A new connection to the store (unpooled: a pooled one would go back to the pool with these files attached, and a run
    /// taking it would lock them all), with <see cref="SqlitePragmas.Writer"/> and the side files attached.
    /// </summary>
    public static async Task<SqliteConnection> OpenAsync(string storeConnectionString, CancellationToken ct = default)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(storeConnectionString) { Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(ct);
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = SqlitePragmas.Writer;
                pragma.ExecuteNonQuery();
            }
            Attach(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Attaches the side files to an open connection (each unless attached already, or the store is in memory).</summary>
    public static void Attach(SqliteConnection connection)
    {
        foreach (var file in Files)
        {
            file.Attach(connection);
        }
    }

    /// <summary>Opens an EF context's connection (kept open until it is disposed) with the side files attached, for reading these tables through EF.</summary>
    public static async Task AttachAsync(DbContext db, CancellationToken ct = default)
    {
        await db.Database.OpenConnectionAsync(ct);
        Attach((SqliteConnection)db.Database.GetDbConnection());
    }

    /// <summary>A new context that reads these tables (<see cref="AttachAsync"/>); dispose it.</summary>
    public static async Task<TContext> CreateContextAsync<TContext>(IDbContextFactory<TContext> factory, CancellationToken ct = default) where TContext : DbContext
    {
        var db = await factory.CreateDbContextAsync(ct);
        try
        {
            await AttachAsync(db, ct);
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>The consumers' file's turn (<see cref="SqliteSideFile.TakeTurnAsync"/>).</summary>
    public static ValueTask<WriteTurns.Turn?> TakeTurnAsync(SqliteConnection connection, CancellationToken ct = default) =>
        Consumers.TakeTurnAsync(connection, ct);

    /// <summary>A write transaction on the consumers' file (<see cref="SqliteSideFile.BeginWrite"/>).</summary>
    public static SqliteTransaction BeginWrite(SqliteConnection connection) => Consumers.BeginWrite(connection);

    /// <summary>
    /// Run first at start-up: drops the tables of side files that belong to another store (<see cref="SqliteSideFile.Reconcile"/>).
    /// Returns the tables dropped, by file.
    /// </summary>
    public static IReadOnlyDictionary<SqliteSideFile, int> Reconcile(SqliteConnection connection) =>
        Files.ToDictionary(f => f, f => f.Reconcile(connection));

    /// <summary>The tables in no file (a side file lost, or dropped by <see cref="Reconcile"/>): the migrator creates them empty from the model.</summary>
    public static IReadOnlyList<string> MissingTables(SqliteConnection connection) => [.. Files.SelectMany(f => f.MissingTables(connection))];

    /// <summary>Moves the tables still in the store's file into their side files (<see cref="SqliteSideFile.MoveOut"/>). Returns the tables moved.</summary>
    public static int MoveOut(SqliteConnection connection) => Files.Sum(f => f.MoveOut(connection));

    /// <summary>Moves the tables back into the store's file (before a migration, which names them there). Returns the tables moved.</summary>
    public static int MoveIn(SqliteConnection connection) => Files.Sum(f => f.MoveIn(connection));
}

/// <summary>
/// One SQLite file beside the store that holds tables change-feed consumers derive (<see cref="SqliteConsumerTables"/>),
/// attached as <see cref="Schema"/>.
/// </summary>
public sealed class SqliteSideFile(string schema, string suffix, IReadOnlyList<string> tables)
{
    /// <summary>The name the file is attached under.</summary>
    public string Schema => schema;

    /// <summary>The tables that live in this file.</summary>
    public IReadOnlyList<string> Tables => tables;

    private readonly string _inList = string.Join(", ", tables.Select(t => $"'{t}'"));

    public override string ToString() => schema;

    /// <summary>
    /// The file beside the store that <paramref name="connectionString"/> opens (<c>x.db</c> → <c>x-consumers.db</c>,
    /// <c>x-segments.db</c>); null for an in-memory store.
    /// </summary>
    public string? FileFor(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var file = builder.DataSource;
        if (string.IsNullOrEmpty(file) || file == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            return null;
        }
        var full = Path.GetFullPath(file);
        return Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + suffix + Path.GetExtension(full));
    }

    /// <summary>Attaches the file to an open connection, unless it is attached already or the store is in memory.</summary>
    public void Attach(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is not { } file)
        {
            return;
        }
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM pragma_database_list WHERE name = '{schema}'";
        if ((long)command.ExecuteScalar()! > 0)
        {
            return;
        }
        // FULL: a commit here is durable before the consumer saves its position in the store's file, which a power loss
        // could otherwise keep while losing this commit (each file keeps its own order only). A consumer commits a few times a second.
        command.CommandText = $"ATTACH DATABASE $file AS {schema}; PRAGMA {schema}.synchronous=FULL; PRAGMA {schema}.secure_delete=FAST;";
        command.Parameters.AddWithValue("$file", file);
        command.ExecuteNonQuery();
    }

    /// <summary>Whether the tables are in this attached file (else in the store's, where SQL finds them first).</summary>
    public bool InOwnFile(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT (SELECT count(*) FROM pragma_database_list WHERE name = '{schema}') > 0 AND NOT EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name IN ({_inList}))";
        return (long)command.ExecuteScalar()! == 1;
    }

    /// <summary>
    /// A turn at the write lock of the file the tables are in: this one's (shared by its writers only), or the
    /// store's (as a background writer) when they are still there. Take it before <see cref="BeginWrite"/>.
    /// </summary>
    public ValueTask<WriteTurns.Turn?> TakeTurnAsync(SqliteConnection connection, CancellationToken ct = default) =>
        InOwnFile(connection) && FileFor(connection.ConnectionString) is { } file
            ? WriteTurns.TakeForAsync(new SqliteConnectionStringBuilder { DataSource = file }.ToString(), ct, background: true)
            : WriteTurns.TakeForAsync(connection.ConnectionString, ct, background: true);

    /// <summary>
    /// A write transaction on these tables: deferred, so it takes the write lock of this file only, at its first
    /// write (every writer of the file takes a turn first, so none can have committed between the start and the write).
    /// While they are still in the store's file, immediate: writers of the store that take no turn (the lake) could commit
    /// between a deferred transaction's first read and its first write, which SQLite then refuses.
    /// </summary>
    public SqliteTransaction BeginWrite(SqliteConnection connection) => connection.BeginTransaction(deferred: InOwnFile(connection));

    /// <summary>
    /// Run first at start-up: whether this file belongs to this store. The store carries a random id
    /// (<c>PRAGMA user_version</c>, given on its first start) and the side file gets the same when tables move into it.
    /// A side file of another store (a store deleted and started afresh, or restored from a backup without it) has its
    /// tables dropped: they are derived from stored data, so the consumers derive them again from this store
    /// (<see cref="MissingTables"/>). Returns the tables dropped.
    /// </summary>
    public int Reconcile(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is null)
        {
            return 0;
        }
        Attach(connection);
        var store = Scalar(connection, "PRAGMA main.user_version");
        if (store == 0)
        {
            store = Random.Shared.Next(1, int.MaxValue);
            Execute(connection, null, $"PRAGMA main.user_version = {store}");
        }
        if (Scalar(connection, $"PRAGMA {schema}.user_version") == store)
        {
            return 0;
        }
        var dropped = 0;
        foreach (var table in tables.Where(t => Exists(connection, schema, t)))
        {
            Execute(connection, null, $"DROP TABLE {schema}.\"{table}\"");
            dropped++;
        }
        return dropped;
    }

    /// <summary>The tables in neither file (this file lost, or dropped by <see cref="Reconcile"/>).</summary>
    public IReadOnlyList<string> MissingTables(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is null)
        {
            return [];
        }
        Attach(connection);
        return [.. tables.Where(t => !Exists(connection, "main", t) && !Exists(connection, schema, t))];
    }

    /// <summary>
    /// Moves the tables that are still in the store's file (a new or just-migrated store) into this file, rows and
    /// indexes included, replacing any copy there, and marks the file as this store's (<see cref="Reconcile"/>). Run at
    /// start-up, before anything reads them. Returns the tables moved.
    /// </summary>
    public int MoveOut(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is null)
        {
            return 0;
        }
        Attach(connection);
        Execute(connection, null, $"PRAGMA {schema}.journal_mode=WAL;");
        // Marked as this store's first: a crash partway through leaves the tables moved so far where the next start finds
        // them (Reconcile would drop them from an unmarked file), and that start moves the rest.
        Execute(connection, null, $"PRAGMA {schema}.user_version = {Scalar(connection, "PRAGMA main.user_version")}");
        return Move(connection, from: "main", to: schema);
    }

    /// <summary>Moves the tables back into the store's file (before a migration, which names them there). Returns the tables moved.</summary>
    public int MoveIn(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is null)
        {
            return 0;
        }
        Attach(connection);
        return Move(connection, from: schema, to: "main");
    }

    private static bool Exists(SqliteConnection connection, string file, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {file}.sqlite_master WHERE type = 'table' AND name = $t";
        command.Parameters.AddWithValue("$t", table);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Per table, two transactions: the copy into <paramref name="to"/>, then the drop from <paramref name="from"/>. A commit
    /// that spans two files in WAL mode is atomic in each file, not across them: in one transaction, a crash could keep the
    /// drop and lose the copy. In two, a crash between them leaves the table in both files, and the next move copies again.
    /// </summary>
    private int Move(SqliteConnection connection, string from, string to)
    {
        var moved = 0;
        foreach (var table in tables)
        {
            using (var copy = connection.BeginTransaction())
            {
                var found = SqliteSchemaText.Objects(connection, "table", from, copy).Where(o => o.Name == table).ToList();
                if (found.Count == 0)
                {
                    continue; // not there (already moved, or not created by this version's migrations)
                }
                Execute(connection, copy, $"DROP TABLE IF EXISTS {to}.\"{table}\"");
                Execute(connection, copy, SqliteSchemaText.Retarget(found[0].Sql, "TABLE", table, $"{to}.\"{table}\""));
                Execute(connection, copy, $"INSERT INTO {to}.\"{table}\" SELECT * FROM {from}.\"{table}\"");
                // Its own indexes (the automatic ones, from its keys, came with the table): in the same file, on the table's plain name.
                foreach (var index in SqliteSchemaText.Objects(connection, "index", from, copy).Where(o => o.Table == table))
                {
                    Execute(connection, copy, SqliteSchemaText.Retarget(index.Sql, "INDEX", index.Name, $"{to}.\"{index.Name}\""));
                }
                copy.Commit();
            }
            using (var drop = connection.BeginTransaction())
            {
                Execute(connection, drop, $"DROP TABLE {from}.\"{table}\"");
                drop.Commit();
            }
            moved++;
        }
        return moved;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
