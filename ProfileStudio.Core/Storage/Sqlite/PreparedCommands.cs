using Microsoft.Data.Sqlite;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// Commands with named parameters, each prepared once on a connection and bound again on every use: a writer
/// runs the same few statements thousands of times per transaction, and preparing costs more than binding.
/// The parameters of a given SQL text must come in the same order every time. Dispose to finalize them.
/// For the hottest statements, <see cref="SqliteStatement"/> binds by position without name look-ups.
/// </summary>
public sealed class PreparedCommands(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = [];

    /// <summary>Runs a statement in <paramref name="transaction"/>; returns how many rows it changed.</summary>
    public int Execute(SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Create(sql, parameters.Select(p => p.Name));
        }
        command.Transaction = transaction;
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters[i].Value = parameters[i].Value;
        }
        return command.ExecuteNonQuery();
    }

    /// <summary>A read in <paramref name="transaction"/>; parameters <c>$1</c>, <c>$2</c>, … in order.</summary>
    public SqliteDataReader Query(SqliteTransaction? transaction, string sql, object[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Create(sql, Enumerable.Range(1, parameters.Length).Select(i => "$" + i));
        }
        command.Transaction = transaction;
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters[i].Value = parameters[i];
        }
        return command.ExecuteReader();
    }

    private SqliteCommand Create(string sql, IEnumerable<string> names)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        _commands[sql] = command;
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
    }
}
