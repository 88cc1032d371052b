using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Hosting;

/// <summary>The lag figures behind the metrics' gauges, on real SQLite: what they count, and that scrapes share one read per period.</summary>
public sealed class PipelineLagTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 12, 0, 0, TimeSpan.Zero);

    private static async Task AddLakeAsync(IServiceProvider services, params DateTime[] receivedAt)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        var source = await db.Sources.Select(s => s.Id).FirstAsync();
        foreach (var at in receivedAt)
        {
            db.RawMessages.Add(new RawMessage { SourceId = source, MessageId = Guid.NewGuid().ToString(), Type = "track", ReceivedAt = at, EventAt = at, Payload = "{}", Status = MessageStatus.Accepted });
        }
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Current_CountsWhatIsBehind_AndReadsAgainOnlyAfterMaxAge()
    {
        var clock = new FakeTimeProvider(Start);
        await using var studio = await StudioServices.StartAsync(withAccounts: false, time: clock);
        var services = studio.Services;
        await using (var db = await services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            db.Sources.Add(new Core.Sources.Source { Name = "Web", WriteKeyHash = "lag-test", WriteKeyHint = "wk_…0001", CreatedAt = Start.UtcDateTime });
            await db.SaveChangesAsync();
        }
        var now = Start.UtcDateTime;
        await AddLakeAsync(services, now.AddSeconds(-90), now.AddSeconds(-60), now.AddSeconds(-30), now.AddSeconds(-10));
        await using (var db = await services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            db.UnificationCheckpoints.Add(new UnificationCheckpoint { Id = 1, LastMessageId = 1, UpdatedAt = now });
            db.SetAsideMessages.Add(new SetAsideMessage { MessageId = 2, SetAsideAt = now, Reason = "unreadable" }); // behind the checkpoint's back
            for (var i = 0; i < 5; i++)
            {
                db.ProfileChanges.Add(new ProfileChange { At = now.AddSeconds(-20 + i), ProfileId = i + 1, Kinds = ProfileChangeKinds.Attributes });
            }
            db.ChangeFeedCheckpoints.Add(new ChangeFeedCheckpoint { Consumer = "studio-pages", Position = 2, UpdatedAt = now });
            await db.SaveChangesAsync();
        }
        var lag = services.GetRequiredService<PipelineLag>();

        var first = lag.Current;

        Assert.Equal((4L, 1L, 3L, 1L), (first.LakeEnd, first.Checkpoint, first.MessagesBehind, first.SetAsideMessages));
        Assert.Equal(30, first.OldestPendingAgeSeconds); // message 3: message 2 is set aside, not waiting
        var consumer = first.Consumers.Single(c => c.Consumer == "studio-pages"); // every registered consumer is listed (schema-catalog too)
        Assert.Equal(("studio-pages", 3L, 18.0), (consumer.Consumer, consumer.RowsBehind, consumer.OldestUnreadAgeSeconds));

        await AddLakeAsync(services, now);
        clock.Advance(PipelineLag.MaxAge - TimeSpan.FromMilliseconds(1));
        Assert.Same(first, lag.Current); // within the period: no read

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var second = lag.Current;
        Assert.Equal((5L, 4L), (second.LakeEnd, second.MessagesBehind));
        Assert.Equal(32, second.OldestPendingAgeSeconds);
    }

    [Fact]
    public async Task Current_EmptyStore_IsAllZero()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false, time: new FakeTimeProvider(Start));

        var empty = studio.Services.GetRequiredService<PipelineLag>().Current;

        Assert.Equal((0L, 0L, 0.0, 0L), (empty.LakeEnd, empty.MessagesBehind, empty.OldestPendingAgeSeconds, empty.SetAsideMessages));
        Assert.All(empty.Consumers, c => Assert.Equal(0, c.RowsBehind));
    }
}
