using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// Every connection that writes runs with <c>PRAGMA secure_delete=FAST</c>: the space of a deleted or moved
/// row is overwritten with zeros in the page SQLite writes anyway (no extra I/O), so personal values do not
/// linger in the free space of live pages. Pages that go to the free list are left as they are (zeroing them
/// would make a rebuild's swap write the whole old store again); an erase scrubs them (ProfileDeletion).
/// </summary>
public sealed class SecureDeleteInterceptor : DbConnectionInterceptor
{
    public const string Pragma = "PRAGMA secure_delete=FAST;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
