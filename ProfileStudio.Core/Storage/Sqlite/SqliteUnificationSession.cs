using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>Opens the unification worker's SQLite connections (<see cref="IUnificationStorage"/>).</summary>
public sealed class SqliteUnificationStorage(IOptions<ProfileStudioOptions> options, TimeProvider time, UnificationPipeline? pipeline = null) : IUnificationStorage
{
    public async Task<IUnificationSession> OpenAsync(CancellationToken ct)
    {
        var (reading, writing) = await OpenConnectionsAsync(SqliteDatabase.ConnectionString(options.Value.DataDirectoryFullPath), ct);
        return new SqliteUnificationSession(reading, writing, time, ownsConnections: true, pipeline);
    }

    /// <summary>
    /// Opens the reading and writing connections the runner needs, tuned for bulk work: a 256 MB page
    /// cache, so a run's dirty pages are written once at commit; and the writer's own WAL checkpoint
    /// only past 1 GB of log, as a backstop: the <see cref="WalCheckpointer"/> copies the log in the
    /// background, and makes it start over once it passes about 64 MB.
    /// </summary>
    public static async Task<(SqliteConnection Reading, SqliteConnection Writing)> OpenConnectionsAsync(string connectionString, CancellationToken ct)
    {
        var reading = new SqliteConnection(connectionString);
        var writing = new SqliteConnection(connectionString);
        await reading.OpenAsync(ct);
        await writing.OpenAsync(ct);
        using var pragma = writing.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144; PRAGMA wal_autocheckpoint=262144; PRAGMA secure_delete=FAST; PRAGMA busy_timeout=30000;"; // busy_timeout: see SqlitePragmas
        pragma.ExecuteNonQuery();
        return (reading, writing);
    }
}

/// <summary>
/// The unification worker's SQLite session: a reading connection (the next run's lake read overlaps
/// the previous run's write) and the one writing connection, with a <see cref="WalCheckpointer"/> on a
/// third. Disposes the connections only when it opened them.
/// </summary>
public sealed class SqliteUnificationSession(SqliteConnection reading, SqliteConnection writing, TimeProvider? time = null, bool ownsConnections = false,
    UnificationPipeline? pipeline = null)
    : IUnificationSession, IProfileMaintenance
{
    private readonly WalCheckpointer _checkpointer = new(writing.ConnectionString);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public SqliteConnection Reading => reading;

    public SqliteConnection Writing => writing;

    /// <summary>The stages every run of this session goes through (the built-in ones and those features registered).</summary>
    public UnificationPipeline Pipeline { get; } = pipeline ?? UnificationPipeline.Default;

    public IUnificationStore OpenStore(UnificationPipeline? pipeline = null, bool shadow = false) =>
        new SqliteUnificationStore(writing, shadow ? ProfileTables.Rebuild : null, pipeline ?? Pipeline, _time);

    public IUnificationStore OpenLakeReader() => new SqliteUnificationStore(reading);

    public IProfileMaintenance Maintenance => this;

    public void RunCommitted() => _checkpointer.Request();

    /// <summary>
    /// Failures of the machine rather than of a message (the caller waits and retries the same work):
    /// SQLite busy, locked, out of memory, read-only, interrupted, I/O error, disk full, cannot open, protocol.
    /// </summary>
    public bool IsTransient(Exception ex) => Transient(ex);

    /// <inheritdoc cref="IsTransient"/>
    public static bool Transient(Exception ex) => ex switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6 or 7 or 8 or 9 or 10 or 13 or 14 or 15,
        IOException or OutOfMemoryException or ObjectDisposedException or OperationCanceledException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(Transient),
        _ => false,
    };

    public SplitOutcome Split(long profileId, IdentityRules rules, long checkpoint, DateTime now, IdentityKey? splitOff = null, Action<long, long>? progress = null)
    {
        using var store = new SqliteUnificationStore(writing, pipeline: Pipeline);
        return new SqliteComponentSplit(reading, store).Run(profileId, rules, checkpoint, now, splitOff, progress);
    }

    public ProfileDeletionOutcome? Delete(long profileId, bool eraseFromLake, IdentityRules rules, DateTime now) =>
        new SqliteProfileDeletion(writing).Run(profileId, eraseFromLake, rules, now);

    public Task<long> RebuildAsync(IdentityRules rules, int runSize, Action<long, long> progress, CancellationToken ct) =>
        new SqliteUnificationRebuild(this, _time).BuildAsync(rules, runSize, progress, ct);

    public void Swap() => new SqliteUnificationRebuild(this, _time).Swap();

    public void DropRebuild() => SqliteUnificationRebuild.DropShadow(writing);

    public async ValueTask DisposeAsync()
    {
        await _checkpointer.DisposeAsync();
        if (ownsConnections)
        {
            await writing.DisposeAsync();
            await reading.DisposeAsync();
        }
    }
}
