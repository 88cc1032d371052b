using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// Recomputes every profile from the lake under the current rules without taking the studio
/// offline: the new profile store is built in shadow tables (same schema, prefixed names) while
/// pages keep reading the old one, then swapped in with one short transaction (drop + rename).
/// The shadow's checkpoint travels with it, so the worker goes on from where the rebuild stopped.
/// </summary>
public sealed class SqliteUnificationRebuild(SqliteUnificationSession session, TimeProvider time)
{
    private readonly SqliteConnection _reading = session.Reading;
    private readonly SqliteConnection _writing = session.Writing;

    private static readonly ProfileTables Shadow = ProfileTables.Rebuild;

    /// <summary>Builds the shadow store from the whole lake; reports (processed up to message id, lake size) after every run.</summary>
    public async Task<long> BuildAsync(IdentityRules rules, int runSize, Action<long, long> progress, CancellationToken ct)
    {
        DropShadow(_writing);
        CreateShadow();
        using var store = new SqliteUnificationStore(_writing, Shadow, session.Pipeline);
        await using var runner = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(rules), pipeline: session.Pipeline), time, shadow: true);
        var checkpoint = 0L;
        var total = LakeEnd();
        progress(0, total);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // Catch up in slices so progress shows; the lake keeps growing meanwhile, the last slice is empty.
            var (next, count) = await runner.CatchUpAsync(checkpoint, runSize, changes => progress(changes.LastMessageId, Math.Max(total, changes.LastMessageId)), ct);
            checkpoint = next;
            total = Math.Max(total, LakeEnd());
            if (count == 0)
            {
                break;
            }
        }
        ct.ThrowIfCancellationRequested();
        return checkpoint;
    }

    /// <summary>Replaces the live profile store with the shadow one in one transaction, and tells the change feed's consumers to start over.</summary>
    public void Swap()
    {
        using var transaction = _writing.BeginTransaction();
        foreach (var (live, shadow) in ProfileTables.Live.All.Zip(Shadow.All))
        {
            Execute(transaction, $"DROP TABLE IF EXISTS \"{live}\"");
            Execute(transaction, $"ALTER TABLE \"{shadow}\" RENAME TO \"{live}\"");
        }
        // A computed attribute edited while the shadow was built has entries of its previous version for the profiles the rebuild had
        // replayed before the edit, behind a backfill cursor that moved over the live table: its backfill starts again.
        // (One pass over the rows, whatever the number of definitions.)
        var versions = new Dictionary<int, int>();
        using (var definitions = _writing.CreateCommand())
        {
            definitions.Transaction = transaction;
            definitions.CommandText = "SELECT Id, Version FROM ComputedAttributeDefinitions WHERE Status = 'Active' AND Function <> 'Expression'";
            using var reader = definitions.ExecuteReader();
            while (reader.Read())
            {
                versions[reader.GetInt32(0)] = reader.GetInt32(1);
            }
        }
        var stale = new HashSet<int>();
        if (versions.Count > 0)
        {
            using var rows = _writing.CreateCommand();
            rows.Transaction = transaction;
            rows.CommandText = $"SELECT Entries FROM {ComputedAttributes.ComputedProfileState.Table}";
            using var reader = rows.ExecuteReader();
            while (reader.Read())
            {
                foreach (var (definition, version) in ComputedAttributes.ComputedEntries.Definitions(reader.GetFieldValue<byte[]>(0)))
                {
                    if (versions.TryGetValue(definition, out var current) && version != current)
                    {
                        stale.Add(definition);
                    }
                }
            }
        }
        if (stale.Count > 0)
        {
            Execute(transaction, $"UPDATE ComputedAttributeDefinitions SET BackfillVersion = 0 WHERE Id IN ({string.Join(',', stale)})");
        }
        using (var feed = _writing.CreateCommand())
        {
            feed.Transaction = transaction;
            feed.CommandText = "INSERT INTO ProfileChanges (At, ProfileId, Kinds, OtherProfileId) VALUES ($at, 0, $kinds, NULL)";
            feed.Parameters.AddWithValue("$at", time.GetUtcNow().UtcDateTime);
            feed.Parameters.AddWithValue("$kinds", (int)ChangeFeed.ProfileChangeKinds.Rebuilt);
            feed.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>Removes the shadow tables a stopped rebuild left behind.</summary>
    public static void DropShadow(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        foreach (var table in Shadow.All)
        {
            Execute(connection, transaction, $"DROP TABLE IF EXISTS \"{table}\"");
        }
        transaction.Commit();
    }

    /// <summary>
    /// A swapped-in table keeps its shadow index names (SQLite cannot rename an index); recreating
    /// them under their usual names is done at start-up, before migrations that may name them.
    /// </summary>
    public static int NormalizeIndexNames(SqliteConnection connection)
    {
        var renamed = Schema(connection, "index").Where(i => i.Name.StartsWith(Shadow.Prefix, StringComparison.Ordinal)).ToList();
        if (renamed.Count == 0)
        {
            return 0;
        }
        using var transaction = connection.BeginTransaction();
        foreach (var index in renamed)
        {
            Execute(connection, transaction, $"DROP INDEX \"{index.Name}\"");
            Execute(connection, transaction, index.Sql.Replace($"\"{index.Name}\"", $"\"{index.Name[Shadow.Prefix.Length..]}\"", StringComparison.Ordinal));
        }
        transaction.Commit();
        return renamed.Count;
    }

    private void CreateShadow()
    {
        var liveNames = ProfileTables.Live.All.ToHashSet(StringComparer.Ordinal);
        var tables = Schema(_writing, "table").Where(t => liveNames.Contains(t.Name)).ToList();
        var indexes = Schema(_writing, "index").Where(i => liveNames.Contains(i.Table)).ToList();
        if (tables.Count != liveNames.Count)
        {
            throw new InvalidOperationException($"The profile store is incomplete: found {string.Join(", ", tables.Select(t => t.Name))}.");
        }
        using var transaction = _writing.BeginTransaction();
        foreach (var table in tables)
        {
            Execute(transaction, Retarget(table.Sql, "TABLE", table.Name));
        }
        foreach (var index in indexes)
        {
            var sql = Retarget(index.Sql, "INDEX", index.Name);
            Execute(transaction, sql.Replace($" ON \"{index.Table}\"", $" ON \"{Shadow.Prefix}{index.Table}\"", StringComparison.Ordinal));
        }
        transaction.Commit();
    }

    /// <summary>Prefixes the name in a <c>CREATE TABLE "X"</c> / <c>CREATE [UNIQUE] INDEX "X"</c> statement.</summary>
    private static string Retarget(string sql, string kind, string name) => SqliteSchemaText.Retarget(sql, kind, name, $"\"{Shadow.Prefix}{name}\"");

    private long LakeEnd()
    {
        using var command = _reading.CreateCommand();
        command.CommandText = "SELECT coalesce(max(Id), 0) FROM RawMessages";
        return (long)command.ExecuteScalar()!;
    }

    private static List<(string Name, string Table, string Sql)> Schema(SqliteConnection connection, string type) => SqliteSchemaText.Objects(connection, type);

    private void Execute(SqliteTransaction transaction, string sql) => Execute(_writing, transaction, sql);

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
