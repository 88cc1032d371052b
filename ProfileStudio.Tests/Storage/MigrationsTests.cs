using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Storage;

public sealed class MigrationsTests : IAsyncLifetime
{
    private readonly StudioServices _studio = StudioServices.Create(withAccounts: false);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private IDbContextFactory<ProfileStudioDbContext> DbFactory =>
        _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();

    private DatabaseMigrator Migrator => _studio.CreateMigrator();

    [Fact]
    public async Task Model_ComparedWithLastMigration_HasNoPendingChanges()
    {
        await using var db = await DbFactory.CreateDbContextAsync();

        var pending = db.Database.HasPendingModelChanges();

        Assert.False(pending, "The EF model changed without a migration: run `dotnet ef migrations add` in ProfileStudio.Core.");
    }

    [Fact]
    public async Task StartAsync_EmptyDatabase_AppliesEveryMigration()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        var all = db.Database.GetMigrations().ToList();

        await Migrator.StartAsync(CancellationToken.None);

        Assert.NotEmpty(all);
        Assert.Equal(all, await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task StartAsync_EmptyDatabase_PutsItInWalMode()
    {
        await Migrator.StartAsync(CancellationToken.None);

        // A separate, unpooled connection: WAL is a property of the file, not of one connection.
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_studio.DataDirectory, SqliteDatabase.FileName)};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        var mode = (string?)await command.ExecuteScalarAsync();

