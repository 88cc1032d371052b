using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;


namespace ProfileStudio.Core.Sources;

/// <summary>Applies <c>ProfileStudio:Bootstrap:Sources</c> at start-up; running it again changes nothing.</summary>
public sealed class SourceBootstrapper(SourceRegistry sources, IOptions<ProfileStudioOptions> options, ILogger<SourceBootstrapper> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Every entry is checked before any is applied: a mistake stops the start with nothing half done.
        var entries = new List<(BootstrapSource Configured, SourceKind Kind)>();
        foreach (var configured in options.Value.Bootstrap.Sources)
        {
            if (string.IsNullOrWhiteSpace(configured.Name) || string.IsNullOrWhiteSpace(configured.WriteKey))
            {
                throw new InvalidOperationException("Each ProfileStudio:Bootstrap:Sources entry needs a Name and a WriteKey.");
            }
            if (!Enum.TryParse<SourceKind>(configured.Kind, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            {
                throw new InvalidOperationException(
                    $"ProfileStudio:Bootstrap:Sources \"{configured.Name}\": Kind must be streaming or batch, not \"{configured.Kind}\".");
            }
            if (WriteKeys.Validate(configured.WriteKey.Trim()) is { } weak)
            {
                throw new InvalidOperationException($"ProfileStudio:Bootstrap:Sources \"{configured.Name}\": WriteKey: {weak}");
            }
            entries.Add((configured, kind));
        }
        foreach (var (configured, kind) in entries)
        {
            var result = await sources.EnsureAsync(configured.Name.Trim(), kind, configured.WriteKey.Trim(), cancellationToken);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"ProfileStudio:Bootstrap:Sources \"{configured.Name}\": {result.Error}");
            }
            logger.LogInformation("Source {Name} ({Kind}) provisioned from configuration.", configured.Name, kind);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
