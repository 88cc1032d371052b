using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Security;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Sources;

/// <summary>
/// Write keys chosen by hand in configuration follow the same length rule as generated ones (32 random
/// characters after <c>wk_</c>): only their SHA-256 is stored, unsalted, which is safe for long random keys only.
/// </summary>
public sealed class ConfiguredSecretsTests
{
    private static async Task<StudioServices> StartWithSourceAsync(string name, string key) =>
        await StudioServices.StartAsync(withAccounts: false, new Dictionary<string, string?>
        {
            ["Bootstrap:Sources:0:Name"] = "Website",
            ["Bootstrap:Sources:0:Kind"] = "streaming",
            ["Bootstrap:Sources:0:WriteKey"] = "wk_a_long_enough_key_for_the_website",
            ["Bootstrap:Sources:1:Name"] = name,
            ["Bootstrap:Sources:1:Kind"] = "batch",
            ["Bootstrap:Sources:1:WriteKey"] = key,
        });

    [Theory]
    [InlineData("wk_short", "at least 32 characters")]
    [InlineData("wk_thirty_one_characters_000001", "at least 32 characters")]
    [InlineData("wk_has a space in it_0000000000000", "cannot contain spaces")]
    [InlineData("wk_user:password_00000000000000000", "cannot contain \":\"")]
    public async Task Start_ConfiguredWriteKeyTooWeak_StopsTheStartNamingTheEntryAndStoresNothing(string key, string reason)
    {
        await using var studio = await StartWithSourceAsync("CRM export", key);
        var bootstrapper = ActivatorUtilities.CreateInstance<SourceBootstrapper>(studio.Services);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => bootstrapper.StartAsync(CancellationToken.None));

        Assert.Contains("ProfileStudio:Bootstrap:Sources \"CRM export\"", thrown.Message);
        Assert.Contains(reason, thrown.Message);
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        Assert.Empty(await db.Sources.ToListAsync()); // not even the valid entry before it
    }

    [Fact]
    public async Task Start_ConfiguredWriteKeyOf32Characters_IsProvisioned()
    {
        await using var studio = await StartWithSourceAsync("CRM export", "wk_thirty_two_characters_0000001");
        var bootstrapper = ActivatorUtilities.CreateInstance<SourceBootstrapper>(studio.Services);

        await bootstrapper.StartAsync(CancellationToken.None);

        Assert.NotNull(await studio.Services.GetRequiredService<SourceRegistry>().FindByWriteKeyAsync("wk_thirty_two_characters_0000001"));
    }

    [Fact]
    public void GeneratedSecrets_MeetTheRuleForConfiguredOnes()
    {
        var key = WriteKeys.Generate();
        var token = ApiTokenSecrets.Generate();

        Assert.Equal(35, key.Length); // wk_ + 32 random base-62 characters: 190 bits
        Assert.Null(WriteKeys.Validate(key));
        Assert.Equal(44, token.Length); // pst_ + 40: 238 bits
        Assert.Null(ApiTokenStore.ValidateSecret(token));
        Assert.Equal(WriteKeys.MinLength, ApiTokenSecrets.MinLength);
    }
}
