using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Security;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Security;

public sealed class ApiTokenBootstrapperTests : IAsyncLifetime
{
    private const string ReaderToken = "pst_configured_reader_000000000001";
    private const string LoaderToken = "pst_configured_loader_000000000002";

    private readonly CapturingLoggerProvider _logs = new();
    private StudioServices _studio = default!;

    private ApiTokenStore Store => _studio.Services.GetRequiredService<ApiTokenStore>();

    public async Task InitializeAsync() => _studio = await StudioServices.StartAsync(withAccounts: false, logs: _logs);

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private static BootstrapApiToken Entry(string name, string token, params string[] scopes) => new() { Name = name, Token = token, Scopes = [.. scopes] };

    /// <summary>One start of the app with this configuration, on the same database.</summary>
    private async Task StartWithAsync(params BootstrapApiToken[] tokens)
    {
        var options = new ProfileStudioOptions();
        options.Bootstrap.ApiTokens.AddRange(tokens);
        var logger = _studio.Services.GetRequiredService<ILogger<ApiTokenBootstrapper>>();
        await new ApiTokenBootstrapper(Store, Options.Create(options), logger).StartAsync(CancellationToken.None);
    }

    private async Task<int> AuditCountAsync(string action) =>
        (await _studio.Audit.QueryAsync(new AuditFilter(Action: action), 0, 100)).Total;

    [Fact]
    public async Task Start_ConfiguredTokens_WorkWithTheirScopesAndOnlyTheirHashesAreStored()
    {
        await StartWithAsync(
            Entry("Reader", ReaderToken, ApiScopes.ProfilesRead),
            Entry("Loader", LoaderToken, ApiScopes.IngestBatch, ApiScopes.ProfilesRead));

        var reader = await Store.AuthenticateAsync(ReaderToken);
        var loader = await Store.AuthenticateAsync(LoaderToken);

        Assert.Equal(("Reader", "profiles:read"), (reader?.Name, string.Join(" ", reader!.Scopes)));
        Assert.Equal(("Loader", "profiles:read ingest:batch"), (loader?.Name, string.Join(" ", loader!.Scopes)));
        var listed = await Store.ListAsync();
        Assert.All(listed, t => Assert.True(t.FromConfiguration));
        Assert.All(listed, t => Assert.Equal(ApiTokenStore.ConfigurationActor, t.CreatedBy));
        Assert.Equal(ApiTokenSecrets.HashHex(ReaderToken), listed.Single(t => t.Name == "Reader").SecretHash);
        Assert.Equal("pst_configu", // a third of a 34-character token
            listed.Single(t => t.Name == "Reader").Prefix);
    }

    [Fact]
    public async Task Start_Again_ChangesNothing()
    {
        var config = Entry("Reader", ReaderToken, ApiScopes.ProfilesRead);
        await StartWithAsync(config);
        var before = await Store.ListAsync();

        await StartWithAsync(config);

        var after = await Store.ListAsync();
        Assert.Equal(before.Select(t => (t.Id, t.SecretHash, t.CreatedAt)), after.Select(t => (t.Id, t.SecretHash, t.CreatedAt)));
        Assert.Equal(1, await AuditCountAsync(AuditActions.ApiTokenCreated));
        Assert.Equal(0, await AuditCountAsync(AuditActions.ApiTokenUpdated));
    }

    [Fact]
    public async Task Start_WithChangedScopes_UpdatesTheTokenInPlace()
    {
        await StartWithAsync(Entry("Reader", ReaderToken, ApiScopes.ProfilesRead));
        var id = (await Store.AuthenticateAsync(ReaderToken))!.Id;

        await StartWithAsync(Entry("Reader", ReaderToken, ApiScopes.ProfilesRead, ApiScopes.ProfilesDelete));

        var credential = await Store.AuthenticateAsync(ReaderToken);
        Assert.Equal(id, credential?.Id);
        Assert.Equal([ApiScopes.ProfilesRead, ApiScopes.ProfilesDelete], credential!.Scopes);
        Assert.Equal(1, await AuditCountAsync(AuditActions.ApiTokenUpdated));
    }

