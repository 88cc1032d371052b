using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Identity;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Identity;

/// <summary>The messages that carried an identifier (the identity graph's click-through), on a real store.</summary>
public sealed class IdentityReaderTests
{
    /// <summary>
    /// Messages in one range: Ada's (user id "ada", her e-mail written in capitals, her phone in a local format) and, between them,
    /// Adam's, whose user id and e-mail start like hers and whose payload holds "ada" in other fields.
    /// </summary>
    internal static async Task<(IdentityRecord UserId, IdentityRecord Email, IdentityRecord Phone)> SeedAsync(StudioServices studio, int adasMessages)
    {
        var seed = new ProfileStoreSeed(studio.Services);
        var web = await seed.SourceAsync("Website");
        var ids = new List<long>();
        for (var i = 0; i < adasMessages; i++)
        {
            ids.Add(await seed.MessageAsync(web, new { type = "identify", userId = "ada", traits = new { email = "ADA@Example.com", phone = "07700 900123" } }, ProfileStoreSeed.T0.AddMinutes(i)));
            await seed.MessageAsync(web, new { type = "identify", userId = "adam", traits = new { email = "ada@example.com.au", note = "ada" } }, ProfileStoreSeed.T0.AddMinutes(i));
        }
        IdentityRecord Identity(string ns, string value) => new()
        {
            Namespace = ns, Value = value, ProfileId = 1, SourceId = web, FirstMessageId = ids[0], LastMessageId = ids[^1],
            FirstSeenAt = ProfileStoreSeed.T0, LastSeenAt = ProfileStoreSeed.T0,
        };
        return (Identity("user_id", "ada"), Identity("email", "ada@example.com"), Identity("phone", "+447700900123"));
    }

    [Fact]
    public async Task MessagesWith_PagedBelowTheLastOne_ReadEveryMessageOfTheIdentifierOnce_AndTheCountAgrees()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var (userId, email, phone) = await SeedAsync(studio, 45);
        var reader = studio.Services.GetRequiredService<IdentityReader>();

