using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// One timeline event as the computation reads it, its properties as UTF-8 JSON: the backfill reads the stored bytes
/// as they are and parses them without turning them into a string and back.
/// </summary>
public readonly record struct ComputedEvent(long ProfileId, string Name, DateTime EventAt, long MessageId, ReadOnlyMemory<byte> Properties)
{
    public ComputedEvent(long profileId, string name, DateTime eventAt, long messageId, string propertiesJson)
        : this(profileId, name, eventAt, messageId, System.Text.Encoding.UTF8.GetBytes(propertiesJson))
    {
    }
}

/// <summary>Reads of the timeline the editor and the preview need, bounded so they stay quick on a big store.</summary>
internal static class ComputedEventSamples
{
    /// <summary>How far back (in timeline rows) the samples look.</summary>
    private const int RecentRows = 200_000;

    public static async Task<List<string>> RecentPropertiesAsync(ProfileStudioDbContext db, IReadOnlyList<string> names, int take, CancellationToken ct)
    {
        await using var command = await CommandAsync(db, ct);
        command.CommandText = $"""
            SELECT PropertiesJson FROM ProfileEvents
            WHERE Id > (SELECT coalesce(max(Id), 0) - {RecentRows} FROM ProfileEvents) AND {TrackEvents.Sql} AND Name IN ({Names(command, names)})
            ORDER BY Id DESC LIMIT {take}
            """;
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(reader.GetString(0));
        }
        return list;
    }

    /// <summary>Profiles that recently had events of these names (newest first), at most <paramref name="take"/>.</summary>
    public static async Task<List<long>> RecentProfilesAsync(ProfileStudioDbContext db, IReadOnlyList<string> names, int take, CancellationToken ct)
    {
        await using var command = await CommandAsync(db, ct);
        command.CommandText = $"""
            SELECT ProfileId, max(Id) AS Newest FROM ProfileEvents
            WHERE Id > (SELECT coalesce(max(Id), 0) - {RecentRows} FROM ProfileEvents) AND {TrackEvents.Sql} AND Name IN ({Names(command, names)})
            GROUP BY ProfileId ORDER BY Newest DESC LIMIT {take}
            """;
        var list = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(reader.GetInt64(0));
        }
        return list;
    }

    /// <summary>Every event of these profiles with these names, by profile.</summary>
    public static async Task<Dictionary<long, List<ComputedEvent>>> EventsOfAsync(ProfileStudioDbContext db, IReadOnlyList<long> profiles, IReadOnlyList<string> names, CancellationToken ct)
    {
        var result = new Dictionary<long, List<ComputedEvent>>();
        foreach (var chunk in profiles.Chunk(500))
        {
            await using var command = await CommandAsync(db, ct);
            command.CommandText = $"""
                SELECT ProfileId, Name, EventAt, MessageId, PropertiesJson FROM ProfileEvents
                WHERE ProfileId IN ({string.Join(",", chunk)}) AND {TrackEvents.Sql} AND Name IN ({Names(command, names)})
                """;
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var e = new ComputedEvent(reader.GetInt64(0), reader.GetString(1), DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc), reader.GetInt64(3), reader.GetString(4));
                if (!result.TryGetValue(e.ProfileId, out var list))
                {
                    result[e.ProfileId] = list = [];
                }
                list.Add(e);
            }
        }
        return result;
    }

    private static async Task<DbCommand> CommandAsync(ProfileStudioDbContext db, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await connection.OpenAsync(ct);
        }
        return connection.CreateCommand();
    }

    /// <summary>The names as parameters ($n0, $n1, …), never spliced into the SQL.</summary>
    private static string Names(DbCommand command, IReadOnlyList<string> names)
    {
        var list = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"$n{i}";
            parameter.Value = names[i];
            command.Parameters.Add(parameter);
            list.Add(parameter.ParameterName);
        }
        return list.Count == 0 ? "NULL" : string.Join(",", list);
    }
}
