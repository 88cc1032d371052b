using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Tests.Profiles;

/// <summary>Writes profile-store rows straight into SQLite, as the unification worker leaves them.</summary>
internal sealed class ProfileStoreSeed(IServiceProvider services)
{
    public static readonly DateTime T0 = new(2026, 3, 1, 9, 0, 0, DateTimeKind.Utc);

    public async Task<int> SourceAsync(string name)
    {
        await using var db = await DbAsync();
        if (await db.Sources.FirstOrDefaultAsync(s => s.Name == name) is { } existing)
        {
            return existing.Id;
        }
        var source = new Source { Name = name, Kind = SourceKind.Streaming, WriteKeyHash = Guid.NewGuid().ToString("N"), CreatedAt = T0 };
        db.Sources.Add(source);
        await db.SaveChangesAsync();
        return source.Id;
    }

    /// <summary>A lake message with <paramref name="payload"/> (an anonymous object serialized as JSON).</summary>
    public async Task<long> MessageAsync(int sourceId, object payload, DateTime at, string? messageId = null)
    {
        await using var db = await DbAsync();
        var message = new RawMessage
        {
            SourceId = sourceId, MessageId = messageId ?? Guid.NewGuid().ToString("N"), Type = "identify",
            ReceivedAt = at, EventAt = at, Payload = JsonSerializer.Serialize(payload), Status = MessageStatus.Accepted,
        };
        db.RawMessages.Add(message);
        await db.SaveChangesAsync();
        return message.Id;
    }

    public async Task ProfileAsync(long id, long firstMessage, long lastMessage, long? mergedInto = null)
    {
        await using var db = await DbAsync();
        db.Profiles.Add(new Profile { Id = id, CreatedAt = T0, UpdatedAt = T0.AddHours(1), MergedIntoId = mergedInto, FirstMessageId = firstMessage, LastMessageId = lastMessage });
        await db.SaveChangesAsync();
    }

    public async Task IdentityAsync(long profileId, string ns, string value, int sourceId, long firstMessage, long lastMessage)
    {
        await using var db = await DbAsync();
        db.Identities.Add(new IdentityRecord
        {
            Namespace = ns, Value = value, ProfileId = profileId, SourceId = sourceId,
            FirstMessageId = firstMessage, LastMessageId = lastMessage, FirstSeenAt = T0, LastSeenAt = T0,
        });
        await db.SaveChangesAsync();
    }

    public async Task AttributeAsync(long profileId, int sourceId, string key, string? valueJson, DateTime at, long messageId)
    {
        await using var db = await DbAsync();
        db.ProfileAttributes.Add(new ProfileAttribute { ProfileId = profileId, SourceId = sourceId, Key = key, ValueJson = valueJson, EventAt = at, MessageId = messageId });
        await db.SaveChangesAsync();
    }

    public async Task EventsAsync(long profileId, int sourceId, IEnumerable<(string Type, string Name, DateTime At)> events, long messageId = 1)
    {
        await using var db = await DbAsync();
        db.ProfileEvents.AddRange(events.Select(e => new ProfileEvent
        {
            ProfileId = profileId, SourceId = sourceId, MessageId = messageId, Type = e.Type, Name = e.Name, EventAt = e.At,
        }));
        await db.SaveChangesAsync();
    }

    /// <summary>A context that also reads the consumers' and segments' tables (in their own files, attached).</summary>
    public async Task<ProfileStudioDbContext> DbAsync() =>
        await Core.Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>());
}
