using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Core.Security;

/// <summary>
/// Applies <c>ProfileStudio:Bootstrap:ApiTokens</c> at start-up; running it again changes nothing. A
/// mistake in the list stops the start with a message naming the entry, rather than a token that
/// silently does not work.
/// </summary>
public sealed class ApiTokenBootstrapper(ApiTokenStore tokens, IOptions<ProfileStudioOptions> options, ILogger<ApiTokenBootstrapper> logger)
    : IHostedService
{
    private const string Key = "ProfileStudio:Bootstrap:ApiTokens";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value.Bootstrap.ApiTokens;
        for (var i = 0; i < configured.Count; i++)
        {
            var entry = configured[i];
            var label = string.IsNullOrWhiteSpace(entry.Name) ? $"{Key}:{i}" : $"{Key} \"{entry.Name.Trim()}\"";
            if (string.IsNullOrWhiteSpace(entry.Name) || string.IsNullOrWhiteSpace(entry.Token))
            {
                throw new InvalidOperationException($"{label}: each entry needs a Name and a Token.");
            }
            if (ApiTokenStore.ValidateSecret(entry.Token.Trim()) is { } weak)
            {
                throw new InvalidOperationException($"{label}: Token: {weak}");
            }
            if (entry.Scopes.Count == 0)
            {
                throw new InvalidOperationException(
                    $"{label}: give it Scopes, one or more of {string.Join(", ", ApiScopes.All)}.");
            }
            if (ApiScopes.Normalize(entry.Scopes, out var unknown) is null)
            {
                throw new InvalidOperationException(
                    $"{label}: unknown scope \"{unknown}\"; the scopes are {string.Join(", ", ApiScopes.All)}.");
            }
            if (configured.Take(i).Any(other => other.Name.Trim() == entry.Name.Trim()))
            {
                throw new InvalidOperationException($"{label}: the name is listed twice.");
            }
            if (configured.Take(i).Any(other => other.Token.Trim() == entry.Token.Trim()))
            {
                throw new InvalidOperationException($"{label}: the same Token is already given to another entry.");
            }
        }

        foreach (var entry in configured)
        {
            var result = await tokens.EnsureAsync(entry.Name.Trim(), entry.Token.Trim(), entry.Scopes, cancellationToken);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"{Key} \"{entry.Name.Trim()}\": {result.Error}");
            }
            if (result.Token!.IsRevoked)
            {
                logger.LogWarning(
                    "API token {Name} from configuration was revoked on {RevokedAt:u} and stays revoked; give it a new Token to provision a new one.",
                    result.Token.Name, result.Token.RevokedAt);
                continue;
            }
            logger.LogInformation("API token {Name} ({Scopes}) provisioned from configuration.", result.Token.Name, string.Join(", ", result.Token.Scopes));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
