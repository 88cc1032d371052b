using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// Reads the stored rows into a <see cref="SegmentIndex"/>: all current profiles at once (tables read in their
/// natural order, events bucketed per name and laid out per profile), or a set of touched profiles for the
/// change-feed consumer. The same rows (of the events, the track events) and the same attribute rule as <see cref="SegmentProfileFacts.FromStored"/>;
/// computed values of active definitions (current version) are extra keys, as the profile page reads them (a value
/// whose window moved since it was stored is computed afresh from its state).
/// </summary>
public static class SegmentIndexLoader
{
    private const int Chunk = 500;

    /// <summary>Every current profile (not merged into another), built in bulk.</summary>
    /// <param name="phases">Told each phase's name and seconds when it ends (the bench prints them).</param>
    public static async Task<SegmentIndex> LoadAllAsync(ProfileStudioDbContext db, DateTime now, CancellationToken ct, Action<string, TimeSpan>? phases = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string name)
        {
            phases?.Invoke(name, clock.Elapsed);
            clock.Restart();
        }
        var connection = await OpenAsync(db, ct);
        var computed = await ComputedDefinitionsAsync(db, ct);
        var index = new SegmentIndex();

        // Profiles ascending, each with its attribute rows (read in profile order through the primary key).
        var ids = new List<long>();
        await using (var command = Command(connection, "SELECT Id FROM Profiles WHERE MergedIntoId IS NULL ORDER BY Id"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetInt64(0));
            }
        }
        await using (var command = Command(connection, "SELECT ProfileId, SourceId, Key, ValueJson, EventAt, MessageId FROM ProfileAttributes ORDER BY ProfileId"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            var next = 0;
            var rows = new List<ProfileAttribute>();
            long current = -1;
            void Flush()
            {
                // Profiles without attributes between the previous one and this one.
                while (next < ids.Count && ids[next] < current)
                {
                    index.AddForBuild(ids[next++], Empty, []);
                }
                if (next < ids.Count && ids[next] == current)
                {
                    index.AddForBuild(ids[next++], AttributeValues(rows), []);
                }
                rows.Clear();
            }
            while (await reader.ReadAsync(ct))
            {
                var attribute = ReadAttribute(reader);
                if (attribute.ProfileId != current)
                {
                    Flush();
                    current = attribute.ProfileId;
                }
                rows.Add(attribute);
            }
            Flush();
            while (next < ids.Count)
            {
                index.AddForBuild(ids[next++], Empty, []);
            }
        }

        Phase("profiles and attributes");
        await using (var command = Command(connection, "SELECT ProfileId, Namespace FROM Identities"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            var namespaces = new Dictionary<string, string>(StringComparer.Ordinal);
            while (await reader.ReadAsync(ct))
            {
                if (index.TryOrdinal(reader.GetInt64(0), out var ordinal))
                {
                    var ns = reader.GetString(1);
                    index.AddNamespaceForBuild(ordinal, namespaces.TryGetValue(ns, out var known) ? known : namespaces[ns] = ns);
                }
            }
        }

        Phase("identities");
        if (computed.Count > 0)
        {
            await using var command = Command(connection, $"SELECT ProfileId, Entries FROM {ComputedProfileState.Table}");
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (index.TryOrdinal(reader.GetInt64(0), out var ordinal))
                {
                    foreach (var (name, value) in ComputedValues(reader.GetFieldValue<byte[]>(1), computed, now))
                    {
                        index.SetAttributeForBuild(ordinal, name, value);
                    }
                }
            }
        }

        Phase("computed values");
        // Track events (the ones rules count: TrackEvents) in the table's order, bucketed per name, then laid out per profile
        // (times sorted in each slice).
        var buckets = new Dictionary<string, (EventColumn Column, List<int> Ordinals, List<long> Ticks, List<int> Codes)>(StringComparer.Ordinal);
        await using (var command = Command(connection, $"SELECT ProfileId, Name, EventAt, PropertiesJson FROM ProfileEvents WHERE {TrackEvents.Sql}"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (!index.TryOrdinal(reader.GetInt64(0), out var ordinal))
                {
                    continue;
                }
                var name = reader.GetString(1);
                if (!buckets.TryGetValue(name, out var bucket))
                {
                    buckets[name] = bucket = (index.EventColumnForBuild(name), [], [], []);
                }
                bucket.Ordinals.Add(ordinal);
                bucket.Ticks.Add(EventTicks(reader, 2));
                bucket.Codes.Add(bucket.Column.Code(reader.GetString(3)));
            }
        }
        Phase("events read");
        foreach (var (name, bucket) in buckets)
        {
            index.BuildEvents(name, bucket.Ordinals, bucket.Ticks, bucket.Codes);
        }
        Phase("events laid out");
        return index;
    }

    /// <summary>The touched profiles as they are now: the current ones, and the ids that are no longer current (merged, deleted, unknown).</summary>
    public static async Task<(List<SegmentIndexProfile> Current, List<long> Gone)> LoadProfilesAsync(
        ProfileStudioDbContext db, IReadOnlyCollection<long> profileIds, DateTime now, CancellationToken ct)
    {
        var connection = await OpenAsync(db, ct);
        var computed = await ComputedDefinitionsAsync(db, ct);
        var current = new List<SegmentIndexProfile>();
        var gone = new List<long>();
        foreach (var chunk in profileIds.Distinct().Order().Chunk(Chunk))
        {
            var list = IdList(chunk);
            var live = (await ReadLiveAsync(connection, list, ct)).ToHashSet();
            gone.AddRange(chunk.Where(id => !live.Contains(id)));
            var attributes = live.ToDictionary(id => id, _ => new List<ProfileAttribute>());
            var events = live.ToDictionary(id => id, _ => new List<SegmentIndexEvent>());
            var namespaces = live.ToDictionary(id => id, _ => new HashSet<string>(StringComparer.Ordinal));
            var values = live.ToDictionary(id => id, _ => new Dictionary<string, JsonElement>(StringComparer.Ordinal));
            await ReadAttributesAsync(connection, list, attributes, ct);
            await using (var command = Command(connection, $"SELECT ProfileId, Name, EventAt, PropertiesJson FROM ProfileEvents WHERE ProfileId IN ({list}) AND {TrackEvents.Sql}"))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    events.GetValueOrDefault(reader.GetInt64(0))?.Add(new SegmentIndexEvent(
                        reader.GetString(1), new DateTime(EventTicks(reader, 2), DateTimeKind.Utc), reader.GetString(3)));
                }
            }
            await using (var command = Command(connection, $"SELECT ProfileId, Namespace FROM Identities WHERE ProfileId IN ({list})"))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    namespaces.GetValueOrDefault(reader.GetInt64(0))?.Add(reader.GetString(1));
                }
            }
            await ReadComputedValuesAsync(connection, list, computed, now, values, ct);
            foreach (var id in live.Order())
            {
                current.Add(new SegmentIndexProfile(id, AttributeValues(attributes[id], values[id]), events[id], namespaces[id]));
            }
        }
        return (current, gone);
    }

    /// <summary>A chunk of profile ids as the text of an SQL <c>IN (…)</c> list (numbers only, so inlined safely).</summary>
    internal static string IdList(IEnumerable<long> ids) => string.Join(",", ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The ids of <paramref name="idList"/> that are live profiles (not merged away, deleted or unknown).</summary>
    internal static async Task<List<long>> ReadLiveAsync(SqliteConnection connection, string idList, CancellationToken ct)
    {
        var live = new List<long>();
        await using var command = Command(connection, $"SELECT Id FROM Profiles WHERE MergedIntoId IS NULL AND Id IN ({idList})");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            live.Add(reader.GetInt64(0));
        }
        return live;
    }

    /// <summary>Every attribute fragment of the profiles of <paramref name="idList"/>, added to each profile's list in <paramref name="into"/>.</summary>
    internal static async Task ReadAttributesAsync(SqliteConnection connection, string idList, Dictionary<long, List<ProfileAttribute>> into, CancellationToken ct)
    {
        await using var command = Command(connection, $"SELECT ProfileId, SourceId, Key, ValueJson, EventAt, MessageId FROM ProfileAttributes WHERE ProfileId IN ({idList})");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var attribute = ReadAttribute(reader);
            into.GetValueOrDefault(attribute.ProfileId)?.Add(attribute);
        }
    }

    /// <summary>The current values of <paramref name="definitions"/> for the profiles of <paramref name="idList"/>, by name into each profile's values.</summary>
    internal static async Task ReadComputedValuesAsync(SqliteConnection connection, string idList, Dictionary<int, ComputedDefinition> definitions, DateTime now,
        Dictionary<long, Dictionary<string, JsonElement>> into, CancellationToken ct)
    {
        if (definitions.Count == 0)
        {
            return;
        }
        await using var command = Command(connection, $"SELECT ProfileId, Entries FROM {ComputedProfileState.Table} WHERE ProfileId IN ({idList})");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (into.GetValueOrDefault(reader.GetInt64(0)) is { } of)
            {
                foreach (var (name, value) in ComputedValues(reader.GetFieldValue<byte[]>(1), definitions, now))
                {
                    of[name] = value;
                }
            }
        }
    }

    private static readonly Dictionary<string, JsonElement> Empty = new(StringComparer.Ordinal);

    /// <summary>A profile's attribute values as every path reads them (<see cref="SegmentProfileFacts.AttributeValues"/>).</summary>
    internal static Dictionary<string, JsonElement> AttributeValues(List<ProfileAttribute> rows, IReadOnlyDictionary<string, JsonElement>? computed = null) =>
        SegmentProfileFacts.AttributeValues(rows, computed);

    internal static async Task<SqliteConnection> OpenAsync(ProfileStudioDbContext db, CancellationToken ct)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(ct);
        }
        return connection;
    }

    internal static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static ProfileAttribute ReadAttribute(DbDataReader reader) => new()
    {
        ProfileId = reader.GetInt64(0),
        SourceId = reader.GetInt32(1),
        Key = reader.GetString(2),
        ValueJson = reader.IsDBNull(3) ? null : reader.GetString(3),
        EventAt = new DateTime(EventTicks(reader, 4), DateTimeKind.Utc),
        MessageId = reader.GetInt64(5),
    };

    /// <summary>An event time as ticks: EF Core writes <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>, read here without the general parser.</summary>
    internal static long EventTicks(DbDataReader reader, int column)
    {
        var text = reader.GetString(column);
        return TryParseStoredTime(text, out var ticks) ? ticks : reader.GetDateTime(column).Ticks;
    }

    /// <summary>Parses <c>yyyy-MM-dd HH:mm:ss[.fffffff]</c> (the stored form); anything else is left to the general parser.</summary>
    internal static bool TryParseStoredTime(string text, out long ticks)
    {
        ticks = 0;
        if (text.Length < 19 || text[4] != '-' || text[7] != '-' || text[10] is not (' ' or 'T') || text[13] != ':' || text[16] != ':')
        {
            return false;
        }
        if (!Number(text, 0, 4, out var year) || !Number(text, 5, 2, out var month) || !Number(text, 8, 2, out var day)
            || !Number(text, 11, 2, out var hour) || !Number(text, 14, 2, out var minute) || !Number(text, 17, 2, out var second)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        long fraction = 0;
        if (text.Length > 19)
        {
            if (text[19] != '.' || text.Length > 27 || !Number(text, 20, text.Length - 20, out var digits))
            {
                return false;
            }
            fraction = digits;
            for (var i = text.Length - 20; i < 7; i++)
            {
                fraction *= 10;
            }
        }
        ticks = new DateTime(year, month, day, hour, minute, second).Ticks + fraction;
        return true;
    }

    private static bool Number(string text, int start, int length, out int value)
    {
        value = 0;
        if (length == 0)
        {
            return false;
        }
        for (var i = start; i < start + length; i++)
        {
            if (text[i] is < '0' or > '9')
            {
                return false;
            }
            value = value * 10 + (text[i] - '0');
        }
        return true;
    }

    internal sealed record ComputedDefinition(string Name, int Version, ComputedAggregator Aggregator);

    internal static async Task<Dictionary<int, ComputedDefinition>> ComputedDefinitionsAsync(ProfileStudioDbContext db, CancellationToken ct) =>
        // Expressions keep no stored values (they are evaluated when read).
        (await db.ComputedAttributeDefinitions.AsNoTracking().Where(d => d.Status == ComputedStatus.Active && d.Function != ComputedFunction.Expression).ToListAsync(ct))
        .ToDictionary(d => d.Id, d => new ComputedDefinition(d.Name, d.Version, new ComputedAggregator(d.ToSpec())));

    /// <summary>The values a stored row gives <paramref name="definitions"/> at <paramref name="now"/>, by name.</summary>
    private static IEnumerable<(string Name, JsonElement Value)> ComputedValues(byte[] entries, Dictionary<int, ComputedDefinition> definitions, DateTime now)
    {
        foreach (var entry in ComputedEntries.Decode(entries))
        {
            if (ComputedValue(entry, definitions, now) is { } value)
            {
                yield return value;
            }
        }
    }

    /// <summary>
    /// A stored computed value as <see cref="ComputedAttributeReader"/> serves it: the current version's, computed afresh when its
    /// window moved since; an older version's as stored, until it falls due.
    /// </summary>
    private static (string Name, JsonElement Value)? ComputedValue(ComputedEntry entry, Dictionary<int, ComputedDefinition> definitions, DateTime now)
    {
        // An entry of an older version belongs to a profile the changed definition's backfill has not reached: its stored value
        // is served until then (as the profile page does, ComputedAttributeReader), so members do not leave and come back.
        if (!definitions.TryGetValue(entry.DefinitionId, out var definition) || entry.Version > definition.Version)
        {
            return null;
        }
        var json = entry.ValueJson;
        if (entry.NextExpiryAt is { } due && due <= now)
        {
            // Due: the current version's value is computed afresh from its state; the previous version's is not served.
            json = entry.Version == definition.Version ? definition.Aggregator.Value(AggregateState.Decode(entry.State.Span), now) : null;
        }
        if (json is null)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            return (definition.Name, document.RootElement.Clone());
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
