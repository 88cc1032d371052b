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
            Assert.Equal(45, await reader.CountMessagesWithAsync(identity));
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
        Assert.Equal(0, await reader.CountMessagesWithAsync(capitals));
    }
}
