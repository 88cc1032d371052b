using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Core.Accounts;

/// <summary>
/// Creates the roles and the first administrator at start-up (after migrations, before the server
/// listens). With no password configured, a generated one is printed once to the console log.
/// </summary>
public sealed class IdentityBootstrapper(
    IServiceScopeFactory scopes,
    IOptions<ProfileStudioOptions> options,
    AuditLog audit,
    TimeProvider time,
    ILogger<IdentityBootstrapper> logger) : IHostedService
{
    public const string DefaultAdminEmail = "admin@profilestudio.local";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var roleManager = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
        {
            if (!await roleManager.RoleExistsAsync(role))
            {
                await roleManager.CreateAsync(new IdentityRole(role));
            }
        }

        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var bootstrap = options.Value.Bootstrap;
        var configuredEmail = string.IsNullOrWhiteSpace(bootstrap.AdminEmail) ? null : bootstrap.AdminEmail.Trim();
        if (configuredEmail is null && users.Users.Any())
        {
            return;
        }
        var email = configuredEmail ?? DefaultAdminEmail;
        if (await users.FindByEmailAsync(email) is not null)
        {
            return;
        }
        // Checked only for an account still to be created: one made before these rules keeps working.
        if (AccountEmail.Problem(email) is { } problem)
        {
            throw new InvalidOperationException(
                $"The bootstrap administrator cannot be created: {problem} Fix ProfileStudio:Bootstrap:AdminEmail in appsettings.json.");
        }

        var generated = string.IsNullOrEmpty(bootstrap.AdminPassword);
        var password = generated ? PasswordGenerator.Generate() : bootstrap.AdminPassword!;
        var admin = new ApplicationUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = "Administrator",
            CreatedAt = time.GetUtcNow().UtcDateTime,
            MustChangePassword = generated,
        };
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
        {
            throw new InvalidOperationException(
                $"The bootstrap administrator '{email}' could not be created: {UserAdministration.Describe(created)} " +
                "Fix ProfileStudio:Bootstrap:AdminPassword in appsettings.json.");
        }
        await users.AddToRoleAsync(admin, Roles.Admin);
        await audit.RecordAsync(AuditActor.System, AuditActions.UserBootstrapped, email,
            generated ? "generated password printed to the console log" : "password from configuration", cancellationToken);

        if (generated)
        {
            logger.LogWarning(
                """

                ================================================================
                 ProfileStudio created the first administrator.
                   Email:    {Email}
                   Password: {Password}
                 This password is shown only once. Sign in and change it now
                 (you will be asked to), or set ProfileStudio:Bootstrap:AdminPassword.
                ================================================================
                """, email, password);
        }
        else
        {
            logger.LogInformation("Created the bootstrap administrator {Email} with the configured password.", email);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