        foreach (var identity in new[] { userId, email, phone })
        {
            var pages = new List<IdentityMessagePage> { await reader.MessagesWithAsync(identity, null, 20) };
            while (pages[^1].Before is { } before)
            {
                pages.Add(await reader.MessagesWithAsync(identity, before, 20));
            }
            var ids = pages.SelectMany(p => p.Messages.Select(m => m.Id)).ToList();

            Assert.Equal([20, 20, 5], pages.Select(p => p.Messages.Count));
            Assert.Equal(45, ids.Distinct().Count());
            Assert.Equal(ids.OrderDescending(), ids); // newest first
            Assert.All(pages.SelectMany(p => p.Messages), m => Assert.Contains("\"userId\":\"ada\"", m.Payload));
            Assert.Equal(new IdentityMessageCount(45, Complete: true), await reader.CountMessagesWithAsync(identity));
        }
    }

    /// <summary>
    /// <paramref name="messages"/> messages of user id "ada" in one save (a bot's, or a shared device's id): the count of such an
    /// identifier read every one of them, a million in tens of seconds, and said nothing until it was done.
    /// </summary>
    internal static async Task<IdentityRecord> SeedManyAsync(StudioServices studio, int messages)
    {
        var web = await new ProfileStoreSeed(studio.Services).SourceAsync("Website");
        await using var db = await studio.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ProfileStudio.Core.Storage.ProfileStudioDbContext>>().CreateDbContextAsync();
        var rows = Enumerable.Range(0, messages).Select(i => new ProfileStudio.Core.Ingestion.RawMessage
        {
            SourceId = web, MessageId = $"m{i}", Type = "identify", ReceivedAt = ProfileStoreSeed.T0, EventAt = ProfileStoreSeed.T0.AddSeconds(i),
            Payload = """{"type":"identify","userId":"ada"}""", Status = ProfileStudio.Core.Ingestion.MessageStatus.Accepted,
        }).ToList();
        db.RawMessages.AddRange(rows);
        await db.SaveChangesAsync();
        return new IdentityRecord
        {
            Namespace = "user_id", Value = "ada", ProfileId = 1, SourceId = web, FirstMessageId = rows[0].Id, LastMessageId = rows[^1].Id,
            FirstSeenAt = ProfileStoreSeed.T0, LastSeenAt = ProfileStoreSeed.T0,
        };
    }

    [Fact]
    public async Task CountMessagesWith_MoreThanTenThousand_StopsPastTheCap_AndSaysMoreThanIt()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var identity = await SeedManyAsync(studio, IdentityReader.DefaultCountCap + 50);
        var reader = studio.Services.GetRequiredService<IdentityReader>();

        Assert.Equal(new IdentityMessageCount(10_000, Complete: false, MoreThan: true), await reader.CountMessagesWithAsync(identity));
    }

    [Fact]
    public async Task CountMessagesWith_ExactlyTheCap_CountsThemAll()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var (userId, _, _) = await SeedAsync(studio, 45);
        var reader = studio.Services.GetRequiredService<IdentityReader>();
        reader.CountCap = 45;

        Assert.Equal(new IdentityMessageCount(45, Complete: true), await reader.CountMessagesWithAsync(userId));
    }

    /// <summary>Ada's 45 messages lie among Adam's (90 in her range): the count reads the newest messages of a long range only.</summary>
    [Fact]
    public async Task CountMessagesWith_RangeLongerThanTheCountReads_CountsItsNewestMessages_AndSaysAtLeast()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var (userId, _, phone) = await SeedAsync(studio, 45);
        var reader = studio.Services.GetRequiredService<IdentityReader>();

        reader.CountSpan = 20; // lake messages of the range, whatever the pre-filter passes
        Assert.Equal(new IdentityMessageCount(10, Complete: false), await reader.CountMessagesWithAsync(userId));
        reader.CountSpan = IdentityReader.DefaultCountSpan;
        reader.CountParsed = 30; // a phone number's candidates are every message of its range
        Assert.Equal(new IdentityMessageCount(15, Complete: false), await reader.CountMessagesWithAsync(phone));
    }

    /// <summary>
    /// A phone number has every message of its range as a candidate: one in a thousand of a long range took a page read seconds to find
    /// 20. The read stops after the candidates it parses, with what it found, and the next one goes on below where it stopped.
    /// </summary>
    [Fact]
    public async Task MessagesWith_MoreCandidatesThanAPageParses_StopsWithWhatItFound_AndTheNextReadGoesOnBelow()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var (_, _, phone) = await SeedAsync(studio, 45);
        var reader = studio.Services.GetRequiredService<IdentityReader>();
        reader.PageParsed = 10; // Ada's 5 newest messages and Adam's 5 among them

        var pages = new List<IdentityMessagePage> { await reader.MessagesWithAsync(phone, null, 20) };
        while (pages[^1].Before is { } before)
        {
            pages.Add(await reader.MessagesWithAsync(phone, before, 20));
        }
        var ids = pages.SelectMany(p => p.Messages.Select(m => m.Id)).ToList();

        Assert.Equal(Enumerable.Repeat(5, 9), pages.Select(p => p.Messages.Count)); // 89 messages in her range, 10 a read
        Assert.All(pages[..^1], p => Assert.Equal(10, p.StoppedAfter));
        Assert.Null(pages[^1].StoppedAfter);
        Assert.Equal(45, ids.Distinct().Count());
        Assert.Equal(ids.OrderDescending(), ids);
    }

    [Fact]
    public async Task MessagesWith_NoneAmongTheCandidatesItParses_SaysWhereItStopped_NotThatNoneRemain()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var (_, _, phone) = await SeedAsync(studio, 45);
        var reader = studio.Services.GetRequiredService<IdentityReader>();
        reader.PageParsed = 1;

        var page = await reader.MessagesWithAsync(phone, phone.LastMessageId, 20); // below Ada's newest: Adam's

        Assert.Empty(page.Messages);
        Assert.Equal(phone.LastMessageId - 1, page.Before);
        Assert.Equal(1, page.StoppedAfter);
        Assert.Equal([phone.LastMessageId - 2], (await reader.MessagesWithAsync(phone, page.Before, 20)).Messages.Select(m => m.Id));
    }

    /// <summary>
    /// The tracking API stores "jürgen+crm" as j\u00FCrgen\u002Bcrm (System.Text.Json's default encoder); a CSV import keeps the
    /// characters as they are (relaxed escaping). The SQL pre-filter looked for the first spelling only: the CSV's messages were missing.
    /// </summary>
    [Fact]
    public async Task MessagesWith_FindTheIdentifierAsTheTrackingApiAndAsACsvImportStoreIt()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var seed = new ProfileStoreSeed(studio.Services);
        var source = await seed.SourceAsync("CRM");
        var fromApi = await seed.MessageAsync(source, new { type = "identify", userId = "jürgen+crm", traits = new { email = "o'brien+crm@example.com" } }, ProfileStoreSeed.T0);
        long fromCsv;
        await using (var db = await studio.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ProfileStudio.Core.Storage.ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            var relaxed = new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            var message = new ProfileStudio.Core.Ingestion.RawMessage
            {
                SourceId = source, MessageId = "csv-row-2", Type = "identify", ReceivedAt = ProfileStoreSeed.T0, EventAt = ProfileStoreSeed.T0.AddMinutes(1),
                Payload = System.Text.Json.JsonSerializer.Serialize(new { type = "identify", userId = "jürgen+crm", traits = new { email = "o'brien+crm@example.com" } }, relaxed),
                Status = ProfileStudio.Core.Ingestion.MessageStatus.Accepted,
            };
            Assert.Contains("jürgen+crm", message.Payload); // as a CSV import writes it
            db.RawMessages.Add(message);
            await db.SaveChangesAsync();
            fromCsv = message.Id;
        }
        var reader = studio.Services.GetRequiredService<IdentityReader>();

        foreach (var (ns, value) in new[] { ("user_id", "jürgen+crm"), ("email", "o'brien+crm@example.com") })
        {
            var identity = new IdentityRecord
            {
                Namespace = ns, Value = value, ProfileId = 1, SourceId = source, FirstMessageId = fromApi, LastMessageId = fromCsv,
                FirstSeenAt = ProfileStoreSeed.T0, LastSeenAt = ProfileStoreSeed.T0,
            };
            Assert.Equal([fromCsv, fromApi], (await reader.MessagesWithAsync(identity, null, 20)).Messages.Select(m => m.Id));
            Assert.Equal(new IdentityMessageCount(2, Complete: true), await reader.CountMessagesWithAsync(identity));
        }
    }

    [Fact]
    public async Task MessagesWith_AUserIdInOtherCapitals_IsAnotherIdentifier()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var (userId, _, _) = await SeedAsync(studio, 3);
        var reader = studio.Services.GetRequiredService<IdentityReader>();
        var capitals = new IdentityRecord
        {
            Namespace = "user_id", Value = "ADA", ProfileId = 2, SourceId = userId.SourceId,
            FirstMessageId = userId.FirstMessageId, LastMessageId = userId.LastMessageId,
        };

        Assert.Empty((await reader.MessagesWithAsync(capitals, null, 20)).Messages);
        Assert.Equal(new IdentityMessageCount(0, Complete: true), await reader.CountMessagesWithAsync(capitals));
    }
}
