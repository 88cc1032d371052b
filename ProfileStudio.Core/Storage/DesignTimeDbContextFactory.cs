using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ProfileStudio.Core.Storage;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the app.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ProfileStudioDbContext>
{
    public ProfileStudioDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ProfileStudioDbContext>()
            .UseSqlite(SqliteDatabase.ConnectionString(Path.GetTempPath()))
            .Options);
}
