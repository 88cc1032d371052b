using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Hosting;

/// <summary>
/// The real app in memory on a fresh data folder of its own (database, keys), with a known
/// bootstrap administrator. One per test class, so classes running in parallel share nothing.
/// </summary>
public class StudioAppFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@studio.test";
    public const string AdminPassword = "Admin-Pass-2026!";

    private readonly TempDirectory _data = new();

    public string DataDirectory => _data.Path;

    public UserAdministration Users => Services.GetRequiredService<UserAdministration>();

    public AuditLog Audit => Services.GetRequiredService<AuditLog>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ProfileStudio:DataDirectory", _data.Path);
        builder.UseSetting("ProfileStudio:DemoData:Enabled", "false");
        builder.UseSetting("ProfileStudio:Bootstrap:AdminEmail", AdminEmail);
        builder.UseSetting("ProfileStudio:Bootstrap:AdminPassword", AdminPassword);
        builder.ConfigureTestServices(ConfigureTestServices);
    }

    /// <summary>Replaces app services for one kind of test (registered after the app's own).</summary>
    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    /// <summary>A client that keeps its own cookies and shows redirects instead of following them.</summary>
    public StudioClient CreateStudioClient() =>
        new(CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>Creates a user with a known password (nothing to change at sign-in).</summary>
    public async Task<string> CreateUserAsync(string role, string password = "User-Pass-2026!")
    {
        var email = $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@studio.test";
        var result = await Users.CreateAsync(AuditActor.System, email, "", [role], password);
        Assert.True(result.Succeeded, result.Error);
        return email;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _data.Dispose();
    }
}
