using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Tests.Support;

/// <summary>A fresh SQLite database in a temporary directory, migrated, with an EF context factory over it.</summary>
internal sealed class MigratedDatabase : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ServiceProvider _services;

    public MigratedDatabase()
    {
        _services = new ServiceCollection()
            .AddDbContextFactory<ProfileStudioDbContext>(o => o.UseSqlite(_directory.ConnectionString))
            .BuildServiceProvider();
        using var db = Factory.CreateDbContext();
        db.Database.Migrate();
    }

    public string ConnectionString => _directory.ConnectionString;

    public IDbContextFactory<ProfileStudioDbContext> Factory => _services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();

    public void Dispose()
    {
        _services.Dispose();
        _directory.Dispose();
    }
}
