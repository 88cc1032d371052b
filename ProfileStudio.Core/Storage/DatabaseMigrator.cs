using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// Applies migrations before the server listens (hosted services start before Kestrel) and puts the
/// database in WAL mode so pages and APIs can read while the writer writes. The tables the change-feed consumers
/// write go to their own files (<see cref="Sqlite.SqliteConsumerTables"/>) after migrating.
/// </summary>
public sealed class DatabaseMigrator(IDbContextFactory<ProfileStudioDbContext> dbFactory, ILogger<DatabaseMigrator> logger, TimeProvider time)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var renamed = Sqlite.SqliteUnificationRebuild.NormalizeIndexNames((Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection());
        if (renamed > 0)
        {
            logger.LogInformation("Gave {Count} index(es) swapped in by the last rebuild their usual names.", renamed);
        }
        var connection = (Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection();
        foreach (var (file, dropped) in Sqlite.SqliteConsumerTables.Reconcile(connection))
        {
            if (dropped > 0)
            {
                logger.LogWarning("The change-feed consumers' {File} file was not this store's: dropped its {Count} table(s); they are derived again from stored data.",
                    file.Schema, dropped);
            }
        }
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            // Migrations name the consumers' tables in the store's file, where the model creates them.
            Sqlite.SqliteConsumerTables.MoveIn(connection);
        }
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        if (Sqlite.SqliteConsumerTables.MissingTables(connection) is { Count: > 0 } missing)
        {
            // Lost with their file: created empty from the model (the consumers count them again from stored data, segments are evaluated again).
            logger.LogWarning("Creating the change-feed consumers' table(s) {Tables} empty: they are derived again from stored data.", string.Join(", ", missing));
            var model = db.GetService<IDesignTimeModel>().Model;
            var operations = db.GetService<IMigrationsModelDiffer>().GetDifferences(null, model.GetRelationalModel())
                .Where(o => o is CreateTableOperation t && missing.Contains(t.Name) || o is CreateIndexOperation i && missing.Contains(i.Table)).ToList();
            foreach (var command in db.GetService<IMigrationsSqlGenerator>().Generate(operations, model))
            {
                await db.Database.ExecuteSqlRawAsync(command.CommandText, cancellationToken);
            }
            if (missing.Intersect(Sqlite.SqliteConsumerTables.Segments.Tables).Any())
            {
                // Memberships are derived by evaluating: every active segment is evaluated in full again (the batch job), from no members.
                var now = time.GetUtcNow().UtcDateTime;
                await db.Segments.ExecuteUpdateAsync(u => u.SetProperty(s => s.MemberCount, 0L), cancellationToken);
                await db.Segments.Where(s => s.Status == Segments.SegmentStatus.Active)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.EvaluationRequestedAt, now), cancellationToken);
            }
        }
        var moved = Sqlite.SqliteConsumerTables.MoveOut(connection);
        if (moved > 0)
        {
            logger.LogInformation("Moved {Count} table(s) the change-feed consumers write into their own file.", moved);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
