using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Storage;

public sealed class DatabaseHealthCheckTests : IAsyncLifetime
{
    private readonly StudioServices _studio = StudioServices.Create(withAccounts: false);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private DatabaseHealthCheck Check =>
        new(_studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>());

    [Fact]
    public async Task CheckHealthAsync_MigrationsNotApplied_IsUnhealthy()
    {
        var result = await Check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
    }

    [Fact]
    public async Task CheckHealthAsync_AfterStartUp_IsHealthy()
    {
        await _studio.StartHostedServicesAsync();

        var result = await Check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }
}
