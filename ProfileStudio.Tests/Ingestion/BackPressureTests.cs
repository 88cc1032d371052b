using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using ProfileStudio.Tests.Hosting;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>A full writer queue answers 429 with Retry-After instead of letting memory grow.</summary>
public sealed class BackPressureTests : IClassFixture<BackPressureTests.App>
{
    private const string Key = "wk_back_pressure_0123456789abcdef";
    private readonly App _app;

    public BackPressureTests(App app) => _app = app;

    public sealed class App : StudioAppFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ProfileStudio:Ingestion:MaxQueuedMessages", "1");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Name", "Web");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Kind", "streaming");
            builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:WriteKey", Key);
        }
    }

    [Fact]
    public async Task Post_MoreThanTheQueueHolds_Is429WithRetryAfter()
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Key + ":")));

        var response = await client.PostAsync("/v1/batch", new StringContent(
            """{"batch":[{"type":"track","userId":"u","event":"A"},{"type":"track","userId":"u","event":"B"}]}""", Encoding.UTF8, "application/json"));
        var single = await client.PostAsync("/v1/track", new StringContent("""{"userId":"u","event":"C"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("rate_limit_error", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, single.StatusCode); // one message fits
    }
}
