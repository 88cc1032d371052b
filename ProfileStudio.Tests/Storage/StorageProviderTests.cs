using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Storage;

/// <summary><c>ProfileStudio:Storage:Provider</c> chooses the implementation of every storage port; an unknown one stops the start.</summary>
public sealed class StorageProviderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Theory]
    [InlineData(null)]
    [InlineData("sqlite")]
    [InlineData(" SQLite ")]
    public void Ports_DefaultOrSqlite_AreTheSqliteImplementations(string? provider)
    {
        using var services = Services(provider);

        Assert.IsType<SqliteLakeAppend>(services.GetRequiredService<ILakeAppend>());
        Assert.IsType<SqliteUnificationStorage>(services.GetRequiredService<IUnificationStorage>());
        Assert.IsType<SqliteProfileLookupStore>(services.GetRequiredService<IProfileLookupStore>());
    }

    [Fact]
    public async Task Start_UnknownProvider_FailsNamingTheValidValues()
    {
        var configuration = Configuration("postgres");
        using var host = new HostBuilder().ConfigureServices(s => s.AddProfileStudioStorage(configuration)).Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ProfileStudio:Storage:Provider is \"postgres\"", failure.Message, StringComparison.Ordinal);
        Assert.Contains("valid values: sqlite", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_UnknownProvider_FailsWithTheSameMessage()
    {
        using var services = Services("mongo");

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IUnificationStorage>());

        Assert.Contains("\"mongo\", which is not a storage provider; valid values: sqlite", failure.Message, StringComparison.Ordinal);
    }

    private ServiceProvider Services(string? provider) =>
        new ServiceCollection().AddLogging().AddProfileStudioStorage(Configuration(provider)).BuildServiceProvider();

    private IConfiguration Configuration(string? provider)
    {
        var values = new Dictionary<string, string?> { ["ProfileStudio:DataDirectory"] = _directory.Path };
        if (provider is not null)
        {
            values["ProfileStudio:Storage:Provider"] = provider;
        }
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    public void Dispose() => _directory.Dispose();
}
