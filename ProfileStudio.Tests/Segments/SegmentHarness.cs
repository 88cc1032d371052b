using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Segments;
using EventCondition = ProfileStudio.Core.Segments.EventCondition;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Segments;

/// <summary>
/// The app's Core services on a real SQLite database with a fake clock, driven by hand: messages written to the
/// lake, unification runs applied with the app's pipeline (computed attributes included), the change feed handed
/// to the segments consumer, the clock job and the batch job run on demand.
/// </summary>
internal sealed class SegmentHarness : IAsyncDisposable
{
    public static readonly DateTime Start = new(2026, 6, 15, 10, 0, 0, DateTimeKind.Utc);
    public static readonly AuditActor Marketer = new("u1", "marketer@example.com");

    private readonly StudioServices _studio;
    private readonly SqliteConnection _connection;
    private readonly SqliteUnificationStore _unification;
    private long _feedPosition;
    private int _messages;

    private SegmentHarness(StudioServices studio, FakeTimeProvider clock)
    {
        _studio = studio;
        Clock = clock;
        _connection = new SqliteConnection(SqliteDatabase.ConnectionString(studio.DataDirectory));
        _connection.Open();
        var pipeline = Services.GetRequiredService<UnificationPipeline>();
        _unification = new SqliteUnificationStore(_connection, pipeline: pipeline);
    }

