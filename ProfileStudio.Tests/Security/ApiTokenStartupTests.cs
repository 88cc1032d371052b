namespace ProfileStudio.Tests.Security;

/// <summary>Configuration mistakes stop the start with a message that names the setting.</summary>
public sealed class ApiTokenStartupTests
{
    private static async Task<string> StartFailureAsync(Dictionary<string, string> settings)
    {
        await using var factory = new ApiTokenAppFactory { Settings = settings };
        var thrown = Record.Exception(() => factory.CreateClient());
        Assert.NotNull(thrown);
        return thrown.ToString();
    }

    [Fact]
    public async Task Start_BootstrapTokenWithAnUnknownScope_FailsNamingTheEntryAndTheScopes()
    {
        var failure = await StartFailureAsync(new()
        {
            ["ProfileStudio:Bootstrap:ApiTokens:3:Name"] = "Typo",
            ["ProfileStudio:Bootstrap:ApiTokens:3:Token"] = "pst_test_typo_000000000000000000000004",
            ["ProfileStudio:Bootstrap:ApiTokens:3:Scopes:0"] = "profile:read",
        });

        Assert.Contains("ProfileStudio:Bootstrap:ApiTokens \"Typo\": unknown scope \"profile:read\"; the scopes are profiles:read, profiles:delete, ingest:batch.", failure);
    }

    [Theory]
    [InlineData("RequestsPerSecondPerToken")]
    [InlineData("BurstPerToken")]
    public async Task Start_RateLimitBelowOne_FailsNamingTheSetting(string setting)
    {
        var failure = await StartFailureAsync(new() { [$"ProfileStudio:Api:{setting}"] = "0" });

        Assert.Contains($"ProfileStudio:Api:{setting} must be at least 1.", failure);
    }
}
