using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Tests.Support;

/// <summary>A fresh folder under the system temp path, deleted (with its SQLite database) on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "profilestudio-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string DatabaseFile => System.IO.Path.Combine(Path, SqliteDatabase.FileName);

    public string ConnectionString => SqliteDatabase.ConnectionString(Path);

    /// <summary>Migrates this folder's store and adds the streaming source (id 1, "Web") that test lakes' messages come from.</summary>
    public void MigrateWithWebSource()
    {
        using var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(ConnectionString).Options);
        db.Database.Migrate();
        db.Sources.Add(new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "a", WriteKeyHint = "a" });
        db.SaveChanges();
    }

    public void Dispose()
    {
        // Pooled connections keep the file open; release only this database's pool.
        using (var connection = new SqliteConnection(ConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A connection still closing elsewhere; the OS temp cleaner takes the rest.
        }
    }
}
