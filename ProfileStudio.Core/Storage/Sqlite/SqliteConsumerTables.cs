using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// The tables that change-feed consumers derive and alone write (the dashboard's history and figures, the union
/// schema's and event catalog's tallies) live in a second SQLite file beside the store
/// (<see cref="SqliteDatabase.ConsumersFileName"/>), attached as <see cref="Schema"/> on the connections that read or write them.
/// <para>
/// SQLite has one write lock per file. In the store's file a consumer's write waited for the unification run in
/// progress, every batch: in the feed bench (5,000 msg/s) half of the dashboard's and the schema consumer's handling
/// time was that wait, and it made them the two consumers whose lag missed 1 s. In their own file they wait only for
/// each other (<see cref="TakeTurnAsync"/>), and a run never waits for them.
/// </para>
/// <para>
/// What stays in the store's file: everything a run or a delete writes, and personal values. The schema's example
/// values stay there (a delete removes a person's examples in its own transaction, and an example is stored only if
/// its profile still lives, checked under the store's lock). The tables here hold counts, paths and profile ids.
/// </para>
/// <para>
/// The EF model and its migrations still create these tables in the store's file; <see cref="DatabaseMigrator"/> moves
/// them out after migrating (<see cref="MoveOut"/>) and back in before a migration (<see cref="MoveIn"/>), so a
/// migration that changes them finds them where it expects. SQL names them unqualified: SQLite looks in the store's file
/// first, then in the attached one, so the same statements work wherever the tables are (an in-memory store keeps them,
/// and so does a store that was migrated without the migrator, as some tests do).
/// </para>
/// <para>
/// A transaction that writes here begins deferred (<see cref="BeginWrite"/>): <c>BEGIN IMMEDIATE</c> takes the write
/// lock of every attached file, the store's included. So connections that write the store (a run, the lake, EF saves)
/// never attach this file. A connection with it attached writes the store only in a deferred transaction whose first
/// statement is a write there, in the store's write turn (the schema's examples).
/// </para>
/// </summary>
public static class SqliteConsumerTables
{
    /// <summary>The name the file is attached under.</summary>
    public const string Schema = "consumers";

    /// <summary>The tables that live in the consumers' file.</summary>
    public static IReadOnlyList<string> Tables { get; } =
        ["DashboardDays", "DashboardSnapshots", "DashboardDailyFigures", "SchemaAttributes", "SchemaEvents", "SchemaProfiles", "SchemaState"];

    private static readonly string InList = string.Join(", ", Tables.Select(t => $"'{t}'"));

