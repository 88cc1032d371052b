using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Hosting;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

/// <summary>
/// The real app (lake writer and unification worker running) with two sources and API tokens of each
/// kind provisioned from configuration. Profiles are made the way customers make them: tracking
/// messages through the Tracking API, unified by the worker.
/// </summary>
public class ProfileApiAppFactory : StudioAppFactory
{
    public const string WebKey = "wk_test_profile_web_00000000000001";
    public const string CrmKey = "wk_test_profile_crm_00000000000002";
    public const string ReaderToken = "pst_test_profile_reader_000000000001";
    public const string DeleterToken = "pst_test_profile_deleter_00000000002";
    public const string LoaderToken = "pst_test_profile_loader_000000000003";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        var sources = new[] { ("Web", WebKey), ("CRM", CrmKey) };
        for (var i = 0; i < sources.Length; i++)
        {
            builder.UseSetting($"ProfileStudio:Bootstrap:Sources:{i}:Name", sources[i].Item1);
            builder.UseSetting($"ProfileStudio:Bootstrap:Sources:{i}:Kind", "streaming");
            builder.UseSetting($"ProfileStudio:Bootstrap:Sources:{i}:WriteKey", sources[i].Item2);
        }
        var tokens = new[] { ("Reader", ReaderToken, new[] { "profiles:read" }), ("Deleter", DeleterToken, new[] { "profiles:read", "profiles:delete" }), ("Loader", LoaderToken, new[] { "ingest:batch" }) };
        for (var i = 0; i < tokens.Length; i++)
        {
            builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Name", tokens[i].Item1);
            builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Token", tokens[i].Item2);
            for (var s = 0; s < tokens[i].Item3.Length; s++)
            {
                builder.UseSetting($"ProfileStudio:Bootstrap:ApiTokens:{i}:Scopes:{s}", tokens[i].Item3[s]);
            }
        }
    }

    public ProfileReader Reader => Services.GetRequiredService<ProfileReader>();

    public HttpClient Client(string? token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>Sends messages as one batch with a source's write key; they must all be accepted.</summary>
    public async Task SendAsync(string writeKey, params object[] messages)
    {
        using var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        using var response = await client.PostAsJsonAsync("/v1/batch", new { batch = messages });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Contains($"\"accepted\":{messages.Length}", body);
    }

    /// <summary>Waits until the worker has unified everything in the lake.</summary>
    public async Task UnifiedAsync()
    {
        await Poll.UntilAsync(async () =>
        {
            await using var db = await DbAsync();
            var lakeEnd = await db.RawMessages.MaxAsync(m => (long?)m.Id) ?? 0;
            var checkpoint = await db.UnificationCheckpoints.Select(c => (long?)c.LastMessageId).FirstOrDefaultAsync() ?? 0;
            return checkpoint >= lakeEnd;
        }, done => done, "the unification worker to reach the end of the lake");
    }

    /// <summary>Waits until a change-feed consumer (e.g. the union schema's) has handled every feed row written so far.</summary>
    public async Task ConsumedAsync(string consumer)
    {
        long feedEnd;
        await using (var db = await DbAsync())
        {
            feedEnd = await db.ProfileChanges.MaxAsync(c => (long?)c.Id) ?? 0;
        }
        await Poll.UntilAsync(async () =>
        {
            await using var db = await DbAsync();
            return await db.ChangeFeedCheckpoints.Where(c => c.Consumer == consumer).Select(c => (long?)c.Position).FirstOrDefaultAsync() ?? 0;
        }, position => position >= feedEnd, $"the {consumer} consumer to reach feed row {feedEnd}");
    }

    public async Task<ProfileStudioDbContext> DbAsync() =>
        await Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
}
