using System.Net;
using System.Net.Http.Json;
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

    [Fact]
    public async Task Erase_AlsoRemovesTheRejectedMessagesHoldingThePersonsIdentifiers_AsTheyWereSpelled()
    {
        // Rejected messages are linked to no profile: an erase left a refused track call, a malformed body and a broken
        // file line with the person's ids in the lake, and the batch's rejected-rows report still gave the line back.
        var tag = Guid.NewGuid().ToString("N")[..10];
        var userId = $"u-{tag}";
        var phone = $"07779 {Random.Shared.Next(100_000, 999_999)}";
        var email = $"Ada.{tag}@Example.com";
        var marker = $"REJ-{Guid.NewGuid():N}";
        var keep = $"KEEP-{Guid.NewGuid():N}";
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "identify", messageId = $"ok-{tag}", userId, timestamp = T, traits = new { phone, email } });
        await PostBatchAsync(
            new { type = "track", messageId = $"r1-{tag}", userId, properties = new { note = marker + "-1" } }, // no event: rejected
            new { type = "track", messageId = $"r2-{tag}", anonymousId = "someone", @event = 12, properties = new { contact = phone, note = marker + "-2" } },
            new { type = "track", messageId = $"r3-{tag}", anonymousId = "someone", properties = new { contact = email.ToUpperInvariant(), note = marker + "-3" } },
            // Another person whose id starts like this one's: their rejected message stays.
            new { type = "track", messageId = $"r4-{tag}", userId = userId + "2", properties = new { note = keep } });
        await factory.UnifiedAsync();
        Assert.True(Holds(DatabaseFile, marker) || Holds(DatabaseFile + "-wal", marker), "the rejected messages should be stored before the erase");

        using var deleter = factory.Client(ProfileApiAppFactory.DeleterToken);
        using var response = await deleter.DeleteAsync($"/api/v1/profiles/user_id:{userId}?erase=true");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Holds(DatabaseFile, marker), "a rejected message of the person is still in the database file");
        Assert.False(Holds(DatabaseFile + "-wal", marker), "a rejected message of the person is still in the write-ahead log");
        await using var db = await factory.DbAsync();
        Assert.True(await db.RawMessages.AnyAsync(m => m.Payload.Contains(keep)));
    }

    [Theory]
    [InlineData("note u-1 here", "u-1", true)]
    [InlineData("\"u-12\"", "u-1", false)]
    [InlineData("xu-1", "u-1", false)]
    [InlineData("ADA@EXAMPLE.COM,", "ada@example.com", true)]
    [InlineData("+447779672805", "+447779672805", true)]
    [InlineData("1+447779672805", "+447779672805", true)] // a needle starting with a symbol has no word to be inside of
    public void ContainsWhole_FindsTheIdentifierNotInsideALongerOne(string text, string needle, bool expected) =>
        Assert.Equal(expected, ProfileStudio.Core.Storage.Sqlite.SqliteProfileDeletion.ContainsWhole(text, needle));

    [Theory]
    // A rejected NDJSON line is kept as one JSON string whose quotes are stored as \u0022: the "2" before the id hid it.
    [InlineData("{\"row\":\"{\\u0022type\\u0022:\\u0022track\\u0022,\\u0022userId\\u0022:\\u0022uid-X\\u0022}\"}", true)]
    // A malformed body whose client spelled the id with escapes.
    [InlineData("{\"row\":\"{\\\"userId\\\":\\\"\\\\u0075\\\\u0069\\\\u0064-X\\\" broken\"}", true)]
    [InlineData("{\"userId\":\"uid-X2\"}", false)]
    [InlineData("not json at all: uid-X,", true)]
    public void RejectedPayload_DecodedForTheSearch_FindsTheIdHoweverItIsEscaped(string payload, bool holds) =>
        Assert.Equal(holds, ProfileStudio.Core.Storage.Sqlite.SqliteProfileDeletion.ContainsWhole(ProfileStudio.Core.Storage.Sqlite.SqliteProfileDeletion.DecodedText(payload), "uid-X"));

    private async Task PostBatchAsync(params object[] messages)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(ProfileApiAppFactory.WebKey + ":")));
        using var response = await client.PostAsJsonAsync("/v1/batch", new { batch = messages });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
