using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Sources;

/// <summary>What the tracking API needs to know about the source a write key belongs to.</summary>
public sealed record SourceCredential(int Id, string Name, SourceKind Kind, bool Enabled);

/// <summary>The outcome of a source change; <see cref="WriteKey"/> is set once, when a key was generated.</summary>
public sealed record SourceResult(bool Succeeded, string? Error = null, Source? Source = null, string? WriteKey = null)
{
    public static SourceResult Fail(string error) => new(false, error);
}

public sealed record SourceOverview(Source Source, SourceCounts LastHour, SourceCounts LastDay, DateTime? LastMessageAt);

public sealed record SourceCounts(long Received, long Accepted, long Rejected);

/// <summary>
/// Sources and their write keys. Keys are stored as SHA-256 hashes; the lookup from key to source is
/// cached in memory (every tracking request does one) and refreshed on every change.
/// </summary>
public sealed class SourceRegistry(IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public const int MaxNameLength = 128;
    private volatile ConcurrentDictionary<string, SourceCredential>? _byKeyHash;
    private int _version;

    public async ValueTask<SourceCredential?> FindByWriteKeyAsync(string writeKey, CancellationToken ct = default)
    {
        var cache = _byKeyHash ?? await LoadCacheAsync(ct);
        return cache.GetValueOrDefault(WriteKeys.Hash(writeKey));
    }

    public async Task<IReadOnlyList<SourceOverview>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sources = await db.Sources.AsNoTracking().OrderBy(s => s.Precedence).ThenBy(s => s.Name).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var thisHour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc);
        var dayStart = thisHour.AddHours(-23);
        var stats = await db.SourceHourlyStats.AsNoTracking().Where(s => s.Hour >= dayStart).ToListAsync(ct);
        var last = await db.SourceHourlyStats.AsNoTracking()
            .GroupBy(s => s.SourceId)
            .Select(g => new { SourceId = g.Key, Last = g.Max(s => s.LastMessageAt) })
            .ToDictionaryAsync(x => x.SourceId, x => x.Last, ct);
        return sources.Select(s =>
        {
            var mine = stats.Where(x => x.SourceId == s.Id).ToList();
            return new SourceOverview(
                s,
                Sum(mine.Where(x => x.Hour == thisHour)),
                Sum(mine),
                last.TryGetValue(s.Id, out var l) ? l : null);
        }).ToList();
    }

    /// <summary>Every source's name by id, for pages and reasons that show source ids (merge policies, lineage).</summary>
    public async Task<IReadOnlyDictionary<int, string>> NamesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
    }

    public async Task<SourceOverview?> GetAsync(int id, CancellationToken ct = default) =>
        (await ListAsync(ct)).FirstOrDefault(s => s.Source.Id == id);

    /// <summary>Hourly counts of the last <paramref name="hours"/> hours, oldest first, zero-filled.</summary>
    public async Task<IReadOnlyList<(DateTime Hour, SourceCounts Counts)>> HourlyAsync(int sourceId, int hours, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var thisHour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc);
        var from = thisHour.AddHours(-(hours - 1));
        var rows = await db.SourceHourlyStats.AsNoTracking().Where(s => s.SourceId == sourceId && s.Hour >= from).ToListAsync(ct);
        return Enumerable.Range(0, hours).Select(i => from.AddHours(i)).Select(h =>
        {
            var row = rows.FirstOrDefault(r => r.Hour == h);
            return (h, row is null ? new SourceCounts(0, 0, 0) : new SourceCounts(row.Received, row.Accepted, row.Rejected));
        }).ToList();
    }

    public async Task<SourceResult> CreateAsync(AuditActor actor, string name, SourceKind kind, string? description, CancellationToken ct = default) =>
        await CreateWithKeyAsync(actor, name, kind, description, WriteKeys.Generate(), showKey: true, ct);

    /// <summary>
    /// Creates the studio's own source for attribute edits (<see cref="Ingestion.StudioEdits"/>): the one way a source gets that name,
    /// which is reserved everywhere else. A source renamed or created as "Studio edits" took the studio's edits over, could not be
    /// renamed back or disabled, and anyone with its write key could send "studio edits" that no audit entry records.
    /// </summary>
    internal async Task<SourceResult> CreateStudioEditsAsync(string description, CancellationToken ct = default) =>
        await CreateWithKeyAsync(AuditActor.System, Ingestion.StudioEdits.SourceName, SourceKind.Streaming, description, WriteKeys.Generate(), showKey: true, ct,
            studioEdits: true);

    /// <summary>Why <paramref name="name"/> is taken by another source than <paramref name="except"/> (in any letter case), or null.</summary>
    private static async Task<string?> NameTakenAsync(ProfileStudioDbContext db, string name, int? except, CancellationToken ct) =>
        await db.Sources.Where(s => s.Id != except && s.Name.ToLower() == name.ToLower()).Select(s => s.Name).FirstOrDefaultAsync(ct) is { } taken
            ? $"A source named \"{taken}\" already exists; names differ in more than letter case, so pickers tell them apart."
            : null;

    /// <summary>Why a source may not take <paramref name="name"/> (the studio's own source's, in any letter case), or null.</summary>
    private static string? ReservedName(string name) => string.Equals(name, Ingestion.StudioEdits.SourceName, StringComparison.OrdinalIgnoreCase)
        ? $"\"{Ingestion.StudioEdits.SourceName}\" is the name of the studio's own source (attribute edits made in the profile explorer); choose another name."
        : null;

    public async Task<SourceResult> UpdateAsync(AuditActor actor, int id, string name, string? description, CancellationToken ct = default)
    {
        name = name.Trim();
        if (ValidateName(name) is { } error)
        {
            return SourceResult.Fail(error);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Sources.FindAsync([id], ct) is not { } source)
        {
            return SourceResult.Fail("The source no longer exists.");
        }
        if (!IsStudioEdits(source) && ReservedName(name) is { } reserved)
        {
            return SourceResult.Fail(reserved);
        }
        if (await NameTakenAsync(db, name, id, ct) is { } taken)
        {
            return SourceResult.Fail(taken);
        }
        if (IsStudioEdits(source) && name != source.Name)
        {
            // Studio edits find their source by this name; renamed, the next edit would start a new one.
            return SourceResult.Fail($"\"{Ingestion.StudioEdits.SourceName}\" is the studio's own source and keeps its name.");
        }
        var before = source.Name;
        source.Name = name;
        source.Description = description?.Trim() ?? "";
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.SourceUpdated, name, before == name ? "description changed" : $"renamed from \"{before}\"", ct);
        Invalidate();
        return new SourceResult(true, Source: source);
    }

    public async Task<SourceResult> RotateKeyAsync(AuditActor actor, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Sources.FindAsync([id], ct) is not { } source)
        {
            return SourceResult.Fail("The source no longer exists.");
        }
        var key = WriteKeys.Generate();
        source.WriteKeyHash = WriteKeys.Hash(key);
        source.WriteKeyHint = WriteKeys.Hint(key);
        source.KeyRotatedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.SourceKeyRotated, source.Name, "the previous write key stopped working", ct);
        Invalidate();
        return new SourceResult(true, Source: source, WriteKey: key);
    }

    /// <summary>The internal source studio edits are written as: always enabled, never renamed.</summary>
    public static bool IsStudioEdits(Source source) => source.Name == Ingestion.StudioEdits.SourceName;

    public async Task<SourceResult> SetEnabledAsync(AuditActor actor, int id, bool enabled, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Sources.FindAsync([id], ct) is not { } source)
        {
            return SourceResult.Fail("The source no longer exists.");
        }
        if (!enabled && IsStudioEdits(source))
        {
            // Edits are written to the lake as this source; switching it off would drop every edit made in the studio.
            return SourceResult.Fail($"\"{Ingestion.StudioEdits.SourceName}\" carries the attribute edits made in the studio and cannot be disabled.");
        }
        source.Enabled = enabled;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, enabled ? AuditActions.SourceEnabled : AuditActions.SourceDisabled, source.Name,
            enabled ? "" : "its write key now gets 401", ct);
        Invalidate();
        return new SourceResult(true, Source: source);
    }

    /// <summary>
    /// Makes sure a configured source exists with the configured key (idempotent: run at every start).
    /// </summary>
    public async Task<SourceResult> EnsureAsync(string name, SourceKind kind, string writeKey, CancellationToken ct = default)
    {
        if (WriteKeys.Validate(writeKey) is { } weak)
        {
            return SourceResult.Fail(weak);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = WriteKeys.Hash(writeKey);
        var existing = await db.Sources.FirstOrDefaultAsync(s => s.Name == name, ct);
        if (existing is null)
        {
            return await CreateWithKeyAsync(AuditActor.System, name, kind, "Provisioned from configuration.", writeKey, showKey: false, ct);
        }
        if (existing.WriteKeyHash != hash || existing.Kind != kind)
        {
            existing.WriteKeyHash = hash;
            existing.WriteKeyHint = WriteKeys.Hint(writeKey);
            existing.Kind = kind;
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(AuditActor.System, AuditActions.SourceKeyRotated, name, "write key set from configuration", ct);
            Invalidate();
        }
        return new SourceResult(true, Source: existing);
    }

    private async Task<SourceResult> CreateWithKeyAsync(AuditActor actor, string name, SourceKind kind, string? description, string key, bool showKey, CancellationToken ct,
        bool studioEdits = false)
    {
        name = name.Trim();
        if (ValidateName(name) is { } error)
        {
            return SourceResult.Fail(error);
        }
        if (!studioEdits && ReservedName(name) is { } reserved)
        {
            return SourceResult.Fail(reserved);
        }
        if (!Enum.IsDefined(kind))
        {
            return SourceResult.Fail("Choose streaming or batch.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await NameTakenAsync(db, name, null, ct) is { } taken)
        {
            return SourceResult.Fail(taken);
        }
        if (await db.Sources.AnyAsync(s => s.WriteKeyHash == WriteKeys.Hash(key), ct))
        {
            return SourceResult.Fail("That write key is already used by another source.");
        }
        var source = new Source
        {
            Name = name,
            Kind = kind,
            Description = description?.Trim() ?? "",
            WriteKeyHash = WriteKeys.Hash(key),
            WriteKeyHint = WriteKeys.Hint(key),
            CreatedAt = time.GetUtcNow().UtcDateTime,
            Precedence = (await db.Sources.MaxAsync(s => (int?)s.Precedence, ct) ?? 0) + 1,
        };
        db.Sources.Add(source);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.SourceCreated, name, $"{kind.ToString().ToLowerInvariant()} source", ct);
        Invalidate();
        return new SourceResult(true, Source: source, WriteKey: showKey ? key : null);
    }

    private static string? ValidateName(string name) => name.Length switch
    {
        0 => "Give the source a name.",
        > MaxNameLength => $"A name has at most {MaxNameLength} characters.",
        _ => null,
    };

    private static SourceCounts Sum(IEnumerable<SourceHourlyStats> rows)
    {
        long received = 0, accepted = 0, rejected = 0;
        foreach (var r in rows)
        {
            received += r.Received;
            accepted += r.Accepted;
            rejected += r.Rejected;
        }
        return new SourceCounts(received, accepted, rejected);
    }

    private void Invalidate()
    {
        Interlocked.Increment(ref _version);
        _byKeyHash = null;
    }

    private async Task<ConcurrentDictionary<string, SourceCredential>> LoadCacheAsync(CancellationToken ct)
    {
        var version = Volatile.Read(ref _version);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.Sources.AsNoTracking()
            .Select(s => new { s.WriteKeyHash, Credential = new SourceCredential(s.Id, s.Name, s.Kind, s.Enabled) })
            .ToListAsync(ct);
        var cache = new ConcurrentDictionary<string, SourceCredential>(all.ToDictionary(x => x.WriteKeyHash, x => x.Credential));
        if (version == Volatile.Read(ref _version))
        {
            _byKeyHash = cache; // a change made while loading leaves the cache empty for the next caller
        }
        return cache;
    }
}
