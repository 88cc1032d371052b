using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using static ProfileStudio.Tests.Segments.SegmentHarness;

namespace ProfileStudio.Tests.Segments;

/// <summary>
/// Memberships in the segments' own file (<see cref="SqliteConsumerTables.Segments"/>): unification never waits for their
/// writes, and the feed rows and member counts those writes make reach the store through the outbox.
/// </summary>
public sealed class SegmentsFileTests
{
    [Fact]
    public async Task AUnificationRun_GoesOn_WhileASegmentsWriteHoldsItsFile_AndTheMembershipFollowsOnceItEnds()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        await using (var probe = await OpenAttachedAsync(h))
        {
            Assert.True(SqliteConsumerTables.Segments.InOwnFile(probe));
        }

        // A segments writer in the middle of a long write: it holds its file's write lock.
        await using var writer = await OpenAttachedAsync(h);
        var holding = SqliteConsumerTables.Segments.BeginWrite(writer);
        using (var take = writer.CreateCommand())
        {
            take.Transaction = holding;
            take.CommandText = "INSERT INTO SegmentClockChecks (ProfileId, SegmentId, DueAt) VALUES (999999, 1, '2030-01-01 00:00:00')";
            take.ExecuteNonQuery();
        }

        h.Send("u1", null, "Order Completed", new JsonObject { ["amount"] = 20 });
        // In the store's file the run waited for that lock (up to the 30 s busy timeout); in their own file it does not.
        var run = Task.Run(() => h.Unify());
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))));
        await run;

        holding.Rollback();
        await h.ConsumeAsync();
        Assert.Equal([await h.ProfileOfAsync("user_id", "u1")], await h.MembersAsync(buyers.Id));
    }

    [Fact]
    public async Task FeedRowsLeftInTheOutbox_ReachTheFeedInOrder_Once_AndTheMemberCountFollowsTheLastDailySize()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        long before;
        await using (var db = await h.DbAsync())
        {
            before = await db.ProfileChanges.MaxAsync(c => (long?)c.Id) ?? 0;
        }

        // What a stop between a membership write and its relay leaves behind: rows in the outbox, a size the count does not have yet.
        await using (var connection = await OpenAttachedAsync(h))
        using (var left = connection.CreateCommand())
        {
            left.CommandText = $"""
                INSERT INTO SegmentFeedOutbox (At, ProfileId, Kinds) VALUES ('2026-06-15 10:00:00', 41, {(int)ProfileChangeKinds.Segments});
                INSERT INTO SegmentFeedOutbox (At, ProfileId, Kinds) VALUES ('2026-06-15 10:00:01', 40, {(int)(ProfileChangeKinds.Segments | ProfileChangeKinds.ReferrersEvaluated)});
                INSERT INTO SegmentDailySizes (SegmentId, Day, Size, Entered, Exited) VALUES ({buyers.Id}, '2026-06-15 00:00:00', 2, 2, 0);
                """;
            left.ExecuteNonQuery();
        }
        var relay = h.Services.GetRequiredService<SegmentMembershipWriter>().Relay;

        Assert.Equal(2, await relay.RelayAsync());
        Assert.Equal(0, await relay.RelayAsync()); // copied once: the outbox is empty now

        await using var after = await h.DbAsync();
        var rows = await after.ProfileChanges.Where(c => c.Id > before).OrderBy(c => c.Id).Select(c => new { c.ProfileId, c.Kinds }).ToListAsync();
        Assert.Equal([new { ProfileId = 41L, Kinds = ProfileChangeKinds.Segments }, new { ProfileId = 40L, Kinds = ProfileChangeKinds.Segments | ProfileChangeKinds.ReferrersEvaluated }], rows);
        Assert.Empty(await after.SegmentFeedOutbox.ToListAsync());
        Assert.Equal(2, (await h.Store.GetAsync(buyers.Id))!.Segment.MemberCount);
    }

    [Fact]
    public async Task AWriteDatedBeforeTheLastDaysSize_CountsOnThatDay_SoTheMemberCountMissesNothing()
    {
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Buyers", All(Performed("c1", "Order Completed")));
        var writer = h.Services.GetRequiredService<SegmentMembershipWriter>();
        var today = h.Now;

        await writer.ApplyAsync([new SegmentOutcome(buyers.Id, 1001, true, null)], [], today);
        // A write that read its time just before midnight and lands after today's (a disable racing a streaming write, a clock stepped back).
        await writer.ApplyAsync([new SegmentOutcome(buyers.Id, 1002, true, null)], [], today.AddDays(-1));
        await h.RelayedAsync();

        Assert.Equal(2, (await h.Store.GetAsync(buyers.Id))!.Segment.MemberCount);
        var last = (await h.Store.SizeHistoryAsync(buyers.Id)).Last();
        Assert.Equal((today.Date, 2L, 2L), (last.Day, last.Size, last.Entered));
    }

    [Fact]
    public async Task ARebuildSwappedIn_EndsTheOldIdsMemberships_AtOnce_NotWhenTheConsumerReadsIt()
    {
        // A rebuild numbers profiles afresh: a membership left under an old id would name someone else until the consumer ran.
        await using var h = await SegmentHarness.StartAsync();
        var buyers = await h.ActivateAsync("Recent buyers", All(Performed("c1", "Order Completed", lastDays: 30)));
        h.Send("u1", null, "Order Completed");
        await h.SyncAsync();
        Assert.Single(await h.MembersAsync(buyers.Id));

        // What the unification worker calls right after the swap.
        var followers = h.Services.GetServices<IRebuildFollower>().ToList();
        Assert.Contains(followers, f => f is SegmentMembershipWriter);
        foreach (var follower in followers)
        {
            await follower.SwappedInAsync(h.Now, CancellationToken.None);
        }
        await h.RelayedAsync();

        Assert.Empty(await h.MembersAsync(buyers.Id));
        await using var db = await h.DbAsync();
        Assert.Empty(await db.SegmentClockChecks.ToListAsync());
        Assert.Equal(0, (await h.Store.GetAsync(buyers.Id))!.Segment.MemberCount);
    }

    private static async Task<SqliteConnection> OpenAttachedAsync(SegmentHarness h) =>
        await SqliteConsumerTables.OpenAsync(h.Connection.ConnectionString);
}
