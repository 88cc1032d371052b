using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Security;

/// <summary>What a request authenticated with an API token may do.</summary>
public sealed record ApiTokenCredential(int Id, string Name, IReadOnlyList<string> Scopes)
{
    public bool HasScope(string scope) => Scopes.Contains(scope);
}

/// <summary>The outcome of a token change; <see cref="Secret"/> is set once, when a token was generated.</summary>
public sealed record ApiTokenResult(bool Succeeded, string? Error = null, ApiToken? Token = null, string? Secret = null)
{
    public static ApiTokenResult Fail(string error) => new(false, error);
}

/// <summary>
/// API tokens: create (the secret is returned once), revoke, list, and authenticate a presented secret.
/// Secrets are stored as SHA-256 hashes. Authentication reads an in-memory cache (every API request
/// does one lookup) that every change refreshes, so a revoked token stops working at once.
/// </summary>
public sealed class ApiTokenStore(IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time, ILogger<ApiTokenStore> logger)
{
    public const int MaxNameLength = 128;
    public const string ConfigurationActor = "configuration";

    /// <summary>LastUsedAt is written at most this often per token: a busy client must not turn reads into writes.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    private volatile FrozenDictionary<string, CachedToken[]>? _byPrefix;
    private int _version;
    private readonly ConcurrentDictionary<int, long> _lastUsedWritten = new();

    /// <summary>The active token with this secret, or null (unknown, revoked, or not a token at all).</summary>
    public async ValueTask<ApiTokenCredential?> AuthenticateAsync(string secret, CancellationToken ct = default)
    {
        if (secret.Length is 0 or > ApiTokenSecrets.MaxLength)
        {
            return null;
        }
        var cache = _byPrefix ?? await LoadCacheAsync(ct);
        // The lookup uses only the prefix, which the studio shows anyway; the secret's hash is then
        // compared in constant time, so response timing says nothing about how close a guess was.
        if (!cache.TryGetValue(ApiTokenSecrets.Prefix(secret), out var candidates))
        {
            return null;
        }
        var hash = ApiTokenSecrets.Hash(secret);
        CachedToken? match = null;
        foreach (var candidate in candidates)
        {
            if (CryptographicOperations.FixedTimeEquals(candidate.Hash, hash))
            {
                match = candidate;
            }
        }
        if (match is null)
        {
            return null;
        }
        await RecordUseAsync(match.Credential.Id);
        return match.Credential;
    }

