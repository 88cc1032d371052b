using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Security;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Security;

public sealed class ApiTokenStoreTests : IAsyncLifetime
{
    private static readonly AuditActor Admin = new("admin-id", "admin@example.com", "10.0.0.1");

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private StudioServices _studio = default!;

    private ApiTokenStore Store => _studio.Services.GetRequiredService<ApiTokenStore>();

    public async Task InitializeAsync() => _studio = await StudioServices.StartAsync(withAccounts: false, time: _clock);

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private async Task<ApiToken> StoredAsync(int id)
    {
        await using var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        return await db.ApiTokens.AsNoTracking().SingleAsync(t => t.Id == id);
    }

    private async Task<IReadOnlyList<AuditEntry>> AuditAsync(string action) =>
        (await _studio.Audit.QueryAsync(new AuditFilter(Action: action), 0, 100)).Entries;

    private async Task<(ApiToken Token, string Secret)> CreateAsync(string name, params string[] scopes)
    {
        var result = await Store.CreateAsync(Admin, name, scopes);
        Assert.True(result.Succeeded, result.Error);
        return (result.Token!, result.Secret!);
    }

    [Fact]
    public async Task Create_NameAndScopes_ReturnsTheSecretOnceAndStoresOnlyItsHash()
    {
        var result = await Store.CreateAsync(Admin, "  Support widget ", [ApiScopes.IngestBatch, ApiScopes.ProfilesRead]);

        Assert.True(result.Succeeded, result.Error);
        var secret = result.Secret!;
        Assert.Matches("^pst_[0-9A-Za-z]{40}$", secret);
        var stored = await StoredAsync(result.Token!.Id);
        Assert.Equal("Support widget", stored.Name);
        Assert.Equal(ApiTokenSecrets.HashHex(secret), stored.SecretHash);
        Assert.Equal(secret[..12], stored.Prefix);
        Assert.Equal([ApiScopes.ProfilesRead, ApiScopes.IngestBatch], stored.Scopes);
        Assert.Equal((_clock.GetUtcNow().UtcDateTime, "admin@example.com"), (stored.CreatedAt, stored.CreatedBy));
        Assert.Null(stored.LastUsedAt);
        Assert.Null(stored.RevokedAt);
        Assert.False(stored.FromConfiguration);
        var created = Assert.Single(await AuditAsync(AuditActions.ApiTokenCreated));
        Assert.Equal(("admin@example.com", "Support widget"), (created.ActorName, created.Target));
        Assert.Contains("profiles:read, ingest:batch", created.Details);
        Assert.DoesNotContain(secret, created.Details);
        Assert.All(Directory.GetFiles(_studio.DataDirectory), file => Assert.False(
            FileContains(file, secret), $"{Path.GetFileName(file)} holds the secret"));
    }

    [Fact]
    public async Task Create_Twice_GivesDifferentSecrets()
    {
        var (_, first) = await CreateAsync("one", ApiScopes.ProfilesRead);
        var (_, second) = await CreateAsync("two", ApiScopes.ProfilesRead);

        Assert.NotEqual(first, second);
        Assert.NotEqual(first[..12], second[..12]);
    }

    [Theory]
    [InlineData("", new[] { ApiScopes.ProfilesRead }, "name")]
    [InlineData("reader", new string[0], "at least one scope")]
    [InlineData("reader", new[] { "profiles:write" }, "Unknown scope \"profiles:write\"")]
    public async Task Create_Invalid_SaysWhatToFixAndStoresNothing(string name, string[] scopes, string error)
    {
        var result = await Store.CreateAsync(Admin, name, scopes);

        Assert.False(result.Succeeded);
        Assert.Contains(error, result.Error);
        Assert.Empty(await Store.ListAsync());
        Assert.Empty(await AuditAsync(AuditActions.ApiTokenCreated));
    }

    [Fact]
    public async Task Create_NameOfAnActiveToken_IsRefusedUntilThatOneIsRevoked()
    {
        var (first, _) = await CreateAsync("CRM sync", ApiScopes.IngestBatch);

        var taken = await Store.CreateAsync(Admin, "CRM sync", [ApiScopes.IngestBatch]);
        await Store.RevokeAsync(Admin, first.Id);
        var reused = await Store.CreateAsync(Admin, "CRM sync", [ApiScopes.IngestBatch]);

        Assert.False(taken.Succeeded);
        Assert.Contains("already exists", taken.Error);
        Assert.True(reused.Succeeded, reused.Error);
    }

