using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Profiles;
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
    public async Task Get_CountsAKeyUpToTheCap_AndSaysItIsAtLeastThat()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, [.. Enumerable.Range(1, (int)AttributeKeyCatalog.CountCap + 5).Select(p => ((long)p, 1, "email_opt_in")), (1, 1, "rare")]);
        var catalog = studio.Services.GetRequiredService<AttributeKeyCatalog>();

        var keys = await catalog.GetAsync();

        Assert.Equal((AttributeKeyCatalog.CountCap, true), (keys.Profiles("email_opt_in"), keys.IsAtLeast(keys.Profiles("email_opt_in")!.Value)));
        Assert.Equal((1L, false), (keys.Profiles("rare"), keys.IsAtLeast(keys.Profiles("rare")!.Value)));
    }

    /// <summary>The catalog's queries seek the key catalog index (no scan of every fragment); other lookups by key keep theirs.</summary>
    [Fact]
    public async Task KeyQueries_UseTheKeyCatalogIndex_AndLookupsByProfileDoNot()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        async Task<string> PlanAsync(string sql)
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + sql;
            var steps = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                steps.Add(reader.GetString(3));
            }
            return string.Join(" | ", steps);
        }

        var next = await PlanAsync("SELECT min(Key) FROM ProfileAttributes WHERE ProfileId > 0 AND Key > 'a'");
        var count = await PlanAsync("SELECT count(*) FROM (SELECT DISTINCT ProfileId FROM ProfileAttributes WHERE ProfileId > 0 AND Key = 'a' LIMIT 10000)");
        var byProfile = await PlanAsync("SELECT * FROM ProfileAttributes WHERE ProfileId IN (1, 2) AND Key IN ('name', 'firstName')");

        Assert.Contains("SEARCH ProfileAttributes USING COVERING INDEX IX_ProfileAttributes_KeyCatalog (Key>?)", next);
        Assert.True(count.Contains("USING COVERING INDEX IX_ProfileAttributes_KeyCatalog (Key=? AND ProfileId>?)", StringComparison.Ordinal), count);
        Assert.DoesNotContain("TEMP B-TREE", count);
        Assert.DoesNotContain("IX_ProfileAttributes_KeyCatalog", byProfile);
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

    [Fact]
    public async Task Warm_ThenGet_SharesTheCount()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedAsync(studio, (1, 1, "plan"));
        var catalog = studio.Services.GetRequiredService<AttributeKeyCatalog>();

        catalog.Warm();
        var keys = await catalog.GetAsync();

        Assert.Equal(1, keys.Profiles("plan"));
    }

    private static async Task SeedAsync(StudioServices studio, params IEnumerable<(long Profile, int Source, string Key)> fragments)
    {
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        foreach (var (profile, source, key) in fragments)
        {
            db.ProfileAttributes.Add(new ProfileAttribute { ProfileId = profile, SourceId = source, Key = key, ValueJson = "\"x\"", EventAt = DateTime.UtcNow, MessageId = profile });
        }
        await db.SaveChangesAsync();
    }
}
