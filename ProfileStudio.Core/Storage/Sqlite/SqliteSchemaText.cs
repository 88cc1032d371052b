using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// The stored <c>CREATE</c> statements of a database file, and the same statements naming another object: how a rebuild
/// creates its shadow tables and how the consumers' tables move between files (<see cref="SqliteConsumerTables"/>).
/// </summary>
internal static class SqliteSchemaText
{
    /// <summary>Every table or index (<paramref name="type"/>) of a file (<c>main</c> or an attached one) with its statement; automatic indexes have none and are left out.</summary>
    public static List<(string Name, string Table, string Sql)> Objects(SqliteConnection connection, string type, string file = "main", SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT name, tbl_name, sql FROM {file}.sqlite_master WHERE type = $type AND sql IS NOT NULL ORDER BY name";
        command.Parameters.AddWithValue("$type", type);
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        return rows;
    }

    /// <summary>
    /// A <c>CREATE TABLE "X"</c> / <c>CREATE [UNIQUE] INDEX "X"</c> statement (<paramref name="kind"/> TABLE or INDEX) creating
    /// <paramref name="target"/> instead (e.g. <c>"shadow_X"</c>, or <c>consumers."X"</c> for another file).
    /// </summary>
    public static string Retarget(string sql, string kind, string name, string target)
    {
        var pattern = new Regex($"^CREATE (UNIQUE )?{kind} \"{Regex.Escape(name)}\"");
        if (!pattern.IsMatch(sql))
        {
            throw new InvalidOperationException($"Unexpected schema for {name}: {sql}");
        }
        return pattern.Replace(sql, m => $"CREATE {m.Groups[1].Value}{kind} {target}", 1);
    }
}
