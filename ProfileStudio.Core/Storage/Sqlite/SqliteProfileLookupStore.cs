using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// Profile lookup on SQLite (<see cref="IProfileLookupStore"/>): a pooled connection per read, plain
/// ADO.NET, because every Profile API call makes these reads and a DbContext's first query costs
/// hundreds of microseconds where this costs a few, which decides the API's throughput.
/// </summary>
public sealed class SqliteProfileLookupStore(IDbContextFactory<ProfileStudioDbContext> dbFactory) : IProfileLookupStore
{
    private string? _connectionString;

    public async Task<long?> ProfileOfAsync(IdentityKey identity, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ProfileId FROM Identities WHERE Namespace = $ns AND Value = $value";
        command.Parameters.AddWithValue("$ns", identity.Namespace);
        command.Parameters.AddWithValue("$value", identity.Value);
        return await command.ExecuteScalarAsync(ct) is long profileId ? profileId : null;
    }

    /// <summary>Merged ids redirect to the survivor (one hop after a merge; a few hops are followed to be safe).</summary>
    public async Task<long?> CanonicalAsync(long profileId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MergedIntoId, 1 FROM Profiles WHERE Id = $id";
        var parameter = command.Parameters.Add("$id", SqliteType.Integer);
        var id = profileId;
        for (var hops = 0; hops < 64; hops++)
        {
            parameter.Value = id;
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }
            if (reader.IsDBNull(0))
            {
                return id;
            }
            id = reader.GetInt64(0);
        }
        return null;
    }

    public async Task<List<ProfileAttribute>?> FragmentsAsync(long profileId, CancellationToken ct = default)
    {
        var fragments = new List<ProfileAttribute>();
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT SourceId, Key, ValueJson, EventAt, MessageId FROM ProfileAttributes WHERE ProfileId = $p
            UNION ALL SELECT NULL, NULL, NULL, NULL, NULL FROM Profiles WHERE Id = $p AND MergedIntoId IS NULL
            """;
        command.Parameters.AddWithValue("$p", profileId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var live = false;
        while (await reader.ReadAsync(ct))
        {
            if (reader.IsDBNull(1))
            {
                live = true;
                continue;
            }
            fragments.Add(new ProfileAttribute
            {
                ProfileId = profileId,
                SourceId = reader.GetInt32(0),
                Key = reader.GetString(1),
                ValueJson = reader.IsDBNull(2) ? null : reader.GetString(2),
                EventAt = DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc),
                MessageId = reader.GetInt64(4),
            });
        }
        return live ? fragments : null;
    }

    /// <summary>The database the EF Core context is configured for (tests point it elsewhere than the data directory).</summary>
    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        if (_connectionString is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            _connectionString = db.Database.GetConnectionString();
        }
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }
}
