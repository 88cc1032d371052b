using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// What every connection that may write runs with, on opening (<see cref="SqlitePragmasInterceptor"/> for EF
/// contexts; the services that open their own connections run <see cref="Writer"/> too):
/// <list type="bullet">
/// <item><c>secure_delete=FAST</c>: the space of a deleted or moved row is overwritten with zeros in the page
/// SQLite writes anyway (no extra I/O), so personal values do not linger in the free space of live pages.
/// Pages that go to the free list are left as they are (zeroing them would make a rebuild's swap write the
/// whole old store again); an erase scrubs them (ProfileDeletion).</item>
/// <item><c>busy_timeout</c>: a write that finds the single write lock taken waits in SQLite, which tries again
/// within milliseconds of its release. Without it Microsoft.Data.Sqlite retries every 150 ms, so each
/// consumer's write waited up to 150 ms after every unification run. SQLite's own handler still sleeps up to
/// 100 ms at a time, and with runs back to back it often missed the gap between two of them: the hot writers
/// take a turn first (<see cref="Sqlite.WriteTurns"/>).</item>
/// <item><c>synchronous=NORMAL</c>, as the lake and the unification writer run: in WAL mode a commit appends to
/// the log without an fsync (the checkpoint syncs).</item>
/// </list>
/// </summary>
public static class SqlitePragmas
{
    /// <summary>The busy timeout in milliseconds (as the connection string's Default Timeout of 30 s).</summary>
    public const int BusyTimeoutMs = 30_000;

    public const string Writer = "PRAGMA secure_delete=FAST; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
}

/// <summary>Runs <see cref="SqlitePragmas.Writer"/> on every connection an EF context opens.</summary>
public sealed class SqlitePragmasInterceptor : DbConnectionInterceptor
{
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SqlitePragmas.Writer;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = SqlitePragmas.Writer;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
