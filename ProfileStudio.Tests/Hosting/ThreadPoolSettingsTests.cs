using Microsoft.Extensions.Configuration;
using ProfileStudio.Hosting;

namespace ProfileStudio.Tests.Hosting;

public sealed class ThreadPoolSettingsTests
{
    private static IConfiguration Config(string? value) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ThreadPoolSettings.Key] = value }).Build();

    [Theory]
    [InlineData("32", 32)]
    [InlineData(" 40 ", 40)] // spaces around, as an environment variable may have
    public void Apply_AWholeNumber_StartsAtLeastThatManyWorkerThreadsAtOnce(string value, int expected)
    {
        ThreadPoolSettings.Apply(Config(value));

        ThreadPool.GetMinThreads(out var workers, out _);
        Assert.True(workers >= expected, $"minimum worker threads {workers}");
    }

    [Theory]
    [InlineData("many")]
    [InlineData("-4")]
    [InlineData("2.5")]
    [InlineData("5000")]
    public void Apply_NotAWholeNumberUpTo1024_StopsTheStartNamingTheKey(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ThreadPoolSettings.Apply(Config(value)));

        Assert.Equal($"ProfileStudio:ThreadPool:MinWorkerThreads must be a whole number from 0 to 1024 (0 keeps the runtime's default); it is \"{value}\".", error.Message);
    }

    [Fact]
    public void Apply_Zero_NeverLowersTheMinimum()
    {
        ThreadPool.GetMinThreads(out var before, out _);

        ThreadPoolSettings.Apply(Config("0"));

        ThreadPool.GetMinThreads(out var after, out _);
        Assert.Equal(before, after);
    }

    [Fact]
    public void TheApp_RunsWithIdlePoolThreadsSleepingAtOnce_NotSpinning()
    {
        // The runtime reads it from the app's runtimeconfig at start (README, configuration): on 2 cores the spinning took
        // about 5% of the server's CPU under load.
        using var runtimeConfig = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ProfileStudio.runtimeconfig.json")));

        var properties = runtimeConfig.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