    /// <summary>
    /// The consumers' file beside the store that <paramref name="connectionString"/> opens (<c>x.db</c> → <c>x-consumers.db</c>:
    /// <see cref="SqliteDatabase.ConsumersFileName"/> beside the app's store); null for an in-memory store.
    /// </summary>
    public static string? FileFor(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var file = builder.DataSource;
        if (string.IsNullOrEmpty(file) || file == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            return null;
        }
        var full = Path.GetFullPath(file);
        return Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + "-consumers" + Path.GetExtension(full));
    }

    /// <summary>
    /// A new connection to the store (unpooled: a pooled one would go back to the pool with this file attached, and a run
    /// taking it would lock both files), with <see cref="SqlitePragmas.Writer"/> and the consumers' file attached.
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

    /// <summary>Attaches the consumers' file to an open connection, unless it is attached already or the store is in memory.</summary>
    public static void Attach(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is not { } file)
        {
            return;
        }
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM pragma_database_list WHERE name = '{Schema}'";
        if ((long)command.ExecuteScalar()! > 0)
        {
            return;
        }
        // FULL: a commit here is durable before the consumer saves its position in the store's file, which a power loss
        // could otherwise keep while losing this commit (each file keeps its own order only). A consumer commits a few times a second.
        command.CommandText = $"ATTACH DATABASE $file AS {Schema}; PRAGMA {Schema}.synchronous=FULL; PRAGMA {Schema}.secure_delete=FAST;";
        command.Parameters.AddWithValue("$file", file);
        command.ExecuteNonQuery();
    }

    /// <summary>Opens an EF context's connection (kept open until it is disposed) with the consumers' file attached, for reading these tables through EF.</summary>
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

    /// <summary>Whether the tables are in the attached consumers' file (else in the store's, where SQL finds them first).</summary>
    public static bool InOwnFile(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT (SELECT count(*) FROM pragma_database_list WHERE name = '{Schema}') > 0 AND NOT EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name IN ({InList}))";
        return (long)command.ExecuteScalar()! == 1;
    }

    /// <summary>
    /// A turn at the write lock of the file the tables are in: the consumers' own (shared by the consumers only), or the
    /// store's (as a background writer) when they are still there. Take it before <see cref="BeginWrite"/>.
    /// </summary>
    public static ValueTask<WriteTurns.Turn?> TakeTurnAsync(SqliteConnection connection, CancellationToken ct = default) =>
        InOwnFile(connection) && FileFor(connection.ConnectionString) is { } file
            ? WriteTurns.TakeForAsync(new SqliteConnectionStringBuilder { DataSource = file }.ToString(), ct, background: true)
            : WriteTurns.TakeForAsync(connection.ConnectionString, ct, background: true);

    /// <summary>
    /// A write transaction on these tables: deferred, so it takes the write lock of the consumers' file only, at its first
    /// write (every writer of that file takes a turn first, so none can have committed between the start and the write).
    /// While they are still in the store's file, immediate: writers of the store that take no turn (the lake) could commit
    /// between a deferred transaction's first read and its first write, which SQLite then refuses.
    /// </summary>
    public static SqliteTransaction BeginWrite(SqliteConnection connection) => connection.BeginTransaction(deferred: InOwnFile(connection));

    /// <summary>
    /// Run first at start-up: whether the consumers' file belongs to this store. The store carries a random id
    /// (<c>PRAGMA user_version</c>, given on its first start) and the consumers' file gets the same when tables move into it.
    /// A consumers' file of another store (a store deleted and started afresh, or restored from a backup without it) has its
    /// tables dropped: they are derived from stored data, so the consumers count them again from this store
    /// (<see cref="MissingTables"/>). Returns the tables dropped.
    /// </summary>
    public static int Reconcile(SqliteConnection connection)
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
        if (Scalar(connection, $"PRAGMA {Schema}.user_version") == store)
        {
            return 0;
        }
        var dropped = 0;
        foreach (var table in Tables.Where(t => Exists(connection, Schema, t)))
        {
            Execute(connection, null, $"DROP TABLE {Schema}.\"{table}\"");
            dropped++;
        }
        return dropped;
    }

    /// <summary>The tables in neither file (a consumers' file lost, or dropped by <see cref="Reconcile"/>): the migrator creates them empty from the model.</summary>
    public static IReadOnlyList<string> MissingTables(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is null)
        {
            return [];
        }
        Attach(connection);
        return [.. Tables.Where(t => !Exists(connection, "main", t) && !Exists(connection, Schema, t))];
    }

    /// <summary>
    /// Moves the tables that are still in the store's file (a new or just-migrated store) into the consumers' file, rows and
    /// indexes included, replacing any copy there, and marks the file as this store's (<see cref="Reconcile"/>). Run at
    /// start-up, before anything reads them. Returns the tables moved.
    /// </summary>
    public static int MoveOut(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is null)
        {
            return 0;
        }
        Attach(connection);
        Execute(connection, null, $"PRAGMA {Schema}.journal_mode=WAL;");
        var moved = Move(connection, from: "main", to: Schema);
        Execute(connection, null, $"PRAGMA {Schema}.user_version = {Scalar(connection, "PRAGMA main.user_version")}");
        return moved;
    }

    /// <summary>Moves the tables back into the store's file (before a migration, which names them there). Returns the tables moved.</summary>
    public static int MoveIn(SqliteConnection connection)
    {
        if (FileFor(connection.ConnectionString) is null)
        {
            return 0;
        }
        Attach(connection);
        return Move(connection, from: Schema, to: "main");
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
    private static int Move(SqliteConnection connection, string from, string to)
    {
        var moved = 0;
        foreach (var table in Tables)
        {
            using (var copy = connection.BeginTransaction())
            {
                var tables = SqliteSchemaText.Objects(connection, "table", from, copy).Where(o => o.Name == table).ToList();
                if (tables.Count == 0)
                {
                    continue; // not there (already moved, or not created by this version's migrations)
                }
                Execute(connection, copy, $"DROP TABLE IF EXISTS {to}.\"{table}\"");
                Execute(connection, copy, SqliteSchemaText.Retarget(tables[0].Sql, "TABLE", table, $"{to}.\"{table}\""));
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
