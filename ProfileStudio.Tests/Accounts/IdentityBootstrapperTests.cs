using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Accounts;

public sealed class IdentityBootstrapperTests : IAsyncLifetime
{
    private readonly CapturingLoggerProvider _logs = new();
    private StudioServices? _studio;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }

    private async Task<StudioServices> StartAsync(string? email, string? password)
    {
        _studio = StudioServices.Create(withAccounts: true, new Dictionary<string, string?>
        {
            ["Bootstrap:AdminEmail"] = email,
            ["Bootstrap:AdminPassword"] = password,
        }, logs: _logs);
        await _studio.StartHostedServicesAsync();
        return _studio;
    }

    private IdentityBootstrapper Bootstrapper => _studio!.CreateBootstrapper();

    private IReadOnlyList<CapturedLog> BootstrapLogs => _logs.Entries.Where(e => e.Category == typeof(IdentityBootstrapper).FullName).ToList();

    private async Task<(ApplicationUser User, IList<string> Roles)> FindAsync(string email) =>
        await _studio!.WithUserManagerAsync(async users =>
        {
            var user = await users.FindByEmailAsync(email);
            Assert.NotNull(user);
            return (user, await users.GetRolesAsync(user));
        });

    private Task<bool> PasswordWorksAsync(string email, string password) =>
        _studio!.WithUserManagerAsync(async users => await users.CheckPasswordAsync((await users.FindByEmailAsync(email))!, password));

    [Fact]
    public async Task StartAsync_ConfiguredEmailAndPassword_CreatesThatAdmin()
    {
        await StartAsync("root@example.com", "Configured-Pass-9");

        var (admin, roles) = await FindAsync("root@example.com");

        Assert.Equal([Roles.Admin], roles);
        Assert.False(admin.MustChangePassword);
        Assert.True(await PasswordWorksAsync("root@example.com", "Configured-Pass-9"));
        Assert.DoesNotContain(_logs.Entries, e => e.Message.Contains("Configured-Pass-9"));
        var entry = Assert.Single((await _studio!.Audit.QueryAsync(new AuditFilter(Action: AuditActions.UserBootstrapped), 0, 10)).Entries);
        Assert.Equal("system", entry.ActorName);
        Assert.Equal("root@example.com", entry.Target);
    }

    [Fact]
    public async Task StartAsync_NoPassword_LogsAGeneratedPasswordOnce()
    {
        await StartAsync("root@example.com", null);

        var withPassword = Assert.Single(BootstrapLogs, e => e.Values.ContainsKey("Password"));
        var password = Assert.IsType<string>(withPassword.Values["Password"]);
        var (admin, roles) = await FindAsync("root@example.com");

        Assert.Equal(LogLevel.Warning, withPassword.Level);
        Assert.Contains(password, withPassword.Message);
        Assert.Single(_logs.Entries, e => e.Message.Contains(password));
        Assert.True(await PasswordWorksAsync("root@example.com", password));
        Assert.True(admin.MustChangePassword);
        Assert.Equal([Roles.Admin], roles);
    }

    [Fact]
    public async Task StartAsync_NoEmailAndNoUsers_CreatesTheDefaultAdmin()
    {
        await StartAsync(email: "", password: "");

        var (admin, roles) = await FindAsync(IdentityBootstrapper.DefaultAdminEmail);

        Assert.True(admin.MustChangePassword);
        Assert.Equal([Roles.Admin], roles);
    }

    [Fact]
    public async Task StartAsync_RunTwice_CreatesOneAdminAndLogsThePasswordOnce()
    {
        await StartAsync("root@example.com", null);

        await Bootstrapper.StartAsync(CancellationToken.None);

        var users = await _studio!.Users.ListAsync();
        Assert.Equal(["root@example.com"], users.Select(u => u.Email));
        Assert.Single(BootstrapLogs, e => e.Values.ContainsKey("Password"));
        Assert.Equal(1, (await _studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.UserBootstrapped), 0, 10)).Total);
        await using var scope = _studio.Services.CreateAsyncScope();
        Assert.Equal(Roles.All.Count, await scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>().Roles.CountAsync());
    }

    [Fact]
    public async Task StartAsync_NoEmailButUsersExist_CreatesNobody()
    {
        await StartAsync("root@example.com", "Configured-Pass-9");
        // The next start-up has no email configured (options are read once, so change the cached value).
        _studio!.Services.GetRequiredService<IOptions<ProfileStudioOptions>>().Value.Bootstrap.AdminEmail = null;

        await Bootstrapper.StartAsync(CancellationToken.None);

        Assert.Equal(["root@example.com"], (await _studio.Users.ListAsync()).Select(u => u.Email));
    }

    [Fact]
    public async Task StartAsync_Always_CreatesEveryRole()
    {
        await StartAsync("root@example.com", "Configured-Pass-9");
        await using var scope = _studio!.Services.CreateAsyncScope();
        var roleManager = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();

        var names = await roleManager.Roles.Select(r => r.Name!).OrderBy(n => n).ToListAsync();

        Assert.Equal(Roles.All.Order(), names);
    }

    [Fact]
    public async Task StartAsync_ConfiguredPasswordTooWeak_FailsWithTheReason()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("root@example.com", "weak"));

        Assert.Contains("root@example.com", error.Message);
        Assert.Contains("AdminPassword", error.Message);
    }

    [Fact]
    public async Task StartAsync_ConfiguredEmailWithoutADotInItsDomain_FailsSayingWhatToFix()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("root@localhost", "Configured-Pass-9"));

        Assert.Equal("The bootstrap administrator cannot be created: The domain \"localhost\" has no dot; write the whole domain, "
            + "e.g. localhost.com or example.org. Fix ProfileStudio:Bootstrap:AdminEmail in appsettings.json.", error.Message);
    }

    [Fact]
    public async Task StartAsync_ConfiguredEmailWithAnApostropheAndAnUmlaut_CreatesThatAdmin()
    {
        await StartAsync("jürgen.o'brien@exämple.de", "Configured-Pass-9");

        var (admin, roles) = await FindAsync("jürgen.o'brien@exämple.de");

        Assert.Equal("jürgen.o'brien@exämple.de", admin.UserName);
        Assert.Equal([Roles.Admin], roles);
    }
}
