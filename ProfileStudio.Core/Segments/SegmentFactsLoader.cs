using System.Text.Json;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// Loads <see cref="SegmentProfileFacts"/> for many profiles at once, reading only what the active segments
/// read: every attribute fragment when some segment reads attributes (the "most recent" rule needs a key's
/// neighbours), the track events of the names segments read, the identities of the namespaces they read, current
/// memberships, and the values of active computed attributes under their names (a windowed value whose oldest
/// bucket has left the window is computed afresh from its state, as <see cref="ComputedAttributeReader"/> does).
/// Profiles that are not live (merged away, deleted, never existed) are left out.
/// </summary>
public static class SegmentFactsLoader
{
    /// <summary>Profiles per query (SQLite's parameter limit is far above; the point is bounded memory).</summary>
    public const int Chunk = 500;

    /// <remarks>
    /// Plain readers on the context's connection, as <see cref="SegmentIndexLoader"/> reads: through EF the six queries
    /// per chunk cost the streaming consumer most of its reading time (materializing entities it throws away), and the
    /// consumer's throughput is what keeps memberships within a second under sustained load. Ids are inlined (they are
    /// numbers); event names go as one JSON parameter.
    /// </remarks>
    public static async Task<Dictionary<long, SegmentProfileFacts>> LoadAsync(
        ProfileStudioDbContext db, IReadOnlyCollection<long> profileIds, SegmentCatalogSnapshot segments, DateTime now, CancellationToken ct = default)
    {
        var facts = new Dictionary<long, SegmentProfileFacts>();
        // One connection for all the queries below: EF connections are not pooled (StorageOptions), and a context
        // left to itself opens a new one, with its pragmas and functions, around every query.
        var connection = await SegmentIndexLoader.OpenAsync(db, ct);
        Storage.Sqlite.SqliteConsumerTables.Attach(connection); // memberships are in the segments' file
        var computed = segments.AttributeKeys.Count == 0
            ? new Dictionary<int, SegmentIndexLoader.ComputedDefinition>()
            : (await SegmentIndexLoader.ComputedDefinitionsAsync(db, ct)).Where(d => segments.AttributeKeys.Contains(d.Value.Name)).ToDictionary();
        var names = segments.EventNames.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(segments.EventNames.ToList());
        foreach (var chunk in profileIds.Distinct().Chunk(Chunk))
        {
            var live = await SegmentIndexLoader.ReadLiveAsync(connection, SegmentIndexLoader.IdList(chunk), ct);
            if (live.Count == 0)
            {
                continue;
            }
            var list = SegmentIndexLoader.IdList(live);
            var attributes = live.ToDictionary(id => id, _ => new List<ProfileAttribute>());
            var events = live.ToDictionary(id => id, _ => new List<ProfileEvent>());
            var identities = live.ToDictionary(id => id, _ => new List<IdentityRecord>());
            var memberships = live.ToDictionary(id => id, _ => new List<long>());
            var values = live.ToDictionary(id => id, _ => new Dictionary<string, JsonElement>(StringComparer.Ordinal));
            if (segments.AttributeKeys.Count > 0)
            {
                await SegmentIndexLoader.ReadAttributesAsync(connection, list, attributes, ct);
            }
            if (names is not null)
            {
                // Track events only (a page or screen view under the same name is not performing it), and only the columns a
                // rule reads (an event's ids and source are not).
                await using var command = SegmentIndexLoader.Command(connection,
                    $"SELECT ProfileId, Name, EventAt, PropertiesJson FROM ProfileEvents WHERE ProfileId IN ({list}) AND {TrackEvents.Sql} AND Name IN (SELECT value FROM json_each($names))");
                command.Parameters.AddWithValue("$names", names);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    events.GetValueOrDefault(reader.GetInt64(0))?.Add(new ProfileEvent
                    {
                        ProfileId = reader.GetInt64(0),
                        Type = TrackEvents.Type,
                        Name = reader.GetString(1),
                        EventAt = new DateTime(SegmentIndexLoader.EventTicks(reader, 2), DateTimeKind.Utc),
                        PropertiesJson = reader.IsDBNull(3) ? "{}" : reader.GetString(3),
                    });
                }
            }
            if (segments.Namespaces.Count > 0)
            {
                // By profile only, namespaces filtered here: with the namespaces in the query SQLite searches the
                // (Namespace, Value) index and reads every identity of those namespaces (all e-mails) per chunk.
                await using var command = SegmentIndexLoader.Command(connection, $"SELECT ProfileId, Namespace, Value FROM Identities WHERE ProfileId IN ({list})");
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var ns = reader.GetString(1);
                    if (segments.Namespaces.Contains(ns))
                    {
                        identities.GetValueOrDefault(reader.GetInt64(0))?.Add(new IdentityRecord { ProfileId = reader.GetInt64(0), Namespace = ns, Value = reader.GetString(2) });
                    }
                }
            }
            await using (var command = SegmentIndexLoader.Command(connection, $"SELECT ProfileId, SegmentId FROM SegmentMemberships WHERE ProfileId IN ({list})"))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    memberships.GetValueOrDefault(reader.GetInt64(0))?.Add(reader.GetInt64(1));
                }
            }
            // Active (aggregate) computed attributes whose names some segment reads; a windowed value whose oldest bucket has
            // left the window is computed afresh from its state, as ComputedAttributeReader does.
            await SegmentIndexLoader.ReadComputedValuesAsync(connection, list, computed, now, values, ct);
            foreach (var id in live)
            {
                facts[id] = SegmentProfileFacts.FromStored(id, attributes[id], events[id], identities[id], memberships[id], values[id]);
            }
        }
        return facts;
    }
}
