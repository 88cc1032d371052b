using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Tests.Support;

/// <summary>
/// The storage ports as the app builds them: from configuration (<c>ProfileStudio:Storage:Provider</c>,
/// from the <see cref="ProviderVariable"/> environment variable, else the default), on a fresh database
/// in a temp folder, migrated. Contract tests resolve the ports from here and use EF Core for their
/// own set-up and checks, so another provider runs them as they are.
/// </summary>
internal sealed class StoragePorts : IAsyncDisposable
{
    /// <summary>Set it (e.g. <c>PROFILESTUDIO_TEST_STORAGE_PROVIDER=sqlite</c>) to run the contract tests on another provider.</summary>
    public const string ProviderVariable = "PROFILESTUDIO_TEST_STORAGE_PROVIDER";

    private readonly TempDirectory? _directory;
    private readonly ServiceProvider _services;

    /// <summary>The data directory the provider stores in.</summary>
    public string DataDirectory { get; }

    /// <summary>On a fresh temp folder, or on <paramref name="dataDirectory"/> (kept) when given, e.g. a killed server's.</summary>
    public StoragePorts(string? dataDirectory = null)
    {
        _directory = dataDirectory is null ? new TempDirectory() : null;
        DataDirectory = dataDirectory ?? _directory!.Path;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ProfileStudio:DataDirectory"] = DataDirectory,
            ["ProfileStudio:Storage:Provider"] = Provider,
        }).Build();
        _services = new ServiceCollection().AddLogging().AddProfileStudioStorage(configuration).BuildServiceProvider();
        using var db = Db();
        db.Database.Migrate();
    }

    /// <summary>The provider under test.</summary>
    /// <summary>The setting that makes a server process (<c>ServerProcess</c>) use the provider under test.</summary>
    public static KeyValuePair<string, string> ServerSetting => new("ProfileStudio__Storage__Provider", Provider);

    public static string Provider => Environment.GetEnvironmentVariable(ProviderVariable) is { Length: > 0 } provider ? provider : StorageProviderOptions.Sqlite;

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    /// <summary>A short-lived context on the same database, for a test's set-up and checks.</summary>
    public ProfileStudioDbContext Db() => Get<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContext();

    /// <summary>The unification worker's storage, opened as the worker opens it.</summary>
    public IUnificationSession OpenSession() => Get<IUnificationStorage>().OpenAsync(CancellationToken.None).GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _directory?.Dispose();
    }
}
