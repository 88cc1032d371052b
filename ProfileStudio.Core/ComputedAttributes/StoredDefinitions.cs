using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// An active definition as the writers read it in their transaction, with how far its backfill got:
/// profiles up to <see cref="Cursor"/> have a state of the current version (or none, having no matching
/// event), and the live writer keeps exactly those current; the backfill reaches the others later.
/// </summary>
public sealed record StoredDefinition(ComputedAttributeSpec Spec, long Cursor, bool StartedBackfill, long Total)
{
    public const string Columns = "Id, Version, Name, Function, EventNamesJson, PropertyPath, ConditionsJson, WindowUnit, WindowSize, BackfillVersion, BackfillCursor, BackfillDone, BackfillStartedAt, BackfillTotal";

    /// <summary>
    /// The active aggregate definitions, read with <paramref name="query"/> (a command runner on the caller's connection
    /// and transaction). Expression attributes are evaluated when read (<see cref="Expressions.ExpressionAttributes"/>): no state, no backfill.
    /// </summary>
    public static List<StoredDefinition> ReadActive(Func<string, SqliteDataReader> query)
    {
        var list = new List<StoredDefinition>();
        using var reader = query($"SELECT {Columns} FROM ComputedAttributeDefinitions WHERE Status = 'Active' AND Function <> 'Expression' ORDER BY Id");
        while (reader.Read())
        {
            var spec = new ComputedAttributeSpec(
                reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), Enum.Parse<ComputedFunction>(reader.GetString(3)),
                JsonSerializer.Deserialize<List<string>>(reader.GetString(4), ComputedJson.Options) ?? [],
                reader.IsDBNull(5) ? null : reader.GetString(5),
                JsonSerializer.Deserialize<List<EventCondition>>(reader.GetString(6), ComputedJson.Options) ?? [],
                Enum.Parse<WindowUnit>(reader.GetString(7)) is var unit && unit == WindowUnit.AllTime ? LookbackWindow.AllTime : new LookbackWindow(unit, reader.GetInt32(8)));
            var current = reader.GetInt32(9) == spec.Version;
            var cursor = !current ? 0 : reader.GetBoolean(11) ? long.MaxValue : reader.GetInt64(10);
            list.Add(new(spec, cursor, current && !reader.IsDBNull(12), reader.GetInt64(13)));
        }
        return list;
    }

    public bool Done => Cursor == long.MaxValue;
}
