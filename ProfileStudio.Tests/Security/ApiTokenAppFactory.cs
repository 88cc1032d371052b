using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Security;
using ProfileStudio.Tests.Hosting;

namespace ProfileStudio.Tests.Security;

/// <summary>The real app with API tokens provisioned from configuration, as an automated set-up does.</summary>
public sealed class ApiTokenAppFactory : StudioAppFactory
{
    public const string ReaderToken = "pst_test_reader_00000000000000000001";
    public const string LoaderToken = "pst_test_loader_00000000000000000002";
    public const string EverythingToken = "pst_test_everything_0000000000000003";

    public static readonly IReadOnlyList<(string Name, string Token, string[] Scopes)> ConfiguredTokens =
    [
        ("Reader", ReaderToken, [ApiScopes.ProfilesRead]),
        ("Loader", LoaderToken, [ApiScopes.IngestBatch]),
        ("Everything", EverythingToken, [ApiScopes.ProfilesRead, ApiScopes.ProfilesDelete, ApiScopes.IngestBatch]),
    ];

    /// <summary><c>ProfileStudio:Api:RequestsPerSecondPerToken</c> and <c>BurstPerToken</c>, when a test needs them small.</summary>
    public (int PerSecond, int Burst)? RateLimit { get; init; }

    /// <summary>Extra settings (full keys), e.g. a broken configuration whose start must fail.</summary>
    public IDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    public ApiTokenStore Tokens => Services.GetRequiredService<ApiTokenStore>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        for (var i = 0; i < ConfiguredTokens.Count; i++)
        {
            var (name, token, scopes) = ConfiguredTokens[i];
            builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Name", name);
            builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Token", token);
            for (var s = 0; s < scopes.Length; s++)
            {
                builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Scopes:{s}", scopes[s]);
            }
        }
        if (RateLimit is var (perSecond, burst))
        {
            builder.UseSetting("ProfileStudio:Api:RequestsPerSecondPerToken", perSecond.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("ProfileStudio:Api:BurstPerToken", burst.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A client that sends <paramref name="token"/> as a bearer token (none when null) and follows no redirect.</summary>
    public HttpClient CreateBearerClient(string? token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>A client that sends <paramref name="token"/> as the Basic-auth user name, with <paramref name="password"/>.</summary>
    public HttpClient CreateBasicClient(string token, string password = "")
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{token}:{password}")));
        return client;
    }
}
