using Microsoft.Data.Sqlite;

namespace ProfileStudio.Core.Storage;

/// <summary>Where the embedded SQLite database lives.</summary>
public static class SqliteDatabase
{
    public const string FileName = "profilestudio.db";

    /// <summary>The change-feed consumers' own file beside it (<see cref="Sqlite.SqliteConsumerTables"/>).</summary>
    public const string ConsumersFileName = "profilestudio-consumers.db";

    /// <summary>The segments' own file beside it (<see cref="Sqlite.SqliteConsumerTables.Segments"/>).</summary>
    public const string SegmentsFileName = "profilestudio-segments.db";

    /// <summary>
    /// The connection string for the database in <paramref name="dataDirectory"/>. Foreign keys on;
    /// a generous busy timeout because readers and the single writer share the file (WAL mode is
    /// switched on once by <see cref="DatabaseMigrator"/> and persists in the file).
    /// </summary>
    public static string ConnectionString(string dataDirectory) => Build(dataDirectory, pooling: true);

    /// <summary>
    /// EF contexts open their own connections, unpooled. EF registers SQL functions and a collation on every open;
    /// on a pooled connection Microsoft.Data.Sqlite removes them when it is handed back and registers them again on
    /// the next open, which SQLite refuses while a statement on it is still active ("unable to delete/modify
    /// collation sequence due to active statements", a race in the pool under concurrency and garbage collection:
    /// dotnet/efcore#36591). It failed a start once in CI (the identity bootstrapper's first query). A fresh
    /// connection costs a file open; the long-lived raw connections, which register nothing, stay pooled.
    /// </summary>
    public static string EfConnectionString(string dataDirectory) => Build(dataDirectory, pooling: false);

    /// <summary>Built, not concatenated: a data directory with a ';' or a quote in its path stays one data source.</summary>
    private static string Build(string dataDirectory, bool pooling) => new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataDirectory, FileName),
        ForeignKeys = true,
        DefaultTimeout = 30,
        Pooling = pooling,
    }.ToString();
}
