using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Hosting;
using ProfileStudio.Tests.Hosting;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>The Profile API app with the test clock on (ProfileStudio:Testing:ClockControl), as end-to-end tests run it.</summary>
public sealed class ClockControlAppFactory : ProfileApiAppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting(OffsetTimeProvider.Setting, "true");
    }
}

/// <summary>
/// The test clock: an administrator moves the app's time forward, and computed values whose window moved
/// are recomputed at once (a 1-day count drops to 0). Bad hours get a 400; other roles are refused; the app
/// will not start with it in Production.
/// </summary>
public sealed class TestClockTests(ClockControlAppFactory factory) : IClassFixture<ClockControlAppFactory>
{
    private async Task<StudioClient> SignedInAsync(string role)
    {
        var email = await factory.CreateUserAsync(role);
        var client = factory.CreateStudioClient();
        using var response = await client.SignInAsync(email, "User-Pass-2026!");
        return client;
    }

    [Fact]
    public async Task Advance_AsAdmin_MovesTheClockAndAWindowedCountDrops()
    {
        var store = factory.Services.GetRequiredService<ComputedAttributeStore>();
        var saved = await store.SaveAsync(AuditActor.System, null,
            new ComputedAttributeDraft("orders_1d", null, ComputedFunction.Count, ["Order Completed"], null, [], LookbackWindow.Days(1)));
        await store.ActivateAsync(AuditActor.System, saved.Definition!.Id);
        await Poll.UntilAsync(() => store.BackfillAsync(saved.Definition.Id), p => p?.State == BackfillState.Done, "the backfill");
        var user = $"u-{Guid.NewGuid():N}";
        var now = factory.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "track", messageId = $"o-{user}", userId = user, @event = "Order Completed", timestamp = now, properties = new { amount = 5 } });
        await factory.UnifiedAsync();
        using var reader = factory.Client(ProfileApiAppFactory.ReaderToken);
        async Task<long> OrdersAsync() => (await ApiResponses.JsonAsync(await reader.GetAsync($"/api/v1/profiles/user_id:{user}/traits?class=computed_trait")))
            .GetProperty("traits").GetProperty("orders_1d").GetInt64();
        Assert.Equal(1, await OrdersAsync());

        using var admin = await SignedInAsync(Roles.Admin);
        using var response = await admin.Http.PostAsync("/api/testing/clock/advance?hours=49", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ApiResponses.JsonAsync(response);
        Assert.True(body.GetProperty("now").GetDateTime() > now.AddHours(48));
        Assert.Equal(0, await OrdersAsync());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-2")]
    [InlineData("0")]
    [InlineData("1e9")]
    public async Task Advance_HoursThatAreNotAForwardMove_400WithTheReason(string hours)
    {
        using var admin = await SignedInAsync(Roles.Admin);
        using var response = await admin.Http.PostAsync($"/api/testing/clock/advance?hours={hours}", null);

        var message = await ApiResponses.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");

        Assert.Contains("hours must be", message);
    }

    [Fact]
    public async Task Advance_AsAMarketer_Refused()
    {
        var before = factory.Services.GetRequiredService<OffsetTimeProvider>().Offset;
        using var marketer = await SignedInAsync(Roles.Marketer);
        using var response = await marketer.Http.PostAsync("/api/testing/clock/advance?hours=5", null);

        Assert.False(response.IsSuccessStatusCode);
        Assert.Equal(before, factory.Services.GetRequiredService<OffsetTimeProvider>().Offset);
    }

    [Fact]
    public void AddTestClock_InProduction_RefusesToStart()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [OffsetTimeProvider.Setting] = "true" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTestClock(configuration, new Environment(Environments.Production)));

        Assert.Contains("Production", error.Message);
    }

    [Fact]
    public void AddTestClock_Off_LeavesTheSystemClock()
    {
        var services = new ServiceCollection().AddTestClock(new ConfigurationBuilder().Build(), new Environment(Environments.Development));

        Assert.DoesNotContain(services, s => s.ServiceType == typeof(TimeProvider));
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "test";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
