using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using ProfileStudio.Tests.Ingestion;

namespace ProfileStudio.Tests.Hosting;

/// <summary>The real app on the system clock with one streaming source and a metrics token, as a Prometheus set-up has it.</summary>
public sealed class MetricsAppFactory : StudioAppFactory
{
    public const string Token = "metrics-test-token-0123456789abcdefghij";
    public const string WriteKey = "wk_test_metrics_00000000000000000001";

    /// <summary>Extra settings (a test of a bad one).</summary>
    public Dictionary<string, string> Settings { get; init; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Name", "Web");
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Kind", "streaming");
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:WriteKey", WriteKey);
        builder.UseSetting("ProfileStudio:Metrics:Token", Token);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient CreateClient(AuthenticationHeaderValue? authorization)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = authorization;
        return client;
    }

    public HttpClient CreateWriteKeyClient() => CreateClient(IngestionAppFactory.BasicAuthentication(WriteKey));
}
