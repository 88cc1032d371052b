using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ChangeFeed;

/// <summary>
/// At least once across a real crash: a consumer whose process is killed (SIGKILL, no shutdown) while
/// it works through the feed resumes, in a new host, from the position the first process saved; what
/// the two handled together is every row of the feed.
/// </summary>
public sealed class ChangeFeedKillTests
{
    private const int Rows = 3_000;

    [Fact]
    public async Task Consumer_KilledMidFeed_ResumesFromItsSavedPositionAndMissesNothing()
    {
        await using var ports = new StoragePorts();
        var dataDirectory = ports.DataDirectory;
        var handledFile = Path.Combine(dataDirectory, "handled.txt");
        List<long> feed;
        await using (var db = ports.Db())
        {
            var at = new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);
            db.ProfileChanges.AddRange(Enumerable.Range(1, Rows).Select(i => new ProfileChange { At = at, ProfileId = i, Kinds = ProfileChangeKinds.Attributes }));
            await db.SaveChangesAsync();
            feed = await db.ProfileChanges.OrderBy(c => c.Id).Select(c => c.Id).ToListAsync();
        }

        // The first process handles rows (50 a batch, 40 ms each, 3,000 rows: seconds of work) and is killed once it has saved a position.
        using (var child = ChildProcess.Start(ChildProcess.FeedConsumerRole, dataDirectory, handledFile))
        {
            try
            {
                await Poll.UntilAsync(() => SavedPositionAsync(ports), p => p >= 100, "the child to save a position", TimeSpan.FromSeconds(120));
            }
            finally
            {
                child.Kill(); // SIGKILL on Linux: no shutdown, no final save
                await child.WaitForExitAsync();
            }
        }
        var saved = await SavedPositionAsync(ports);
        var handledBefore = ReadHandled(handledFile);
        Assert.True(handledBefore.Count < Rows, $"the child handled all {Rows} rows before it was killed: nothing left to resume");
        Assert.True(saved <= handledBefore.Max(), $"the saved position {saved} is ahead of what the child handled ({handledBefore.Max()})");

        // A new host resumes the same consumer from the saved position.
        var resumed = new MemoryRecordingConsumer();
        using (var host = ChildProcess.FeedConsumerHost(dataDirectory, resumed))
        {
            await host.StartAsync();
            await Poll.UntilAsync(() => Task.FromResult(resumed.Seen.LastOrDefault()), last => last == feed[^1], "the resumed consumer to reach the end of the feed", TimeSpan.FromSeconds(120));
            await host.StopAsync();
        }

        Assert.Equal(saved + 1, resumed.Seen.First());
        var missed = feed.Except(handledBefore).Except(resumed.Seen).ToList();
        Assert.True(missed.Count == 0, $"{missed.Count} rows were never handled, e.g. {string.Join(", ", missed.Take(5))}");
    }

    private static async Task<long> SavedPositionAsync(StoragePorts ports)
    {
        await using var db = ports.Db();
        return await db.ChangeFeedCheckpoints.Where(c => c.Consumer == ChildProcess.ConsumerName).Select(c => (long?)c.Position).FirstOrDefaultAsync() ?? 0;
    }

    /// <summary>The ids the child wrote; a line the kill cut short is not counted (its rows were not handled to the end).</summary>
    private static HashSet<long> ReadHandled(string path)
    {
        var text = File.ReadAllText(path);
        var complete = text[..(text.LastIndexOf('\n') + 1)];
        return complete.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToHashSet();
    }

    private sealed class MemoryRecordingConsumer : IChangeFeedConsumer
    {
        public ConcurrentQueue<long> Seen { get; } = new();
        public string Name => ChildProcess.ConsumerName;
        public string Description => "records handled rows in memory";
        public bool StartsAtEnd => false;

        public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
        {
            foreach (var change in changes)
            {
                Seen.Enqueue(change.Id);
            }
            return Task.CompletedTask;
        }
    }
}