    [Fact]
    public async Task Start_WithANewTokenForAName_RevokesTheOldOne()
    {
        await StartWithAsync(Entry("Reader", ReaderToken, ApiScopes.ProfilesRead));

        await StartWithAsync(Entry("Reader", LoaderToken, ApiScopes.ProfilesRead));

        Assert.Null(await Store.AuthenticateAsync(ReaderToken));
        Assert.Equal("Reader", (await Store.AuthenticateAsync(LoaderToken))?.Name);
        Assert.Equal(1, await AuditCountAsync(AuditActions.ApiTokenRevoked));
        Assert.Equal(2, (await Store.ListAsync()).Count);
    }

    [Fact]
    public async Task Start_TokenRevokedInTheStudio_StaysRevokedWithAWarning()
    {
        await StartWithAsync(Entry("Reader", ReaderToken, ApiScopes.ProfilesRead));
        var id = (await Store.AuthenticateAsync(ReaderToken))!.Id;
        await Store.RevokeAsync(new AuditActor("u", "admin@example.com"), id);

        await StartWithAsync(Entry("Reader", ReaderToken, ApiScopes.ProfilesRead));

        Assert.Null(await Store.AuthenticateAsync(ReaderToken));
        Assert.Single(await Store.ListAsync());
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("stays revoked"));
    }

    public static TheoryData<BootstrapApiToken, string> InvalidEntries => new()
    {
        { Entry("Reader", ReaderToken, "profiles:write"), "unknown scope \"profiles:write\"" },
        { Entry("Reader", ReaderToken), "give it Scopes" },
        { Entry("", ReaderToken, ApiScopes.ProfilesRead), "needs a Name and a Token" },
        { Entry("Reader", "", ApiScopes.ProfilesRead), "needs a Name and a Token" },
        { Entry("Reader", "short-token", ApiScopes.ProfilesRead), "at least 32 characters" },
        { Entry("Reader", "pst_only_thirty_one_characters1", ApiScopes.ProfilesRead), "at least 32 characters" },
        { Entry("Reader", "pst_has a space in it_0000000000", ApiScopes.ProfilesRead), "cannot contain spaces" },
        { Entry("Reader", "pst_user:password_000000000000000", ApiScopes.ProfilesRead), "cannot contain \":\"" },
    };

    [Theory]
    [MemberData(nameof(InvalidEntries))]
    public async Task Start_InvalidEntry_StopsTheStartNamingTheEntryAndStoresNothing(BootstrapApiToken entry, string error)
    {
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => StartWithAsync(entry));

        Assert.Contains("ProfileStudio:Bootstrap:ApiTokens", thrown.Message);
        Assert.Contains(error, thrown.Message);
        Assert.Empty(await Store.ListAsync());
    }

    [Fact]
    public async Task Start_DuplicateNames_StopsTheStartBeforeStoringAnything()
    {
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => StartWithAsync(
            Entry("Reader", ReaderToken, ApiScopes.ProfilesRead),
            Entry("Reader", LoaderToken, ApiScopes.IngestBatch)));

        Assert.Contains("listed twice", thrown.Message);
        Assert.Empty(await Store.ListAsync());
    }

    [Fact]
    public async Task Start_FromConfigurationKeys_BindsTheList()
    {
        await using var configured = await StudioServices.StartAsync(withAccounts: false, new Dictionary<string, string?>
        {
            ["Bootstrap:ApiTokens:0:Name"] = "From settings",
            ["Bootstrap:ApiTokens:0:Token"] = LoaderToken,
            ["Bootstrap:ApiTokens:0:Scopes:0"] = ApiScopes.IngestBatch,
            ["Bootstrap:ApiTokens:0:Scopes:1"] = ApiScopes.ProfilesRead,
        });
        var options = configured.Services.GetRequiredService<IOptions<ProfileStudioOptions>>();
        var store = configured.Services.GetRequiredService<ApiTokenStore>();

        await new ApiTokenBootstrapper(store, options, NullLogger<ApiTokenBootstrapper>.Instance).StartAsync(CancellationToken.None);

        var credential = await store.AuthenticateAsync(LoaderToken);
        Assert.Equal("From settings", credential?.Name);
        Assert.Equal([ApiScopes.ProfilesRead, ApiScopes.IngestBatch], credential!.Scopes);
    }
}