    /// <summary>Every token, active ones first, newest first.</summary>
    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ApiTokens.AsNoTracking()
            .OrderBy(t => t.RevokedAt != null)
            .ThenByDescending(t => t.CreatedAt)
            .ThenByDescending(t => t.Id)
            .ToListAsync(ct);
    }

    /// <summary>Creates a token with a generated secret, returned in the result and never again.</summary>
    public Task<ApiTokenResult> CreateAsync(AuditActor actor, string name, IReadOnlyCollection<string> scopes, CancellationToken ct = default) =>
        CreateWithSecretAsync(actor, actor.Name, name, scopes, ApiTokenSecrets.Generate(), fromConfiguration: false, ct);

    public async Task<ApiTokenResult> RevokeAsync(AuditActor actor, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.ApiTokens.FindAsync([id], ct) is not { } token)
        {
            return ApiTokenResult.Fail("The API token no longer exists.");
        }
        if (token.IsRevoked)
        {
            return ApiTokenResult.Fail($"The API token \"{token.Name}\" is already revoked.");
        }
        await RevokeAsync(db, token, actor, "requests with it now get 401", ct);
        return new ApiTokenResult(true, Token: token);
    }

    /// <summary>
    /// Makes sure a configured token exists with this secret and these scopes (idempotent: run at every start).
    /// A configured secret that was revoked stays revoked: the result's token then says so.
    /// </summary>
    public async Task<ApiTokenResult> EnsureAsync(string name, string secret, IReadOnlyCollection<string> scopes, CancellationToken ct = default)
    {
        name = name.Trim();
        if ((ValidateName(name) ?? ValidateSecret(secret)) is { } invalid)
        {
            return ApiTokenResult.Fail(invalid);
        }
        if (ValidateScopes(scopes, out var normalized) is { } badScopes)
        {
            return ApiTokenResult.Fail(badScopes);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = ApiTokenSecrets.HashHex(secret);
        if (await db.ApiTokens.FirstOrDefaultAsync(t => t.SecretHash == hash, ct) is { } same)
        {
            if (same.IsRevoked || (same.Name == name && same.Scopes.SequenceEqual(normalized)))
            {
                return new ApiTokenResult(true, Token: same);
            }
            if (same.Name != name && await NameTakenAsync(db, name, same.Id, ct))
            {
                return ApiTokenResult.Fail($"An active API token named \"{name}\" already exists.");
            }
            var before = $"\"{same.Name}\" with {Describe(same.Scopes)}";
            same.Name = name;
            same.Scopes = [.. normalized];
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(AuditActor.System, AuditActions.ApiTokenUpdated, name, $"set from configuration to {Describe(normalized)}; was {before}", ct);
            Invalidate();
            return new ApiTokenResult(true, Token: same);
        }
        // A new secret for a configured name: the old one must stop working, so it is revoked, not overwritten.
        if (await db.ApiTokens.FirstOrDefaultAsync(t => t.Name == name && t.RevokedAt == null, ct) is { } previous)
        {
            await RevokeAsync(db, previous, AuditActor.System, "its token was changed in configuration", ct);
        }
        return await CreateWithSecretAsync(AuditActor.System, ConfigurationActor, name, normalized, secret, fromConfiguration: true, ct);
    }

    private async Task<ApiTokenResult> CreateWithSecretAsync(
        AuditActor actor, string createdBy, string name, IReadOnlyCollection<string> scopes, string secret, bool fromConfiguration, CancellationToken ct)
    {
        name = name.Trim();
        if (ValidateName(name) is { } badName)
        {
            return ApiTokenResult.Fail(badName);
        }
        if (ValidateScopes(scopes, out var normalized) is { } badScopes)
        {
            return ApiTokenResult.Fail(badScopes);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await NameTakenAsync(db, name, null, ct))
        {
            return ApiTokenResult.Fail($"An active API token named \"{name}\" already exists. Choose another name, or revoke that one first.");
        }
        var token = new ApiToken
        {
            Name = name,
            SecretHash = ApiTokenSecrets.HashHex(secret),
            Prefix = ApiTokenSecrets.Prefix(secret),
            Scopes = [.. normalized],
            CreatedAt = time.GetUtcNow().UtcDateTime,
            CreatedBy = createdBy,
            FromConfiguration = fromConfiguration,
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.ApiTokenCreated, name,
            $"{Describe(normalized)}; starts {token.Prefix}{(fromConfiguration ? "; from configuration" : "")}", ct);
        Invalidate();
        return new ApiTokenResult(true, Token: token, Secret: fromConfiguration ? null : secret);
    }

    private async Task RevokeAsync(ProfileStudioDbContext db, ApiToken token, AuditActor actor, string details, CancellationToken ct)
    {
        token.RevokedAt = time.GetUtcNow().UtcDateTime;
        token.RevokedBy = actor.Name;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.ApiTokenRevoked, token.Name, $"starts {token.Prefix}; {details}", ct);
        Invalidate();
        _lastUsedWritten.TryRemove(token.Id, out _);
    }

    private static Task<bool> NameTakenAsync(ProfileStudioDbContext db, string name, int? except, CancellationToken ct) =>
        db.ApiTokens.AnyAsync(t => t.Name == name && t.RevokedAt == null && t.Id != except, ct);

    private static string? ValidateName(string name) => name.Length switch
    {
        0 => "Give the token a name, e.g. the application that will use it.",
        > MaxNameLength => $"A name has at most {MaxNameLength} characters.",
        _ => null,
    };

    /// <summary>Why a token chosen by hand (configuration) cannot be used, or null.</summary>
    public static string? ValidateSecret(string secret) => secret.Length switch
    {
        < ApiTokenSecrets.MinLength => $"A token must have at least {ApiTokenSecrets.MinLength} characters, so that it cannot be guessed "
            + $"(this one has {secret.Length}; a generated one has {ApiTokenSecrets.Marker.Length + ApiTokenSecrets.RandomLength}).",
        > ApiTokenSecrets.MaxLength => $"A token has at most {ApiTokenSecrets.MaxLength} characters.",
        _ when secret.Any(char.IsWhiteSpace) => "A token cannot contain spaces.",
        _ when secret.Contains(':') => "A token cannot contain \":\" (it would end the Basic-auth user name).",
        _ => null,
    };

    private static string? ValidateScopes(IEnumerable<string> scopes, out IReadOnlyList<string> normalized)
    {
        normalized = ApiScopes.Normalize(scopes, out var unknown) ?? [];
        if (unknown is not null)
        {
            return $"Unknown scope \"{unknown}\"; the scopes are {string.Join(", ", ApiScopes.All)}.";
        }
        return normalized.Count == 0 ? "Choose at least one scope." : null;
    }

    private static string Describe(IEnumerable<string> scopes) => "scopes " + string.Join(", ", scopes);

    private async ValueTask RecordUseAsync(int tokenId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // Claim the write first, so concurrent requests of one token write once.
        while (true)
        {
            if (_lastUsedWritten.TryGetValue(tokenId, out var last))
            {
                if (now.Ticks - last < LastUsedResolution.Ticks)
                {
                    return;
                }
                if (_lastUsedWritten.TryUpdate(tokenId, now.Ticks, last))
                {
                    break;
                }
            }
            else if (_lastUsedWritten.TryAdd(tokenId, now.Ticks))
            {
                break;
            }
        }
        try
        {
            // Not the request's token: a client hanging up must not lose the bookkeeping.
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.ApiTokens.Where(t => t.Id == tokenId).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), CancellationToken.None);
        }
        catch (Exception e)
        {
            // The request is authenticated either way; a missed "last used" is not worth failing it.
            logger.LogWarning(e, "Could not record the last use of API token {TokenId}.", tokenId);
        }
    }

    private void Invalidate()
    {
        Interlocked.Increment(ref _version);
        _byPrefix = null;
    }

    private async Task<FrozenDictionary<string, CachedToken[]>> LoadCacheAsync(CancellationToken ct)
    {
        var version = Volatile.Read(ref _version);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var active = await db.ApiTokens.AsNoTracking().Where(t => t.RevokedAt == null).ToListAsync(ct);
        var cache = active
            .GroupBy(t => t.Prefix)
            .ToFrozenDictionary(
                g => g.Key,
                g => g.Select(t => new CachedToken(Convert.FromHexString(t.SecretHash), new ApiTokenCredential(t.Id, t.Name, t.Scopes))).ToArray());
        if (version == Volatile.Read(ref _version))
        {
            _byPrefix = cache; // a change made while loading leaves the cache empty for the next caller
        }
        return cache;
    }

    private sealed record CachedToken(byte[] Hash, ApiTokenCredential Credential);
}
