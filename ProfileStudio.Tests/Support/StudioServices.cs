using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProfileStudio.Accounts;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Tests.Support;

/// <summary>
/// The app's Core (and optionally account) services on a real SQLite database in a temp folder,
/// with the start-up work the host does before it listens (migrations, identity bootstrap). No web server.
/// </summary>
internal sealed class StudioServices : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly ServiceProvider _provider;

    private readonly bool _withAccounts;

    private StudioServices(TempDirectory directory, ServiceProvider provider, bool withAccounts)
    {
        _directory = directory;
        _provider = provider;
        _withAccounts = withAccounts;
    }

    public IServiceProvider Services => _provider;

    public string DataDirectory => _directory.Path;

    public AuditLog Audit => _provider.GetRequiredService<AuditLog>();

    public UserAdministration Users => _provider.GetRequiredService<UserAdministration>();

    /// <summary>Builds the services; <paramref name="settings"/> are keys under <c>ProfileStudio:</c>.</summary>
    public static StudioServices Create(
        bool withAccounts,
        IDictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        ILoggerProvider? logs = null)
    {
        var directory = new TempDirectory();
        var values = new Dictionary<string, string?>
        {
            ["ProfileStudio:DataDirectory"] = directory.Path,
            ["ProfileStudio:Storage:Provider"] = StoragePorts.Provider, // the reader tests run on the provider under test
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[$"ProfileStudio:{key}"] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Debug);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        if (time is not null)
        {
            // Registered first: AddProfileStudioCore only adds the system clock when none is there.
            services.AddSingleton(time);
        }
        services.AddProfileStudioCore(configuration);
        if (withAccounts)
        {
            // The real account registration, so the tests use the app's Identity options (password
            // length, lockout, unique email) rather than a copy of them.
            services.AddStudioAccounts();
            // Keys in memory: nothing written to the user's profile folder.
            services.AddDataProtection().UseEphemeralDataProtectionProvider();
        }
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = false });
        return new StudioServices(directory, provider, withAccounts);
    }

    /// <summary>Creates the services and runs the start-up work, as the host does before it listens.</summary>
    public static async Task<StudioServices> StartAsync(
        bool withAccounts,
        IDictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        ILoggerProvider? logs = null)
    {
        var studio = Create(withAccounts, settings, time, logs);
        await studio.StartHostedServicesAsync();
        return studio;
    }

    /// <summary>
    /// Runs the start-up work these tests depend on, in the host's order: migrations, then (with
    /// accounts) the identity bootstrap. Other hosted services (background workers) are not started.
    /// </summary>
    public async Task StartHostedServicesAsync()
    {
        await CreateMigrator().StartAsync(CancellationToken.None);
        if (_withAccounts)
        {
            await CreateBootstrapper().StartAsync(CancellationToken.None);
        }
    }

    public DatabaseMigrator CreateMigrator() => ActivatorUtilities.CreateInstance<DatabaseMigrator>(_provider);

    public IdentityBootstrapper CreateBootstrapper() => ActivatorUtilities.CreateInstance<IdentityBootstrapper>(_provider);

    /// <summary>Runs <paramref name="action"/> with a UserManager from a fresh scope.</summary>
    public async Task<T> WithUserManagerAsync<T>(Func<UserManager<ApplicationUser>, Task<T>> action)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>());
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        _directory.Dispose();
    }
}
