using Microsoft.Extensions.Hosting;

namespace ProfileStudio.Core.MergePolicies;

/// <summary>Creates the default policy "Most recent" at start-up (after migrations); running it again changes nothing.</summary>
public sealed class MergePolicyBootstrapper(MergePolicyStore policies) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => policies.EnsureDefaultAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
