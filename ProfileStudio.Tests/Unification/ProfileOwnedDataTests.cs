using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Tests.Unification;

/// <summary>
/// The register of profile-owned data is complete: a new per-profile table that is not registered
/// would silently go stale on merge, split, delete or rebuild, so the EF model is checked against it.
/// </summary>
public sealed class ProfileOwnedDataTests
{
    private static ProfileStudioDbContext Model() =>
        new(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite("Data Source=:memory:").Options);

    [Fact]
    public void EveryEntityWithAProfileIdColumn_IsRegisteredOrLeftOutWithAReason()
    {
        using var db = Model();
        var withProfileColumn = db.Model.GetEntityTypes()
            .Where(e => e.GetProperties().Any(p => p.Name.EndsWith("ProfileId", StringComparison.Ordinal) || p.Name == "MergedIntoId"))
            .Select(e => e.GetTableName()!)
            .ToList();

        var registered = ProfileOwnedData.Tables.Select(t => t.Name).ToHashSet();
        var missing = withProfileColumn.Where(t => !registered.Contains(t) && !ProfileOwnedData.NotOwned.ContainsKey(t)).ToList();

        Assert.True(missing.Count == 0,
            $"Tables with a profile-id column that ProfileOwnedData does not register: {string.Join(", ", missing)}. " +
            "Add each to ProfileOwnedData.Tables (how its rows move on merge, split, delete and rebuild), or to NotOwned with the reason.");
        Assert.Contains("ProfileAttributes", withProfileColumn);
    }

    [Fact]
    public void EveryRegisteredTable_ExistsInTheModel_AndSaysWhatItHolds()
    {
        using var db = Model();
        var tables = db.Model.GetEntityTypes().Select(e => e.GetTableName()).ToHashSet();

        Assert.All(ProfileOwnedData.Tables, t =>
        {
            Assert.Contains(t.Name, tables);
            Assert.False(string.IsNullOrWhiteSpace(t.Why), $"{t.Name} says what it holds");
        });
        Assert.All(ProfileOwnedData.NotOwned.Keys, t => Assert.Contains(t, tables));
    }

    [Fact]
    public void ARebuild_RecomputesEveryRegisteredTable_TheProfilesAndTheCheckpoint()
    {
        Assert.Equal(
            [.. ProfileOwnedData.Tables.Select(t => t.Name), "Profiles", "UnificationCheckpoints"],
            ProfileTables.Live.All);
        Assert.All(ProfileTables.Rebuild.All, t => Assert.StartsWith("Rebuild_", t));
    }
}
