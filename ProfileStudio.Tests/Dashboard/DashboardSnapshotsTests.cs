using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Dashboard;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Dashboard;

/// <summary>
/// The dashboard's history kept from the change feed equals a computation from scratch, and the figures count
/// what is stored, on real SQLite through real unification runs, merges, late (older) messages, deletes and splits.
/// </summary>
public sealed class DashboardSnapshotsTests : IAsyncLifetime
{
    private static readonly DateTime Now = new(2026, 11, 20, 12, 0, 0, DateTimeKind.Utc);
    private readonly FakeTimeProvider _time = new(Now);
    private StudioServices _studio = default!;
    private SqliteConnection _connection = default!;
    private DashboardSnapshots _snapshots = default!;
    private long _feedPosition;
    private long _messageIds;

    public async Task InitializeAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false, time: _time);
        var dbFactory = _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            db.Sources.AddRange(
                new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "a", WriteKeyHint = "a" },
                new Source { Name = "CRM", Kind = SourceKind.Batch, WriteKeyHash = "b", WriteKeyHint = "b" });
            await db.SaveChangesAsync();
            _connection = new SqliteConnection(db.Database.GetConnectionString());
        }
        _connection.Open();
        SqliteConsumerTables.Attach(_connection); // the history and figures are in the consumers' file
        _snapshots = _studio.Services.GetRequiredService<DashboardSnapshots>();
        // Full scans read a few ids per statement here, as they read 50,000 at a time at a million profiles: every count
        // below crosses statement boundaries.
        _snapshots.ScanChunk = 2;
    }

    /// <summary>
    /// One step: a message (identifiers, day of its event time), or the deletion / split of the profile holding an identifier.
    /// <paramref name="Later"/>: the run it ends is not handed to the consumer yet, so the consumer next counts a store that
    /// is ahead of the rows it handles (as under load).
    /// </summary>
    public sealed record Step(int Kind, string? UserId, string? AnonymousId, string? Email, int Day, bool Later = false);

    private static Gen<Step> StepGen =>
        from kind in Gen.Frequency((14, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)))
        from user in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Gen.Choose(1, 4).Select(i => (string?)$"u{i}")))
        from anon in Gen.Frequency((1, Gen.Constant<string?>(null)), (3, Gen.Choose(1, 16).Select(i => (string?)$"a{i}")))
        from email in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Gen.Elements<string?>("e1@x.test", "e2@x.test")))
        from day in Gen.Frequency((1, Gen.Choose(-40, 0)), (2, Gen.Choose(-1, 0)))
        from later in Gen.Frequency((2, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new Step(kind, user, anon ?? (user is null ? "a1" : null), email, day, later);

    [FsCheck.Xunit.Property(MaxTest = 40)]
    public Property UpdateHistory_OverRunsMergesLateMessagesDeletesAndSplits_EqualsTheHistoryFromScratch()
    {
        return Prop.ForAll(StepGen.ListOf().Where(l => l.Count is > 0 and <= 40).ToArbitrary(), Gen.Choose(1, 5).ToArbitrary(), (steps, runSize) =>
        {
            Reset();
            var pending = new List<Step>();
            // Whenever the consumer has handled the whole feed, its history is the one counted from what is stored: an error
            // a later count of the same days would hide is caught where it happens.
            string? wrong = null;
            void Check(int step)
            {
                if (wrong is null && History() is var history && ExpectedHistory() is var expected && !history.SequenceEqual(expected))
                {
                    wrong = $"after step {step}: kept\n{string.Join("\n", history)}\nexpected\n{string.Join("\n", expected)}";
                }
            }
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                if (step.Kind == 0)
                {
                    pending.Add(step);
                    if (pending.Count >= runSize)
                    {
                        Unify(pending, consume: !step.Later);
                        if (!step.Later)
                        {
                            Check(i);
                        }
                    }
                    continue;
                }
                Unify(pending);
                if (ProfileHolding(step.AnonymousId ?? step.UserId!) is { } profile)
                {
                    if (step.Kind == 1)
                    {
                        new SqliteProfileDeletion(_connection).Run(profile, eraseFromLake: false, IdentityRules.Default, Now);
                    }
                    else
                    {
                        Split(profile);
                    }
                    Consume();
                    Check(i);
                }
            }
            Unify(pending);
            Consume(); // runs left for later, when the last run was one
            var incremental = History();
            _snapshots.RefreshAsync().GetAwaiter().GetResult();
            var scratch = History();
            var expected = ExpectedHistory();
            return (wrong is null && incremental.SequenceEqual(scratch) && scratch.SequenceEqual(expected))
                .Label(wrong ?? $"incremental:\n{string.Join("\n", incremental)}\nfrom scratch:\n{string.Join("\n", scratch)}\nexpected:\n{string.Join("\n", expected)}");
        });
    }

    [Fact]
    public async Task UpdateHistory_ALateMessageMovesAProfileToAnEarlierDay_TheLaterDayLosesIt()
    {
        Unify([new Step(0, null, "a1", null, -2), new Step(0, null, "a2", null, -2)]);
        Assert.Equal(["-2:2:2"], History());

        Unify([new Step(0, null, "a1", null, -10)]);

        Assert.Equal(["-10:1:1", "-2:1:2"], History());
    }

    [Fact]
    public async Task UpdateHistory_ANewProfileARefreshAlreadyCounted_IsNotAddedToItsDayAgain()
    {
        Unify([new Step(0, null, "a1", null, 0)]);
        Unify([new Step(0, null, "a2", null, 0)]); // counted from today on: new profiles after this are added, not counted
        Assert.Equal(["0:2:2"], History());

        Unify([new Step(0, null, "a3", null, 0)], consume: false);
        await _snapshots.RefreshAsync(); // counts a3 before the consumer has handled its row
        Consume();

        Assert.Equal(["0:3:3"], History());
        Unify([new Step(0, null, "a4", null, 0)]);
        Assert.Equal(["0:4:4"], History());
    }

    [Fact]
    public async Task UpdateHistory_TwoProfilesMerge_TheMergedOneLeavesItsDay()
    {
        Unify([new Step(0, null, "a1", null, -5), new Step(0, null, "a2", null, -3)]);
        Assert.Equal(["-5:1:1", "-3:1:2"], History());

        Unify([new Step(0, "u1", "a1", null, -1), new Step(0, "u1", "a2", null, -1)]);

        Assert.Equal(["-5:1:1"], History());
    }

    [Fact]
    public async Task Consumer_WhileARunHoldsTheStoresWriteLock_WritesTheHistoryWithoutWaitingForIt()
    {
        Unify([new Step(0, null, "a1", null, -2), new Step(0, "u2", null, null, -1)], consume: false);
        var rows = FeedSince();
        // A unification run in progress: the store's write turn and SQLite's write lock, held on a connection of its own.
        await using var run = new SqliteConnection(_connection.ConnectionString);
        run.Open();
        using var turn = WriteTurns.TakeFor(run);
        using var transaction = run.BeginTransaction();
        using (var write = run.CreateCommand())
        {
            write.Transaction = transaction;
            write.CommandText = "UPDATE Sources SET Name = Name WHERE Id = 1";
            write.ExecuteNonQuery();
        }

        // With the history in the store's file, this waited for the run's commit (here: never, until the 30 s busy timeout).
        var consumer = new DashboardConsumer(_snapshots);
        await consumer.HandleAsync(rows, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        await consumer.CatchingUp.WaitAsync(TimeSpan.FromSeconds(20));
        var history = History();
        transaction.Rollback();

        Assert.Equal(["-2:1:1", "-1:1:2"], history);
    }

    [Fact]
    public async Task Refresh_CountsProfilesByNamespaceOverlapAndSingleIdentity_WithAndWithoutStitching()
    {
        Unify([
            new Step(0, "u1", "a1", "e1@x.test", -3), // user_id + anonymous_id + email
            new Step(0, null, "a2", null, -2),        // anonymous only: single identity
            new Step(0, "u2", null, "e2@x.test", -1), // user_id + email
        ]);

        await _snapshots.RefreshAsync();
        var view = await _snapshots.ViewAsync(IdentityStitching.Graph, 30);
        var figures = view.Figures;

        long Having(string ns) => view.Identities.ByNamespace[figures.Namespaces.ToList().IndexOf(ns)];
        long Both(string a, string b) => view.Identities.Overlap[figures.Namespaces.ToList().IndexOf(a)][figures.Namespaces.ToList().IndexOf(b)];
        Assert.Equal(3, view.Profiles);
        Assert.Equal((2L, 2L, 2L), (Having("user_id"), Having("anonymous_id"), Having("email")));
        Assert.Equal((2L, 1L, 1L), (Both("user_id", "email"), Both("anonymous_id", "email"), Both("email", "anonymous_id")));
        Assert.Equal(1, view.Identities.SingleIdentityProfiles);
        Assert.Equal(1, view.Identities.SingleIdentity[figures.Namespaces.ToList().IndexOf("anonymous_id")]);

        var unstitched = await _snapshots.ViewAsync(IdentityStitching.None, 30);
        Assert.Equal(6, unstitched.Profiles); // every identifier on its own
        Assert.Equal(6, unstitched.Identities.SingleIdentityProfiles);
        Assert.Equal(0, unstitched.Identities.Overlap[figures.Namespaces.ToList().IndexOf("user_id")][figures.Namespaces.ToList().IndexOf("email")]);
    }

    [Fact]
    public async Task View_ChangesAndTrend_ReadTheHistory()
    {
        Unify([new Step(0, null, "a1", null, -40), new Step(0, null, "a2", null, -10), new Step(0, null, "a3", null, -3), new Step(0, null, "a4", null, 0)]);
        await _snapshots.RefreshAsync();

        var view = await _snapshots.ViewAsync(IdentityStitching.Graph, 30);

        Assert.Equal((4L, 1L, 2L, 3L), (view.Profiles, view.ChangeDay, view.ChangeWeek, view.ChangeMonth));
        Assert.Equal(30, view.Trend.Count);
        Assert.Equal(Now.Date, view.Trend[^1].Day);
        Assert.Equal((1L, 4L), (view.Trend[^1].NewProfiles, view.Trend[^1].TotalProfiles));
        Assert.Equal(1L, view.Trend[0].TotalProfiles); // the profile of 40 days ago carries into the range
        Assert.Equal(4, view.Trend.Sum(p => p.NewProfiles) + 1);
    }

    [Fact]
    public async Task Refresh_CountsIngestionPerSourceAndDay_AndInsightsPerDay()
    {
        var dbFactory = _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            db.SourceHourlyStats.AddRange(
                new SourceHourlyStats { SourceId = 1, Hour = Now.Date.AddHours(1), Received = 10, Accepted = 9, Rejected = 1, LastMessageAt = Now },
                new SourceHourlyStats { SourceId = 1, Hour = Now.Date.AddHours(5), Received = 5, Accepted = 5, LastMessageAt = Now },
                new SourceHourlyStats { SourceId = 2, Hour = Now.Date.AddDays(-1), Received = 7, Accepted = 7, LastMessageAt = Now },
                new SourceHourlyStats { SourceId = 2, Hour = Now.Date.AddDays(-400), Received = 99, Accepted = 99, LastMessageAt = Now });
            db.IdentityInsights.AddRange(
                new IdentityInsight { At = Now, Kind = InsightKinds.Merged }, new IdentityInsight { At = Now, Kind = InsightKinds.Merged },
                new IdentityInsight { At = Now.AddDays(-1), Kind = InsightKinds.Blocked }, new IdentityInsight { At = Now, Kind = InsightKinds.Reassigned });
            await db.SaveChangesAsync();
        }

        await _snapshots.RefreshAsync();
        var figures = (await _snapshots.ViewAsync(IdentityStitching.Graph, 30)).Figures;

        Assert.Equal([(Now.Date.AddDays(-1), 2, 7L, 0L), (Now.Date, 1, 15L, 1L)], figures.Ingestion.Select(d => (d.Day, d.SourceId, d.Received, d.Rejected)));
        Assert.Equal([new InsightDay(Now.Date.AddDays(-1), 0, 0, 1), new InsightDay(Now.Date, 2, 0, 0)], figures.Insights);
        Assert.Equal(["CRM", "Web"], figures.Sources.Select(s => s.Name));
    }

    [Fact]
    public async Task FiguresComputedOnAnEmptyStore_TheFirstProfilesArrive_AreComputedAgainAtOnce()
    {
        await _snapshots.RefreshAsync(); // a new install: the back-fill ran before any data
        Assert.Equal(0, (await _snapshots.ViewAsync(IdentityStitching.Graph, 30)).Figures.Stitched.Profiles);

        Unify([new Step(0, null, "a1", null, -2), new Step(0, null, "a2", null, -1)]); // the consumer handles the feed

        var view = await _snapshots.ViewAsync(IdentityStitching.Graph, 30);
        Assert.Equal(2, view.Figures.Stitched.Profiles);
        Assert.Equal(2, view.Figures.Audiences.LiveProfiles);
    }

    [Fact]
    public async Task StoredFigures_AreComputedAgainByTheConsumer_OnlyOnceTheProfilesMoreThanDouble_AndNotTwiceWithinAPause()
    {
        Unify([new Step(0, null, "a1", null, -2), new Step(0, null, "a2", null, -2)]);
        await _snapshots.RefreshAsync();
        _time.Advance(TimeSpan.FromHours(1));

        Unify([new Step(0, null, "a3", null, -1), new Step(0, null, "a4", null, -1)]); // 4: not more than twice the 2 counted
        var view = await _snapshots.ViewAsync(IdentityStitching.Graph, 30);
        Assert.Equal(2, view.Figures.Audiences.LiveProfiles); // the periodic job and the refresh button compute them (seconds at a million)
        Assert.Equal(4, view.Profiles); // the history follows at once

        Unify([new Step(0, null, "a5", null, -1)]); // 5 > 2 × 2: the figures are far behind, computed again at once
        Assert.Equal(5, (await _snapshots.ViewAsync(IdentityStitching.Graph, 30)).Figures.Audiences.LiveProfiles);

        Unify([new Step(0, null, $"b{1}", null, 0), .. Enumerable.Range(2, 10).Select(i => new Step(0, null, $"b{i}", null, 0))]); // 16 > 2 × 5, within the pause
        Assert.Equal(5, (await _snapshots.ViewAsync(IdentityStitching.Graph, 30)).Figures.Audiences.LiveProfiles);

        _time.Advance(DashboardSnapshots.CatchUpPause);
        Unify([new Step(0, null, "c1", null, 0)]);
        Assert.Equal(17, (await _snapshots.ViewAsync(IdentityStitching.Graph, 30)).Figures.Audiences.LiveProfiles);
    }

    [Fact]
    public async Task RefreshButton_PressedAgainWhileItsRefreshRuns_JoinsIt_ThenStartsAfreshOnceItIsDone()
    {
        Unify([new Step(0, null, "a1", null, -2)]);

        // The test holds the write lock, so the refresh (which stores its figures last) is still running at the second press.
        Task<DateTime> first, again;
        using (var hold = _connection.BeginTransaction()) // BEGIN IMMEDIATE: the write lock at once
        {
            first = _snapshots.RefreshOrJoinAsync();
            again = _snapshots.RefreshOrJoinAsync();
            Assert.False(first.IsCompleted);
            hold.Rollback();
        }
        Assert.Same(first, again); // one computation for both presses
        var computedAt = await first;

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await _snapshots.RefreshOrJoinAsync() > computedAt); // a press after it finished computes afresh
    }

    [Fact]
    public async Task Backfill_FirstStartWithStoredProfiles_ComputesTheHistoryOnce()
    {
        Unify([new Step(0, null, "a1", null, -60), new Step(0, null, "a2", null, -1)]);
        Assert.False(await _snapshots.HasSnapshotAsync());
        var feed = _studio.Services.GetRequiredService<ChangeFeedStore>();
        await feed.PositionAsync(DashboardConsumer.ConsumerName, startsAtEnd: true); // the consumer takes its place, as the host does first
        var backfill = ActivatorUtilities.CreateInstance<DashboardBackfill>(_studio.Services);

        await backfill.StartAsync(CancellationToken.None);
        await backfill.ExecuteTask!;

        Assert.True(await _snapshots.HasSnapshotAsync());
        Assert.Equal(ExpectedHistory(), History());
        Assert.Equal(2, (await _snapshots.ViewAsync(IdentityStitching.Graph, 90)).Profiles);
    }

    [Fact]
    public async Task Refresh_WhileTheConsumerUpdatesTheHistoryDuringItsScan_KeepsTheNewerDays()
    {
        Unify([new Step(0, null, "a1", null, -3), new Step(0, null, "a2", null, -1)]);
        await _snapshots.RefreshAsync();
        // Between the refresh's scan and its write, new profiles arrive and the consumer writes their days (it does not
        // wait for the scan): one of today, one of a week ago (a late message).
        _snapshots.AfterScan = () => Unify([new Step(0, null, "a3", null, 0), new Step(0, null, "a4", null, -7)]);

        await _snapshots.RefreshAsync();
        _snapshots.AfterScan = null;

        Assert.Equal(ExpectedHistory(), History());
        Assert.Equal(4, (await _snapshots.ViewAsync(IdentityStitching.Graph, 30)).Profiles);
    }

    [Fact]
    public async Task Refresh_FailingAfterItsScan_HandsTheDaysTheConsumerLeftToItBack_ToTheConsumersNextUpdate()
    {
        Unify([new Step(0, null, "a1", null, -3)]);
        await _snapshots.RefreshAsync();
        // During the scan a late message creates a profile a week back; the consumer leaves its day to the refresh, which fails.
        _snapshots.AfterScan = () =>
        {
            Unify([new Step(0, null, "a2", null, -7)]);
            throw new InvalidOperationException("the refresh fails after its scan");
        };
        await Assert.ThrowsAsync<InvalidOperationException>(() => _snapshots.RefreshAsync());
        _snapshots.AfterScan = null;

        Unify([new Step(0, null, "a3", null, 0)]); // the consumer's next update (of today) counts the week-old day too

        Assert.Equal(ExpectedHistory(), History());
        Assert.Equal(3, (await _snapshots.ViewAsync(IdentityStitching.Graph, 30)).Profiles);
    }

    [Fact]
    public async Task Consumer_StartsACatchUpRefreshBesideItself_AndHandlesTheNextBatchMeanwhile()
    {
        await _snapshots.RefreshAsync(); // a new install: the figures counted nobody
        var scanning = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        _snapshots.AfterScan = () =>
        {
            scanning.Set();
            release.Wait(TimeSpan.FromSeconds(10));
        };
        try
        {
            var consumer = new DashboardConsumer(_snapshots);
            Unify([new Step(0, null, "a1", null, -2)], consume: false);
            await consumer.HandleAsync(FeedSince(), CancellationToken.None); // starts the catch-up: the figures counted nobody
            Assert.True(scanning.Wait(TimeSpan.FromSeconds(10)), "the catch-up refresh should have started");

            Unify([new Step(0, null, "a2", null, -1)], consume: false);
            await consumer.HandleAsync(FeedSince(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)); // not behind the refresh
            Assert.False(consumer.CatchingUp.IsCompleted);

            release.Set();
            await consumer.CatchingUp.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(2, (await _snapshots.ViewAsync(IdentityStitching.Graph, 30)).Profiles); // the refresh counted the consumer's day again
        }
        finally
        {
            release.Set();
            _snapshots.AfterScan = null;
        }
        Assert.Equal(ExpectedHistory(), History());
    }

    [Fact]
    public async Task Refresh_InShortStatementsOrInOne_CountsTheSame()
    {
        Unify([
            new Step(0, "u1", "a1", "e1@x.test", -3), new Step(0, null, "a2", null, -2), new Step(0, "u2", null, "e2@x.test", -1),
            new Step(0, "u3", "a3", null, -1), new Step(0, "u1", "a4", null, 0), new Step(0, null, "a5", "e1@x.test", -5),
        ]);
        var json = new List<string>();
        foreach (var chunk in new long[] { 1, 3, DashboardSnapshots.DefaultScanChunk })
        {
            _snapshots.ScanChunk = chunk;
            await _snapshots.RefreshAsync();
            var graph = await _snapshots.ViewAsync(IdentityStitching.Graph, 30);
            var none = await _snapshots.ViewAsync(IdentityStitching.None, 30);
            json.Add(System.Text.Json.JsonSerializer.Serialize(new { graph.Figures, GraphTrend = graph.Trend, NoneTrend = none.Trend }));
        }

        Assert.Equal(json[2], json[0]);
        Assert.Equal(json[2], json[1]);
        Assert.Contains("\"Profiles\":", json[2]);
    }

    [Fact]
    public async Task Refresh_CountsActiveSegmentsTheirLastDayAndTheUnsegmented()
    {
        Unify([new Step(0, null, "a1", null, -3), new Step(0, null, "a2", null, -2), new Step(0, null, "a3", null, -1)]);
        var (p1, p2) = (ProfileHolding("a1")!.Value, ProfileHolding("a2")!.Value);
        var dbFactory = _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();
        await using (var db = await SqliteConsumerTables.CreateContextAsync(dbFactory)) // memberships are in the segments' file
        {
            var vip = new Core.Segments.Segment { Name = "VIP", Status = Core.Segments.SegmentStatus.Active, RuleJson = "{}", MemberCount = 2, CreatedAt = Now, UpdatedAt = Now };
            var off = new Core.Segments.Segment { Name = "Old", Status = Core.Segments.SegmentStatus.Disabled, RuleJson = "{}", CreatedAt = Now, UpdatedAt = Now };
            db.Segments.AddRange(vip, off);
            await db.SaveChangesAsync();
            db.SegmentMemberships.AddRange(new Core.Segments.SegmentMembership { ProfileId = p1, SegmentId = vip.Id, Since = Now },
                new Core.Segments.SegmentMembership { ProfileId = p2, SegmentId = vip.Id, Since = Now }, new Core.Segments.SegmentMembership { ProfileId = ProfileHolding("a3")!.Value, SegmentId = off.Id, Since = Now });
            db.SegmentMembershipChanges.AddRange(
                new Core.Segments.SegmentMembershipChange { SegmentId = vip.Id, ProfileId = p1, Kind = Core.Segments.SegmentMembershipChangeKind.Realized, At = Now.AddHours(-1) },
                new Core.Segments.SegmentMembershipChange { SegmentId = vip.Id, ProfileId = p2, Kind = Core.Segments.SegmentMembershipChangeKind.Realized, At = Now.AddDays(-3) },
                new Core.Segments.SegmentMembershipChange { SegmentId = vip.Id, ProfileId = p2, Kind = Core.Segments.SegmentMembershipChangeKind.Exited, At = Now.AddHours(-2) });
            await db.SaveChangesAsync();
        }

        await _snapshots.RefreshAsync();
        var view = await _snapshots.ViewAsync(IdentityStitching.Graph, 30);

        var audiences = view.Figures.Audiences;
        var segment = Assert.Single(audiences.Segments);
        Assert.Equal(("VIP", 2L, 1L, 1L), (segment.Name, segment.Members, segment.Entered24h, segment.Exited24h));
        Assert.Equal((3L, 1L), (audiences.LiveProfiles, audiences.Unsegmented)); // a3 is only in a disabled segment
        Assert.Equal([new UnsegmentedPoint(Now.Date, 1, 3)], view.Unsegmented);
        Assert.Contains(audiences.Overlap, c => c.A == segment.Id && c.B == segment.Id && c.Shared == 2);
    }

    private void Reset()
    {
        // A fresh instance: what the last one cached of the figures it stored must not carry into the next case.
        _snapshots = ActivatorUtilities.CreateInstance<DashboardSnapshots>(_studio.Services);
        foreach (var table in new[] { "IdentityLinks", "Identities", "ProfileAttributes", "ProfileEvents", "IdentityInsights", "Profiles", "UnificationCheckpoints", "RawMessages", "ProfileChanges", "NeverLinkRules", "DeletedProfiles", "SetAsideMessages", "DashboardDays", "DashboardSnapshots" })
        {
            Execute($"DELETE FROM {table}");
        }
        _feedPosition = 0;
    }

    private void Unify(List<Step> steps, bool consume = true)
    {
        if (steps.Count == 0)
        {
            return;
        }
        foreach (var step in steps)
        {
            var payload = new JsonObject { ["type"] = "identify" };
            if (step.UserId is not null) payload["userId"] = step.UserId;
            if (step.AnonymousId is not null) payload["anonymousId"] = step.AnonymousId;
            if (step.Email is not null) payload["traits"] = new JsonObject { ["email"] = step.Email };
            var at = Now.AddDays(step.Day).AddMinutes(-(_messageIds % 600));
            Execute("INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES (1, $id, 'identify', $r, $e, $p, 1)",
                ("$id", $"m{_messageIds++}"), ("$r", at), ("$e", at), ("$p", payload.ToJsonString()));
        }
        steps.Clear();
        using (var store = new SqliteUnificationStore(_connection))
        {
            while (store.ReadLake(store.ReadCheckpoint(), 1000) is { Count: > 0 } batch)
            {
                store.Apply(new UnificationEngine(store.RestoreGraph(IdentityRules.Default)).Process(batch), Now);
            }
        }
        if (consume)
        {
            Consume();
        }
    }

    /// <summary>The feed rows after the last position handed out; moves the position past them.</summary>
    private List<ProfileChange> FeedSince()
    {
        var rows = new List<ProfileChange>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT Id, ProfileId, Kinds, OtherProfileId FROM ProfileChanges WHERE Id > $p ORDER BY Id";
            command.Parameters.AddWithValue("$p", _feedPosition);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(new ProfileChange { Id = reader.GetInt64(0), ProfileId = reader.GetInt64(1), Kinds = (ProfileChangeKinds)reader.GetInt32(2), OtherProfileId = reader.IsDBNull(3) ? null : reader.GetInt64(3) });
            }
        }
        if (rows.Count > 0)
        {
            _feedPosition = rows[^1].Id;
        }
        return rows;
    }

    /// <summary>Hands the feed rows after the last position to the consumer, as the host does (in batches of a few rows).</summary>
    private void Consume()
    {
        var rows = FeedSince();
        var consumer = new DashboardConsumer(_snapshots);
        foreach (var chunk in rows.Chunk(3))
        {
            consumer.HandleAsync(chunk, CancellationToken.None).GetAwaiter().GetResult();
        }
        consumer.CatchingUp.GetAwaiter().GetResult(); // a catch-up refresh runs beside the consumer
    }

    private void Split(long profile)
    {
        var members = new List<IdentityKey>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT Namespace, Value FROM Identities WHERE ProfileId = $p ORDER BY Namespace, Value";
            command.Parameters.AddWithValue("$p", profile);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                members.Add(new IdentityKey(reader.GetString(0), reader.GetString(1)));
            }
        }
        if (members.Count < 2)
        {
            return;
        }
        foreach (var other in members.Skip(1))
        {
            Execute("INSERT INTO NeverLinkRules (NamespaceA, ValueA, NamespaceB, ValueB, CreatedAt, CreatedBy) VALUES ($a, $av, $b, $bv, $at, 'test')",
                ("$a", members[0].Namespace), ("$av", members[0].Value), ("$b", other.Namespace), ("$bv", other.Value), ("$at", Now));
        }
        using var reading = new SqliteConnection(_connection.ConnectionString);
        reading.Open();
        using var store = new SqliteUnificationStore(_connection);
        new SqliteComponentSplit(reading, store).Run(profile, IdentityRules.Default, store.ReadCheckpoint(), Now, members[0]);
    }

    private long? ProfileHolding(string identifier)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT ProfileId FROM Identities WHERE Value = $v LIMIT 1";
        command.Parameters.AddWithValue("$v", identifier);
        return command.ExecuteScalar() as long?;
    }

    /// <summary>The stitched history as "day offset:new:total" rows.</summary>
    private List<string> History() =>
        _snapshots.HistoryAsync(IdentityStitching.Graph).GetAwaiter().GetResult()
            .Select(d => $"{(d.Day - Now.Date).TotalDays}:{d.NewProfiles}:{d.TotalProfiles}").ToList();

    /// <summary>The history computed here, independently: live profiles by the day they were first seen, with running totals.</summary>
    private List<string> ExpectedHistory()
    {
        var days = new List<(DateTime Day, long Count)>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT CreatedAt FROM Profiles WHERE MergedIntoId IS NULL";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                days.Add((reader.GetDateTime(0).Date, 1));
            }
        }
        var total = 0L;
        return days.GroupBy(d => d.Day).OrderBy(g => g.Key).Select(g =>
        {
            total += g.LongCount();
            return $"{(g.Key - Now.Date).TotalDays}:{g.LongCount()}:{total}";
        }).ToList();
    }

    private void Execute(string sql, params (string, object)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _studio.DisposeAsync();
    }
}
