using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Storage;

/// <summary>The connection strings the product opens its database with.</summary>
public sealed class SqliteDatabaseTests
{
    [Fact]
    public void ADataDirectoryWithSemicolonsAndQuotes_OpensTheDatabaseInsideIt()
    {
        using var parent = new TempDirectory();
        var directory = Path.Combine(parent.Path, "data; Pooling=False; Data Source='elsewhere'");
        Directory.CreateDirectory(directory);

        using (var connection = new SqliteConnection(SqliteDatabase.ConnectionString(directory)))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE T (Id INTEGER)";
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        Assert.True(File.Exists(Path.Combine(directory, SqliteDatabase.FileName)));
        Assert.False(File.Exists(Path.Combine(parent.Path, "elsewhere")));
    }

    [Fact]
    public void EfContexts_OpenUnpooledConnections_TheRawOnesArePooled_BothWithForeignKeysAndTheBusyTimeout()
    {
        var raw = new SqliteConnectionStringBuilder(SqliteDatabase.ConnectionString("/data"));
        var ef = new SqliteConnectionStringBuilder(SqliteDatabase.EfConnectionString("/data"));

        Assert.True(raw.Pooling);
        Assert.False(ef.Pooling);
        Assert.All(new[] { raw, ef }, b =>
        {
            Assert.Equal(Path.Combine("/data", SqliteDatabase.FileName), b.DataSource);
            Assert.True(b.ForeignKeys);
            Assert.Equal(30, b.DefaultTimeout);
        });
    }
}