    [Fact]
    public async Task Authenticate_TheSecret_ReturnsTheTokenAndItsScopes()
    {
        var (token, secret) = await CreateAsync("Reader", ApiScopes.ProfilesRead, ApiScopes.ProfilesDelete);

        var credential = await Store.AuthenticateAsync(secret);

        Assert.NotNull(credential);
        Assert.Equal((token.Id, "Reader"), (credential.Id, credential.Name));
        Assert.Equal([ApiScopes.ProfilesRead, ApiScopes.ProfilesDelete], credential.Scopes);
        Assert.True(credential.HasScope(ApiScopes.ProfilesDelete));
        Assert.False(credential.HasScope(ApiScopes.IngestBatch));
    }

    [Fact]
    public async Task Authenticate_AnythingButTheSecret_IsNull()
    {
        var (_, secret) = await CreateAsync("Reader", ApiScopes.ProfilesRead);
        var samePrefix = secret[..12] + new string('x', secret.Length - 12);

        string[] wrong = ["", "pst_", samePrefix, secret + "x", secret[..^1], secret.ToUpperInvariant(), " " + secret, new string('a', 10_000)];

        foreach (var attempt in wrong)
        {
            Assert.Null(await Store.AuthenticateAsync(attempt));
        }
    }

    [Fact]
    public async Task Revoke_Token_StopsItAtOnceIsAuditedAndKeepsItListed()
    {
        var (token, secret) = await CreateAsync("Leaked", ApiScopes.ProfilesRead);
        var (_, other) = await CreateAsync("Other", ApiScopes.ProfilesRead);
        Assert.NotNull(await Store.AuthenticateAsync(secret)); // cached now

        var revoked = await Store.RevokeAsync(Admin, token.Id);
        var again = await Store.RevokeAsync(Admin, token.Id);

        Assert.True(revoked.Succeeded, revoked.Error);
        Assert.Null(await Store.AuthenticateAsync(secret));
        Assert.NotNull(await Store.AuthenticateAsync(other));
        Assert.False(again.Succeeded);
        Assert.Contains("already revoked", again.Error);
        var listed = Assert.Single(await Store.ListAsync(), t => t.Id == token.Id);
        Assert.Equal((_clock.GetUtcNow().UtcDateTime, "admin@example.com"), (listed.RevokedAt, listed.RevokedBy));
        var entry = Assert.Single(await AuditAsync(AuditActions.ApiTokenRevoked));
        Assert.Equal(("admin@example.com", "Leaked", "10.0.0.1"), (entry.ActorName, entry.Target, entry.IpAddress));
    }

    [Fact]
    public async Task Revoke_UnknownToken_Fails()
    {
        var result = await Store.RevokeAsync(Admin, 4242);

        Assert.False(result.Succeeded);
        Assert.Contains("no longer exists", result.Error);
    }

    [Fact]
    public async Task List_ActiveTokensFirstThenNewestFirst()
    {
        var (old, _) = await CreateAsync("old", ApiScopes.ProfilesRead);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await CreateAsync("newer", ApiScopes.ProfilesRead);
        _clock.Advance(TimeSpan.FromMinutes(1));
        var (revoked, _) = await CreateAsync("newest but revoked", ApiScopes.ProfilesRead);
        await Store.RevokeAsync(Admin, revoked.Id);

        var names = (await Store.ListAsync()).Select(t => t.Name);

        Assert.Equal(["newer", "old", "newest but revoked"], names);
        Assert.NotEqual(0, old.Id);
    }

    [Fact]
    public async Task Authenticate_ManyTimes_WritesLastUsedAtAtMostOnceAMinute()
    {
        var (token, secret) = await CreateAsync("Busy client", ApiScopes.ProfilesRead);
        var first = _clock.GetUtcNow().UtcDateTime;

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Store.AuthenticateAsync(secret).AsTask()));
        Assert.Equal(first, (await StoredAsync(token.Id)).LastUsedAt);

        _clock.Advance(TimeSpan.FromSeconds(59));
        await Store.AuthenticateAsync(secret);
        Assert.Equal(first, (await StoredAsync(token.Id)).LastUsedAt);

        _clock.Advance(TimeSpan.FromSeconds(2));
        await Store.AuthenticateAsync(secret);
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, (await StoredAsync(token.Id)).LastUsedAt);
    }

    [Fact]
    public async Task Authenticate_Unused_LeavesLastUsedAtEmpty()
    {
        var (used, secret) = await CreateAsync("used", ApiScopes.ProfilesRead);
        var (unused, _) = await CreateAsync("unused", ApiScopes.ProfilesRead);

        await Store.AuthenticateAsync(secret);

        Assert.NotNull((await StoredAsync(used.Id)).LastUsedAt);
        Assert.Null((await StoredAsync(unused.Id)).LastUsedAt);
    }

    private static bool FileContains(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
    }
}
