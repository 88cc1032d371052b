using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Data.Schema;

/// <summary>A small union schema and event catalog written straight into the maintained tables, for component tests.</summary>
internal static class SchemaSeed
{
    public static readonly DateTime Today = new(2026, 11, 20, 12, 0, 0, DateTimeKind.Utc);

    /// <param name="more">Attributes of a third profile, as (key, stored value JSON), sent by the same source.</param>
    /// <summary>One more tracked event in the catalog, with the properties of <paramref name="propertiesJson"/>.</summary>
    public static async Task WriteEventAsync(StudioServices studio, string name, string propertiesJson)
    {
        var web = (await studio.Services.GetRequiredService<SourceRegistry>().EnsureAsync("Website", SourceKind.Streaming, "wk_schema_web_000000000000000000001")).Source!;
        var tally = new SchemaTally { LiveProfiles = 4 };
        tally.AddEvent(1, web.Id, "track", name, Today, propertiesJson, Today);
        await using var db = await SqliteConsumerTables.CreateContextAsync(studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>());
        db.SchemaEvents.AddRange(tally.Events.Select(e => new SchemaEvent
        {
            Key = e.Key, Type = e.Value.Type, Name = e.Value.Name, Count = e.Value.Count, FirstSeenAt = e.Value.FirstSeenAt, LastSeenAt = e.Value.LastSeenAt, DetailJson = e.Value.DetailJson(),
        }));
        db.SchemaEventExamples.AddRange(tally.NewEventExamples.Select(e => new SchemaEventExample { EventKey = e.EventKey, Path = e.Path, Value = e.Value, ProfileId = e.ProfileId }));
        await db.SaveChangesAsync();
    }

    public static async Task WriteAsync(StudioServices studio, params (string Key, string ValueJson)[] more)
    {
        var web = (await studio.Services.GetRequiredService<SourceRegistry>().EnsureAsync("Website", SourceKind.Streaming, "wk_schema_web_000000000000000000001")).Source!;
        var tally = new SchemaTally { LiveProfiles = 4 };
        foreach (var (id, fragments) in new (long, SchemaFragment[])[]
        {
            (1, [new(web.Id, "email", "\"ada@example.com\"", Today), new(web.Id, "address.city", "\"Paris\"", Today), new(web.Id, "age", "42", Today)]),
            (2, [new(web.Id, "email", "\"bob@example.com\"", Today), new(web.Id, "age", "\"forty\"", Today)]),
            (3, more.Select(m => new SchemaFragment(web.Id, m.Key, m.ValueJson, Today)).ToArray()),
        }.Where(p => p.Item2.Length > 0))
        {
            tally.ApplyProfile(id, null, fragments);
        }
        tally.LiveProfiles = 4;
        for (var day = 0; day < 5; day++)
        {
            tally.AddEvent(1, web.Id, "track", "Order Completed", Today.AddDays(-day), """{"revenue": 12.5, "coupon": "WINTER"}""", Today);
        }
        tally.AddEvent(1, web.Id, "page", "/pricing", Today, """{"path": "/pricing"}""", Today);

        await using var db = await SqliteConsumerTables.CreateContextAsync(studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>());
        db.SchemaAttributes.AddRange(tally.Attributes.Select(a => new SchemaAttribute
        {
            Path = a.Key, ProfileCount = a.Value.ProfileCount, FirstSeenAt = a.Value.FirstSeenAt, LastSeenAt = a.Value.LastSeenAt, DetailJson = a.Value.DetailJson(),
        }));
        db.SchemaEvents.AddRange(tally.Events.Select(e => new SchemaEvent
        {
            Key = e.Key, Type = e.Value.Type, Name = e.Value.Name, Count = e.Value.Count, FirstSeenAt = e.Value.FirstSeenAt, LastSeenAt = e.Value.LastSeenAt, DetailJson = e.Value.DetailJson(),
        }));
        db.SchemaExamples.AddRange(tally.NewExamples.Select(e => new SchemaExample { Path = e.Path, Value = e.Value, ProfileId = e.ProfileId }));
        db.SchemaEventExamples.AddRange(tally.NewEventExamples.Select(e => new SchemaEventExample { EventKey = e.EventKey, Path = e.Path, Value = e.Value, ProfileId = e.ProfileId }));
        db.SchemaStates.Add(new SchemaState { Id = 1, LiveProfiles = tally.LiveProfiles, RecountedAt = Today, UpdatedAt = Today });
        await db.SaveChangesAsync();
    }
}
