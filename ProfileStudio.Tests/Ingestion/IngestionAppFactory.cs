using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Hosting;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>
/// The real app with sources provisioned from configuration (as an automated set-up does), each with a
/// known write key, and a clock standing still mid-hour, so event times and hourly counters are exact.
/// </summary>
public sealed class IngestionAppFactory : StudioAppFactory
{
    /// <summary>The configured sources: name, kind, write key.</summary>
    public static readonly IReadOnlyList<(string Name, string Kind, string WriteKey)> ConfiguredSources =
    [
        ("Web", "streaming", "wk_test_web_0000000000000000000001"),
        ("App", "streaming", "wk_test_app_0000000000000000000002"),
        ("Kiosk", "streaming", "wk_test_kiosk_00000000000000000003"),
        ("Legacy", "streaming", "wk_test_legacy_0000000000000000004"),
        ("Counted", "streaming", "wk_test_counted_000000000000000005"),
        ("CRM", "batch", "wk_test_crm_0000000000000000000006"),
        ("POS", "batch", "wk_test_pos_0000000000000000000007"),
    ];

    /// <summary>API tokens provisioned from configuration: name, token, scope.</summary>
    public static readonly IReadOnlyList<(string Name, string Token, string Scope)> ConfiguredApiTokens =
    [
        ("Batch loader", "pst_test_batch_loader_000000000000001", "ingest:batch"),
        ("Profile reader", "pst_test_profile_reader_0000000000002", "profiles:read"),
    ];

    public static string ApiTokenOf(string name) => ConfiguredApiTokens.Single(t => t.Name == name).Token;

    /// <summary>Half past the current hour (real time, so sign-in cookies are not already expired), standing still.</summary>
    public FakeTimeProvider Clock { get; } = new(HalfPastThisHour());

    /// <summary>The receive time of every message: the clock does not move unless a test moves it.</summary>
    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    /// <summary><c>ProfileStudio:Ingestion:MaxQueuedMessages</c>, when a test needs the lake writer's queue small.</summary>
    public int? MaxQueuedMessages { get; init; }

    private static DateTimeOffset HalfPastThisHour()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 30, 0, TimeSpan.Zero);
    }

    public static string WriteKeyOf(string source) => ConfiguredSources.Single(s => s.Name == source).WriteKey;

    public SourceRegistry Sources => Services.GetRequiredService<SourceRegistry>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        for (var i = 0; i < ConfiguredSources.Count; i++)
        {
            var (name, kind, key) = ConfiguredSources[i];
            builder.UseSetting($"ProfileStudio:Bootstrap:Sources:{i}:Name", name);
            builder.UseSetting($"ProfileStudio:Bootstrap:Sources:{i}:Kind", kind);
            builder.UseSetting($"ProfileStudio:Bootstrap:Sources:{i}:WriteKey", key);
        }
        for (var i = 0; i < ConfiguredApiTokens.Count; i++)
        {
            var (name, token, scope) = ConfiguredApiTokens[i];
            builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Name", name);
            builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Token", token);
            builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Scopes:0", scope);
        }
        if (MaxQueuedMessages is { } max)
        {
            builder.UseSetting("ProfileStudio:Ingestion:MaxQueuedMessages", max.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);

    /// <summary>
    /// A client that sends <paramref name="writeKey"/> as the Basic-auth user name (none when null) and,
    /// like an analytics library, does not follow redirects.
    /// </summary>
    public HttpClient CreateWriteKeyClient(string? writeKey)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (writeKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = BasicAuthentication(writeKey);
        }
        return client;
    }

    /// <summary>A client that sends an API token as <c>Authorization: Bearer</c>.</summary>
    public HttpClient CreateBearerClient(string token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static AuthenticationHeaderValue BasicAuthentication(string writeKey) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));

    public async Task<int> SourceIdAsync(string name)
    {
        _ = Server; // starts the app, which provisions the sources
        await using var db = await DbAsync();
        return await db.Sources.Where(s => s.Name == name).Select(s => s.Id).SingleAsync();
    }

    /// <summary>Everything the lake holds for one source, in commit order.</summary>
    public async Task<IReadOnlyList<RawMessage>> LakeAsync(int sourceId)
    {
        await using var db = await DbAsync();
        return await db.RawMessages.AsNoTracking().Where(m => m.SourceId == sourceId).OrderBy(m => m.Id).ToListAsync();
    }

    /// <summary>The lake rows of one source with this messageId.</summary>
    public async Task<IReadOnlyList<RawMessage>> LakeAsync(int sourceId, string messageId)
    {
        await using var db = await DbAsync();
        return await db.RawMessages.AsNoTracking().Where(m => m.SourceId == sourceId && m.MessageId == messageId).OrderBy(m => m.Id).ToListAsync();
    }

    public async Task<ProfileStudioDbContext> DbAsync() =>
        await Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
}
