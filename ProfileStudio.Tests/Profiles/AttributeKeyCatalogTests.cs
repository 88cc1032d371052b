using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

public sealed class AttributeKeyCatalogTests
{
    [Fact]
    public async Task Get_CountsProfilesPerKey_OnceWhateverTheSources()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, 1, "firstName"), (1, 2, "firstName"), (1, 1, "plan"), (2, 2, "firstName"), (3, 1, "first_name"));
        var catalog = studio.Services.GetRequiredService<AttributeKeyCatalog>();

        var keys = await catalog.GetAsync();

        Assert.Equal(2, keys.Profiles("firstName"));
        Assert.Equal(1, keys.Profiles("plan"));
        Assert.Equal(1, keys.Profiles("first_name"));
        Assert.Null(keys.Profiles("lastName"));
    }

    [Fact]
    public async Task Get_OmitsKeysNoProfileHasAnyMore()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, 1, "plan"), (2, 1, "tier"));
        await using (var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            await db.ProfileAttributes.Where(a => a.Key == "tier").ExecuteDeleteAsync();
        }
        await studio.Services.GetRequiredService<SchemaMaintainer>().RecountAsync();

        var keys = await studio.Services.GetRequiredService<AttributeKeyCatalog>().GetAsync();

        Assert.Equal(1, keys.Profiles("plan"));
        Assert.Null(keys.Profiles("tier"));
    }

    [Fact]
    public async Task Get_AQuickCount_SeesKeysAddedSinceTheLastOne()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var catalog = studio.Services.GetRequiredService<AttributeKeyCatalog>();
        Assert.Null((await catalog.GetAsync()).Profiles("points"));

        await SeedAsync(studio, (7, 1, "points"));

        Assert.Equal(1, (await catalog.GetAsync()).Profiles("points"));
    }

    private static async Task SeedAsync(StudioServices studio, params IEnumerable<(long Profile, int Source, string Key)> fragments)
    {
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        var known = (await db.Profiles.Select(p => p.Id).ToListAsync()).ToHashSet();
        foreach (var (profile, source, key) in fragments)
        {
            if (known.Add(profile))
            {
                db.Profiles.Add(new Profile { Id = profile, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, FirstMessageId = profile, LastMessageId = profile });
            }
            db.ProfileAttributes.Add(new ProfileAttribute { ProfileId = profile, SourceId = source, Key = key, ValueJson = "\"x\"", EventAt = DateTime.UtcNow, MessageId = profile });
        }
        await db.SaveChangesAsync();
        // The union schema is kept by its change-feed consumer; a recount reads the same stored fragments.
        await studio.Services.GetRequiredService<SchemaMaintainer>().RecountAsync();
    }
}
