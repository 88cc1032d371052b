using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Storage;

public sealed class MigrationsTests : IAsyncLifetime
{
    private readonly StudioServices _studio = StudioServices.Create(withAccounts: false);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private IDbContextFactory<ProfileStudioDbContext> DbFactory =>
        _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();

    private DatabaseMigrator Migrator => _studio.CreateMigrator();

    [Fact]
    public async Task Model_ComparedWithLastMigration_HasNoPendingChanges()
    {
        await using var db = await DbFactory.CreateDbContextAsync();

        var pending = db.Database.HasPendingModelChanges();

        Assert.False(pending, "The EF model changed without a migration: run `dotnet ef migrations add` in ProfileStudio.Core.");
    }

    [Fact]
    public async Task StartAsync_EmptyDatabase_AppliesEveryMigration()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        var all = db.Database.GetMigrations().ToList();

        await Migrator.StartAsync(CancellationToken.None);

        Assert.NotEmpty(all);
        Assert.Equal(all, await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task StartAsync_EmptyDatabase_PutsItInWalMode()
    {
        await Migrator.StartAsync(CancellationToken.None);

        // A separate, unpooled connection: WAL is a property of the file, not of one connection.
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_studio.DataDirectory, SqliteDatabase.FileName)};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        var mode = (string?)await command.ExecuteScalarAsync();

        Assert.Equal("wal", mode);
    }

    [Fact]
    public async Task StartAsync_RunTwice_LeavesTheDatabaseMigrated()
    {
        await Migrator.StartAsync(CancellationToken.None);

        await Migrator.StartAsync(CancellationToken.None);

        await using var db = await DbFactory.CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task Connection_FromTheFactory_HasForeignKeysOn()
    {
        await Migrator.StartAsync(CancellationToken.None);
        await using var db = await DbFactory.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA foreign_keys;";

        var enabled = Convert.ToInt64(await command.ExecuteScalarAsync());

        Assert.Equal(1, enabled);
    }

    [Fact]
    public async Task SaveChanges_RoleOfAMissingUser_IsRefusedByTheForeignKey()
    {
        await Migrator.StartAsync(CancellationToken.None);
        await using var db = await DbFactory.CreateDbContextAsync();
        db.Roles.Add(new IdentityRole("Somebody") { Id = "role-1" });
        await db.SaveChangesAsync();
        db.UserRoles.Add(new IdentityUserRole<string> { UserId = "no-such-user", RoleId = "role-1" });

        var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        var sqlite = Assert.IsType<SqliteException>(error.InnerException);
        Assert.Contains("FOREIGN KEY", sqlite.Message, StringComparison.OrdinalIgnoreCase);
    }
}