    public static async Task<SegmentHarness> StartAsync()
    {
        var clock = new FakeTimeProvider(Start);
        var studio = await StudioServices.StartAsync(withAccounts: false, time: clock);
        var harness = new SegmentHarness(studio, clock);
        await using (var db = await harness.DbAsync())
        {
            if (!await db.Sources.AnyAsync())
            {
                db.Sources.Add(new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "a", WriteKeyHint = "a" });
                await db.SaveChangesAsync();
            }
        }
        await harness.Store.RefreshCatalogAsync();
        harness._feedPosition = await (await harness.DbAsync()).ProfileChanges.MaxAsync(c => (long?)c.Id) ?? 0;
        return harness;
    }

    public FakeTimeProvider Clock { get; }

    /// <summary>The time messages are sent relative to (default: the clock's now).</summary>
    public DateTime? SendAt { get; set; }

    public IServiceProvider Services => _studio.Services;

    public SegmentStore Store => Services.GetRequiredService<SegmentStore>();

    public SegmentCatalog Catalog => Services.GetRequiredService<SegmentCatalog>();

    public SegmentChangeConsumer Consumer => Services.GetRequiredService<SegmentChangeConsumer>();

    public SegmentBatchJob Batch => Services.GetRequiredService<SegmentBatchJob>();

    public SegmentClockJob ClockJob => Services.GetRequiredService<SegmentClockJob>();

    public AuditLog Audit => _studio.Audit;

    public SqliteConnection Connection => _connection;

    public SqliteUnificationStore Unification => _unification;

    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    /// <summary>A context that also reads the segments' tables (in their own file, attached).</summary>
    public Task<ProfileStudioDbContext> DbAsync() => Core.Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>());

    /// <summary>
    /// Writes a track (or identify, when <paramref name="eventName"/> is null) message to the lake, at the clock's time plus <paramref name="at"/>;
    /// with <paramref name="type"/> <c>page</c> or <c>screen</c>, a view of that name.
    /// </summary>
    public void Send(string? userId, string? anonymousId, string? eventName, JsonObject? properties = null, JsonObject? traits = null, TimeSpan? at = null, string? email = null,
        string type = "track")
    {
        var payload = new JsonObject { ["type"] = eventName is null ? "identify" : type };
        if (eventName is not null)
        {
            payload[type == "track" ? "event" : "name"] = eventName;
            payload["properties"] = properties ?? new JsonObject();
        }
        if (traits is not null || email is not null)
        {
            var t = traits ?? new JsonObject();
            if (email is not null)
            {
                t["email"] = email;
            }
            payload["traits"] = t;
        }
        if (userId is not null) payload["userId"] = userId;
        if (anonymousId is not null) payload["anonymousId"] = anonymousId;
        var eventAt = (SendAt ?? Now) + (at ?? TimeSpan.Zero);
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES (1, $id, $type, $r, $e, $p, 1)";
        command.Parameters.AddWithValue("$id", $"m{++_messages}-{Guid.NewGuid():N}");
        command.Parameters.AddWithValue("$type", (string)payload["type"]!);
        command.Parameters.AddWithValue("$r", Now);
        command.Parameters.AddWithValue("$e", eventAt);
        command.Parameters.AddWithValue("$p", payload.ToJsonString());
        command.ExecuteNonQuery();
    }

    /// <summary>Unifies everything in the lake, <paramref name="runSize"/> messages per run (a restart before each).</summary>
    public void Unify(int runSize = 1000)
    {
        while (true)
        {
            var batch = _unification.ReadLake(_unification.ReadCheckpoint(), runSize);
            if (batch.Count == 0)
            {
                return;
            }
            var engine = new UnificationEngine(_unification.RestoreGraph(IdentityRules.Default), pipeline: _unification.Pipeline);
            _unification.Apply(engine.Process(batch), Now);
        }
    }

    /// <summary>One unification run of at most <paramref name="size"/> messages; false when the lake was read to its end.</summary>
    public bool UnifyOnce(int size)
    {
        var batch = _unification.ReadLake(_unification.ReadCheckpoint(), size);
        if (batch.Count == 0)
        {
            return false;
        }
        var engine = new UnificationEngine(_unification.RestoreGraph(IdentityRules.Default), pipeline: _unification.Pipeline);
        _unification.Apply(engine.Process(batch), Now);
        return true;
    }

    /// <summary>Hands the change feed to the segments consumer until it has read everything (its own rows included).</summary>
    public async Task<List<ProfileChange>> ConsumeAsync()
    {
        var feed = Services.GetRequiredService<ChangeFeedStore>();
        var seen = new List<ProfileChange>();
        for (var round = 0; round < 20; round++)
        {
            await RelayedAsync();
            var rows = await feed.ReadAsync(_feedPosition, 5000);
            if (rows.Count == 0)
            {
                return seen;
            }
            await Consumer.HandleAsync(rows, CancellationToken.None);
            _feedPosition = rows[^1].Id;
            seen.AddRange(rows);
        }
        throw new InvalidOperationException("The segments consumer keeps writing feed rows: it does not settle.");
    }

    /// <summary>
    /// Waits until the membership writes so far have reached the change feed and the member counts (the relay copies them
    /// from the segments' file in the background).
    /// </summary>
    public async Task RelayedAsync()
    {
        var relay = Services.GetRequiredService<SegmentMembershipWriter>().Relay;
        await relay.Running;
        await relay.RelayAsync();
    }

    public async Task SyncAsync(int runSize = 1000)
    {
        Unify(runSize);
        await ConsumeAsync();
    }

    public async Task<long> ProfileOfAsync(string ns, string value)
    {
        await using var db = await DbAsync();
        return await db.Identities.Where(i => i.Namespace == ns && i.Value == value).Select(i => i.ProfileId).SingleAsync();
    }

    public async Task<HashSet<long>> MembersAsync(long segmentId)
    {
        await using var db = await DbAsync();
        return (await db.SegmentMemberships.Where(m => m.SegmentId == segmentId).Select(m => m.ProfileId).ToListAsync()).ToHashSet();
    }

    /// <summary>Creates and activates a segment; its full evaluation runs at once.</summary>
    public async Task<Segment> ActivateAsync(string name, SegmentNode root, SegmentEvaluationMode mode = SegmentEvaluationMode.Streaming)
    {
        var created = await Store.CreateAsync(Marketer, new SegmentDraft(name, null, SegmentRuleJson.Serialize(new SegmentRule(root)), mode));
        Assert.True(created.Succeeded, string.Join("; ", created.Problems));
        var activated = await Store.ActivateAsync(Marketer, created.Segment!.Id);
        Assert.True(activated.Succeeded, string.Join("; ", activated.Problems));
        await Batch.RunPendingAsync();
        await RelayedAsync();
        return activated.Segment!;
    }

    /// <summary>Activates a computed attribute as live from the start (no backfill needed: there is no data yet).</summary>
    public async Task<ComputedAttributeDefinition> ComputedAsync(ComputedAttributeDraft draft)
    {
        var computed = Services.GetRequiredService<ComputedAttributeStore>();
        var saved = await computed.SaveAsync(Marketer, null, draft);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        await computed.ActivateAsync(Marketer, saved.Definition!.Id);
        await using (var db = await DbAsync())
        {
            await db.Database.ExecuteSqlAsync($"UPDATE ComputedAttributeDefinitions SET BackfillDone = 1, BackfillCursor = {long.MaxValue}");
        }
        await computed.RefreshCatalogAsync();
        return saved.Definition;
    }

    /// <summary>Runs the computed attributes' backfills to their end, as the backfill job does.</summary>
    /// <summary>The computed-attributes expiry job's pass at the harness's clock; returns the profiles whose value changed.</summary>
    public int ExpireComputed()
    {
        using var maintenance = new ComputedAttributeMaintenance(_connection, Clock);
        return maintenance.ExpireDue();
    }

    public long Backfill()
    {
        using var maintenance = new ComputedAttributeMaintenance(_connection, Clock);
        return maintenance.BackfillAll();
    }

    public static GroupNode All(params SegmentNode[] children) => new("root", GroupKind.AllOf, children);

    public static EventCondition Performed(string id, string name, int? lastDays = null, bool performed = true) =>
        new(id, name, performed) { Window = lastDays is { } d ? new EventWindow(WindowKind.LastDays) { Amount = d } : null };

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        SqliteConnection.ClearAllPools();
        await _studio.DisposeAsync();
    }
}
