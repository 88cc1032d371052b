using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

/// <summary>
/// After a privacy erase the person's values cannot be recovered from the database files either: deleted
/// rows are overwritten (SQLite secure_delete), and the write-ahead log that still held the old pages is
/// checkpointed and truncated; pages freed earlier (a rebuild's old tables) are overwritten too.
/// </summary>
public sealed class ErasureTests(ProfileApiAppFactory factory) : IClassFixture<ProfileApiAppFactory>
{
    private static readonly DateTime T = new(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc);

    private string DatabaseFile => Path.Combine(factory.DataDirectory, SqliteDatabase.FileName);

    private static bool Holds(string path, string marker)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        // Read while SQLite has the file open, as anyone with access to the disk could.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Erase_ProfileWithAUniqueValue_LeavesItNowhereInTheDatabaseFiles(bool changesOneByOneThenRebuild)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var marker = $"MARKER-{Guid.NewGuid():N}";
        var keep = $"KEEP-{Guid.NewGuid():N}";
        var userId = $"u-{tag}";
        // The value changes several times (rows rewritten, pages split) before the erase, as real data does.
        for (var i = 0; i < 5; i++)
        {
            await factory.SendAsync(ProfileApiAppFactory.WebKey,
                new { type = "identify", messageId = $"web-{tag}-{i}", userId, timestamp = T.AddMinutes(i), traits = new { email = $"{tag}@example.com", nickname = $"{marker}-{new string('n', changesOneByOneThenRebuild ? 300 * i : 0)}", bio = new string('x', 200 * i) } },
                new { type = "track", messageId = $"web-{tag}-t{i}", userId, @event = "Viewed", timestamp = T.AddMinutes(i), properties = new { note = marker } });
            if (changesOneByOneThenRebuild)
            {
                await factory.UnifiedAsync(); // each change written on its own: the profile's rows are rewritten
            }
        }
        await factory.SendAsync(ProfileApiAppFactory.CrmKey,
            new { type = "identify", messageId = $"crm-other-{tag}", userId = $"other-{tag}", timestamp = T, traits = new { nickname = keep } });
        await factory.UnifiedAsync();
        if (changesOneByOneThenRebuild)
        {
            // A rebuild swaps in new profile tables: the old ones' pages, the value in them, go to the free list.
            var jobs = factory.Services.GetRequiredService<UnificationJobs>();
            var rebuild = await jobs.RequestRebuildAsync(AuditActor.System, "test");
            await Poll.UntilAsync(() => jobs.FindAsync(rebuild.Id), j => j?.Status is UnificationJobStatus.Succeeded or UnificationJobStatus.Failed, "the rebuild");
        }
        Assert.True(Holds(DatabaseFile, marker) || Holds(DatabaseFile + "-wal", marker), "the marker should be stored before the erase");

        using var deleter = factory.Client(ProfileApiAppFactory.DeleterToken);
        using var response = await deleter.DeleteAsync($"/api/v1/profiles/user_id:{userId}?erase=true");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Holds(DatabaseFile, marker), "the erased value is still in the database file");
        Assert.False(Holds(DatabaseFile + "-wal", marker), "the erased value is still in the write-ahead log");
        // The rest of the data is untouched.
        await using var db = await factory.DbAsync();
        Assert.True(await db.RawMessages.AnyAsync(m => m.Payload.Contains(keep)));
    }
}