        Assert.Equal("wal", mode);
    }

    [Fact]
    public async Task StartAsync_PutsTheConsumersTablesInTheirOwnFile_AndBeforeAMigrationBringsThemBackWithTheirRows()
    {
        await Migrator.StartAsync(CancellationToken.None);
        var store = Path.Combine(_studio.DataDirectory, SqliteDatabase.FileName);
        var consumers = Path.Combine(_studio.DataDirectory, SqliteDatabase.ConsumersFileName);

        var segments = Path.Combine(_studio.DataDirectory, SqliteDatabase.SegmentsFileName);

        Assert.Empty(Tables(store).Intersect(SqliteConsumerTables.Tables));
        Assert.Equal([.. SqliteConsumerTables.Consumers.Tables.Order()], Tables(consumers).Intersect(SqliteConsumerTables.Tables).Order().ToList());
        Assert.Equal([.. SqliteConsumerTables.Segments.Tables.Order()], Tables(segments).Intersect(SqliteConsumerTables.Tables).Order().ToList());
        Assert.Equal("wal", Scalar(consumers, "PRAGMA journal_mode"));
        Assert.Equal("wal", Scalar(segments, "PRAGMA journal_mode"));

        await using (var connection = await SqliteConsumerTables.OpenAsync($"Data Source={store}"))
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO DashboardDays (Stitching, Day, NewProfiles, TotalProfiles) VALUES (0, '2026-12-01 00:00:00', 3, 7);
                INSERT INTO SegmentMemberships (ProfileId, SegmentId, Since) VALUES (42, 5, '2026-12-01 00:00:00');
                """;
            insert.ExecuteNonQuery();
            // What the migrator does before a pending migration: the tables back where the migrations name them.
            SqliteConsumerTables.MoveIn(connection);
        }
        Assert.Superset(SqliteConsumerTables.Tables.ToHashSet(), Tables(store).ToHashSet());
        Assert.Empty(Tables(consumers).Intersect(SqliteConsumerTables.Tables));
        Assert.Empty(Tables(segments).Intersect(SqliteConsumerTables.Tables));
        Assert.Equal(7L, Scalar(store, "SELECT TotalProfiles FROM DashboardDays"));
        Assert.Equal(42L, Scalar(store, "SELECT ProfileId FROM SegmentMemberships"));

        await Migrator.StartAsync(CancellationToken.None);

        Assert.Empty(Tables(store).Intersect(SqliteConsumerTables.Tables));
        Assert.Equal(7L, Scalar(consumers, "SELECT TotalProfiles FROM DashboardDays"));
        Assert.Equal(1L, Scalar(consumers, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'DashboardDays'")); // its key's index came along
        Assert.Equal(42L, Scalar(segments, "SELECT ProfileId FROM SegmentMemberships"));
        Assert.Equal(2L, Scalar(segments, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'SegmentMemberships'")); // its key's and the (SegmentId, ProfileId) one

        static List<string> Tables(string file) =>
            [.. Rows(file, "SELECT name FROM sqlite_master WHERE type = 'table'")];

        static IEnumerable<string> Rows(string file, string sql)
        {
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
            {
                rows.Add(reader.GetString(0));
            }
            return rows;
        }

        static object? Scalar(string file, string sql)
        {
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return command.ExecuteScalar();
        }
    }

    [Fact]
    public async Task StartAsync_ConsumersFileLost_CreatesItsTablesEmpty_AndAStoreStartedAfreshDropsAnOldOnesRows()
    {
        await Migrator.StartAsync(CancellationToken.None);
        var store = Path.Combine(_studio.DataDirectory, SqliteDatabase.FileName);
        var consumers = Path.Combine(_studio.DataDirectory, SqliteDatabase.ConsumersFileName);
        await AddDayAsync(store);
        SqliteConnection.ClearAllPools();

        // The consumers' file lost (or restored from elsewhere without it): its tables come back empty, to be counted again.
        foreach (var file in Directory.GetFiles(_studio.DataDirectory, SqliteDatabase.ConsumersFileName + "*"))
        {
            File.Delete(file);
        }
        await Migrator.StartAsync(CancellationToken.None);
        Assert.Equal(0L, Count(consumers, "DashboardDays"));
        Assert.Equal(0L, Count(consumers, "SchemaState"));

        // The segments' file lost: memberships come back empty, every active segment asked for a full evaluation, its count 0.
        await using (var seeding = await SqliteConsumerTables.CreateContextAsync(DbFactory))
        {
            seeding.Segments.Add(new Core.Segments.Segment { Name = "VIP", Status = Core.Segments.SegmentStatus.Active, RuleJson = "{}", MemberCount = 3 });
            await seeding.SaveChangesAsync();
            await seeding.Database.ExecuteSqlRawAsync("INSERT INTO SegmentMemberships (ProfileId, SegmentId, Since) VALUES (1, 1, '2026-12-01 00:00:00')");
        }
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(_studio.DataDirectory, SqliteDatabase.SegmentsFileName + "*"))
        {
            File.Delete(file);
        }
        await Migrator.StartAsync(CancellationToken.None);
        var segments = Path.Combine(_studio.DataDirectory, SqliteDatabase.SegmentsFileName);
        Assert.Equal(0L, Count(segments, "SegmentMemberships"));
        await using (var after = await DbFactory.CreateDbContextAsync())
        {
            var vip = await after.Segments.SingleAsync();
            Assert.Equal(0L, vip.MemberCount);
            Assert.NotNull(vip.EvaluationRequestedAt);
        }

        // The store deleted and started afresh beside the old consumers' file: its rows are not this store's.
        await AddDayAsync(store);
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(_studio.DataDirectory, SqliteDatabase.FileName + "*"))
        {
            File.Delete(file);
        }
        await Migrator.StartAsync(CancellationToken.None); // every migration pending: before, the old tables moved in and the first CREATE failed

        Assert.Equal(0L, Count(consumers, "DashboardDays"));
        await using var db = await SqliteConsumerTables.CreateContextAsync(DbFactory);
        Assert.Empty(await db.DashboardDays.ToListAsync());

        static async Task AddDayAsync(string store)
        {
            await using var connection = await SqliteConsumerTables.OpenAsync($"Data Source={store}");
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO DashboardDays (Stitching, Day, NewProfiles, TotalProfiles) VALUES (0, '2026-12-01 00:00:00', 3, 7)";
            insert.ExecuteNonQuery();
        }

        static long Count(string file, string table)
        {
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM \"{table}\"";
            return (long)command.ExecuteScalar()!;
        }
    }

    [Fact]
    public async Task StartAsync_RunTwice_LeavesTheDatabaseMigrated()
    {
        await Migrator.StartAsync(CancellationToken.None);

        await Migrator.StartAsync(CancellationToken.None);

        await using var db = await DbFactory.CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task Connection_FromTheFactory_HasForeignKeysOn()
    {
        await Migrator.StartAsync(CancellationToken.None);
        await using var db = await DbFactory.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA foreign_keys;";

        var enabled = Convert.ToInt64(await command.ExecuteScalarAsync());

        Assert.Equal(1, enabled);
    }

    [Fact]
    public async Task SaveChanges_RoleOfAMissingUser_IsRefusedByTheForeignKey()
    {
        await Migrator.StartAsync(CancellationToken.None);
        await using var db = await DbFactory.CreateDbContextAsync();
        db.Roles.Add(new IdentityRole("Somebody") { Id = "role-1" });
        await db.SaveChangesAsync();
        db.UserRoles.Add(new IdentityUserRole<string> { UserId = "no-such-user", RoleId = "role-1" });

        var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        var sqlite = Assert.IsType<SqliteException>(error.InnerException);
        Assert.Contains("FOREIGN KEY", sqlite.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A database unified before session 4 holds import times as first seen and last activity; the migration that
    /// adds LastActivityAt recomputes them from the stored event times as the identity writer does.
    /// </summary>
    [Fact]
    public async Task Migrate_ProfilesWithImportTimes_GetFirstSeenAndLastActivityFromTheirEventTimes()
    {
        var imported = new DateTime(2026, 11, 20, 10, 0, 0, DateTimeKind.Utc);
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            await db.GetService<IMigrator>().MigrateAsync("20261203151034_ChangeFeed");
            var source = new Source { Name = "CRM", Kind = SourceKind.Batch, WriteKeyHash = "h", CreatedAt = imported };
            db.Sources.Add(source);
            await db.SaveChangesAsync();
            RawMessage Message(DateTime eventAt) => new()
            {
                SourceId = source.Id, MessageId = Guid.NewGuid().ToString("N"), Type = "identify", ReceivedAt = imported, EventAt = eventAt,
                Payload = "{}", Status = MessageStatus.Accepted,
            };
            var first = Message(imported.AddDays(-45));
            db.RawMessages.AddRange(first, Message(imported));
            await db.SaveChangesAsync();
            // 1: identities, events and attributes weeks before the import; 2: known from records only; 3: merged into 1.
            db.Identities.AddRange(
                new IdentityRecord { Namespace = "user_id", Value = "u1", ProfileId = 1, SourceId = source.Id, FirstSeenAt = imported.AddDays(-40), LastSeenAt = imported },
                new IdentityRecord { Namespace = "crm_id", Value = "c2", ProfileId = 2, SourceId = source.Id, FirstSeenAt = imported.AddDays(-50), LastSeenAt = imported });
            db.ProfileEvents.AddRange(
                new ProfileEvent { ProfileId = 1, SourceId = source.Id, Type = "track", Name = "Viewed", EventAt = imported.AddDays(-30) },
                new ProfileEvent { ProfileId = 1, SourceId = source.Id, Type = "page", Name = "Home", EventAt = imported.AddDays(-10) });
            db.ProfileAttributes.AddRange(
                new ProfileAttribute { ProfileId = 1, SourceId = source.Id, Key = "plan", ValueJson = "\"a\"", EventAt = imported.AddDays(-35) },
                new ProfileAttribute { ProfileId = 2, SourceId = source.Id, Key = "plan", ValueJson = "\"b\"", EventAt = imported.AddDays(-20) });
            await db.SaveChangesAsync();
            // Raw SQL: the model already has LastActivityAt, the database at this migration not yet.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO Profiles (Id, CreatedAt, UpdatedAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES
                    (1, {imported}, {imported}, NULL, {first.Id}, {first.Id}),
                    (2, {imported}, {imported}, NULL, {first.Id + 1}, {first.Id + 1}),
                    (3, {imported}, {imported}, 1, {first.Id + 1}, {first.Id + 1})
                """);
        }

        await Migrator.StartAsync(CancellationToken.None);

        await using var migrated = await DbFactory.CreateDbContextAsync();
        var profiles = await migrated.Profiles.AsNoTracking().OrderBy(p => p.Id).ToListAsync();
        Assert.Equal(
            [
                (1L, imported.AddDays(-45), imported.AddDays(-10), (DateTime?)imported.AddDays(-10)), // its first message, its latest event
                (2L, imported.AddDays(-50), imported.AddDays(-50), null), // no timeline: no last activity, UpdatedAt is first seen
                (3L, imported, imported, null), // merged: read through its survivor, left alone
            ],
            profiles.Select(p => (p.Id, p.CreatedAt, p.UpdatedAt, p.LastActivityAt)));
    }

    /// <summary>Refusals recorded before they were worded "refused: …" read like the new ones; other insights are left alone.</summary>
    [Fact]
    public async Task Migrate_RefusalsWordedAsSetAside_AreRewordedAsRefused()
    {
        var at = new DateTime(2026, 12, 4, 23, 44, 0, DateTimeKind.Utc);
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            await db.GetService<IMigrator>().MigrateAsync("20261204144523_ProfilesCreatedAtCovering");
            db.IdentityInsights.AddRange(
                new IdentityInsight { At = at, Kind = InsightKinds.Refused, ProfileId = 2968, Detail = "anonymous_id:4927-ad was set aside: a profile holds at most 1 user_id value" },
                new IdentityInsight { At = at, Kind = InsightKinds.Refused, ProfileId = 7, Detail = "email:a@example.com was set aside: email:a@example.com and user_id:b are marked never to link" },
                new IdentityInsight { At = at, Kind = InsightKinds.Unidentified, Detail = "every identifier was set aside" },
                new IdentityInsight { At = at, Kind = InsightKinds.Merged, ProfileId = 1, OtherProfileId = 2, Detail = "profile 2 merged into 1: user_id:u, email:e seen together" });
            await db.SaveChangesAsync();
        }

        await Migrator.StartAsync(CancellationToken.None);

        await using var migrated = await DbFactory.CreateDbContextAsync();
        Assert.Equal(
            [
                "refused: anonymous_id:4927-ad not linked (a profile holds at most 1 user_id value)",
                "refused: email:a@example.com not linked (email:a@example.com and user_id:b are marked never to link)",
                "every identifier was refused",
                "profile 2 merged into 1: user_id:u, email:e seen together",
            ],
            await migrated.IdentityInsights.AsNoTracking().OrderBy(i => i.Id).Select(i => i.Detail).ToListAsync());
    }

    /// <summary>States keyed numbers by their text as sent: the active definitions that keep values are backfilled again, no other.</summary>
    [Fact]
    public async Task Migrate_ActiveDefinitionsThatKeepValues_AreBackfilledAgain()
    {
        var at = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        ComputedAttributeDefinition Definition(string name, ComputedFunction function, ComputedStatus status) => new()
        {
            Name = name, Function = function, PropertyPath = "v", EventNames = ["E"], Status = status, Version = 2, WindowUnit = WindowUnit.AllTime,
            BackfillVersion = 2, BackfillCursor = long.MaxValue, BackfillDone = true, BackfillProcessed = 10, BackfillTotal = 10,
            BackfillStartedAt = at, BackfillFinishedAt = at, CreatedAt = at, UpdatedAt = at,
        };
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            await db.GetService<IMigrator>().MigrateAsync("20261207004656_EditRevisions"); // the one before ComputedNumberKeys
            db.ComputedAttributeDefinitions.AddRange(
                Definition("usual", ComputedFunction.MostFrequent, ComputedStatus.Active),
                Definition("seen", ComputedFunction.Distinct, ComputedStatus.Active),
                Definition("total", ComputedFunction.Sum, ComputedStatus.Active),
                Definition("drafted", ComputedFunction.CountDistinct, ComputedStatus.Draft));
            await db.SaveChangesAsync();
            // Up to that migration only (a later one, ComputedProfileRows, backfills every active aggregate again).
            await db.GetService<IMigrator>().MigrateAsync("20261207005056_ComputedNumberKeys");
        }

        await using var migrated = await DbFactory.CreateDbContextAsync();
        var definitions = await migrated.ComputedAttributeDefinitions.AsNoTracking().OrderBy(d => d.Id).ToListAsync();
        Assert.Equal(
            [("usual", false, 0L, 2), ("seen", false, 0L, 2), ("total", true, long.MaxValue, 2), ("drafted", true, long.MaxValue, 2)],
            definitions.Select(d => (d.Name, d.BackfillDone, d.BackfillCursor, d.BackfillVersion)));
        Assert.All(definitions.Take(2), d => Assert.Null(d.BackfillStartedAt)); // the backfill job starts them as it starts any
    }

    /// <summary>
    /// Per-definition state rows become one row per profile: the old rows go and every active aggregate definition is backfilled
    /// again (its values come back from the timelines); drafts and expression attributes (nothing stored) are left alone.
    /// </summary>
    [Fact]
    public async Task Migrate_ComputedStatesBecomeOneRowPerProfile_ActiveAggregatesAreBackfilledAgain()
    {
        var at = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        ComputedAttributeDefinition Definition(string name, ComputedFunction function, ComputedStatus status) => new()
        {
            Name = name, Function = function, PropertyPath = function == ComputedFunction.Expression ? null : "v", EventNames = ["E"], Status = status,
            Formula = function == ComputedFunction.Expression ? "1 + 1" : null, Version = 3, WindowUnit = WindowUnit.AllTime,
            BackfillVersion = 3, BackfillCursor = long.MaxValue, BackfillDone = true, BackfillProcessed = 10, BackfillTotal = 10,
            BackfillStartedAt = at, BackfillFinishedAt = at, CreatedAt = at, UpdatedAt = at,
        };
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            await db.GetService<IMigrator>().MigrateAsync("20261207151253_ComputedStatesBinary");
            db.ComputedAttributeDefinitions.AddRange(
                Definition("total", ComputedFunction.Sum, ComputedStatus.Active),
                Definition("formula", ComputedFunction.Expression, ComputedStatus.Active),
                Definition("drafted", ComputedFunction.Count, ComputedStatus.Draft));
            await db.SaveChangesAsync();
            await db.Database.ExecuteSqlRawAsync("INSERT INTO ComputedAttributeStates (ProfileId, DefinitionId, MergedFromId, Version, State, ValueJson, ComputedAt) VALUES (1, 1, 0, 3, x'01', '5', '2026-12-07 12:00:00')");
        }

        await Migrator.StartAsync(CancellationToken.None);

        await using var migrated = await DbFactory.CreateDbContextAsync();
        Assert.Equal(
            [("total", false, 0L, 0), ("formula", true, long.MaxValue, 3), ("drafted", true, long.MaxValue, 3)],
            (await migrated.ComputedAttributeDefinitions.AsNoTracking().OrderBy(d => d.Id).ToListAsync()).Select(d => (d.Name, d.BackfillDone, d.BackfillCursor, d.BackfillVersion)));
        Assert.Empty(await migrated.ComputedProfileStates.ToListAsync());
        await using var command = migrated.Database.GetDbConnection().CreateCommand();
        await migrated.Database.OpenConnectionAsync();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'ComputedAttributeStates'";
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    /// <summary>Event conditions now count track events only: every active segment is evaluated again, no draft.</summary>
    [Fact]
    public async Task Migrate_ActiveSegmentsAreEvaluatedAgain_ForTrackEventsOnly()
    {
        var at = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        ProfileStudio.Core.Segments.Segment Segment(string name, ProfileStudio.Core.Segments.SegmentStatus status) => new()
        {
            Name = name, Status = status, RuleJson = "{}", CreatedAt = at, CreatedBy = "t", UpdatedAt = at, UpdatedBy = "t", LastEvaluatedAt = at,
        };
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            await db.GetService<IMigrator>().MigrateAsync("20261207005056_ComputedNumberKeys"); // the one before SegmentsTrackEventsOnly
            db.Segments.AddRange(Segment("Recent buyers", ProfileStudio.Core.Segments.SegmentStatus.Active), Segment("Idea", ProfileStudio.Core.Segments.SegmentStatus.Draft));
            await db.SaveChangesAsync();
        }

        await Migrator.StartAsync(CancellationToken.None);

        await using var migrated = await DbFactory.CreateDbContextAsync();
        var segments = await migrated.Segments.AsNoTracking().OrderBy(s => s.Id).ToListAsync();
        Assert.NotNull(segments[0].EvaluationRequestedAt);
        Assert.InRange(segments[0].EvaluationRequestedAt!.Value, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        Assert.Null(segments[1].EvaluationRequestedAt);
    }
}
