namespace ProfileStudio.Core.Storage;

/// <summary>Where the embedded SQLite database lives.</summary>
public static class SqliteDatabase
{
    public const string FileName = "profilestudio.db";

    /// <summary>
    /// The connection string for the database in <paramref name="dataDirectory"/>. Foreign keys on;
    /// a generous busy timeout because readers and the single writer share the file (WAL mode is
    /// switched on once by <see cref="DatabaseMigrator"/> and persists in the file).
    /// </summary>
    public static string ConnectionString(string dataDirectory) =>
        $"Data Source={Path.Combine(dataDirectory, FileName)};Foreign Keys=True;Default Timeout=30;Pooling=True";
}
