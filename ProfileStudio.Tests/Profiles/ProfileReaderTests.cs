using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

/// <summary>The profile read side on real SQLite, with rows laid out as the unification worker writes them.</summary>
public sealed class ProfileReaderTests : IAsyncLifetime
{
    private static readonly DateTime T0 = ProfileStoreSeed.T0;
    private StudioServices _studio = null!;
    private ProfileReader _reader = null!;
    private long _webMessage;
    private long _crmMessage;

    public async Task InitializeAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        _reader = _studio.Services.GetRequiredService<ProfileReader>();
        var seed = new ProfileStoreSeed(_studio.Services);
        var web = await seed.SourceAsync("Web");
        var crm = await seed.SourceAsync("CRM");
        _webMessage = await seed.MessageAsync(web, new { type = "identify", userId = "ada", traits = new { email = "Ada@Example.com", name = "Ada" } }, T0, "web-1");
        _crmMessage = await seed.MessageAsync(crm, new { type = "identify", traits = new { crm_id = "c-1", phone = "07700 900123", name = "Ada Lovelace" } }, T0.AddHours(1), "crm-1");
        await seed.ProfileAsync(7, _webMessage, _crmMessage);
        await seed.ProfileAsync(3, _webMessage, _webMessage, mergedInto: 7);
        await seed.IdentityAsync(7, "user_id", "ada", web, _webMessage, _webMessage);
        await seed.IdentityAsync(7, "email", "ada@example.com", web, _webMessage, _webMessage);
        await seed.IdentityAsync(7, "crm_id", "c-1", crm, _crmMessage, _crmMessage);
        await seed.IdentityAsync(7, "phone", "+447700900123", crm, _crmMessage, _crmMessage);
        await seed.AttributeAsync(7, web, "name", "\"Ada\"", T0, _webMessage);
        await seed.AttributeAsync(7, web, "email", "\"Ada@Example.com\"", T0, _webMessage);
        await seed.AttributeAsync(7, crm, "name", "\"Ada Lovelace\"", T0.AddHours(1), _crmMessage);
        // 25 events over three days: 10 on day one, 10 on day two, 5 on day three.
        await seed.EventsAsync(7, web, Enumerable.Range(0, 25).Select(i =>
            (i % 5 == 0 ? "page" : "track", i % 2 == 0 ? "Viewed" : "Bought", T0.AddDays(i / 10).AddMinutes(i))), _webMessage);
    }

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    [Theory]
    [InlineData("email:ADA@example.com ")]
    [InlineData("phone:+44 (0)7700 900-123")]
    [InlineData("phone:07700900123")]
    [InlineData("user_id:ada")]
    [InlineData("crm_id: c-1")]
    [InlineData("profile_id:7")]
    [InlineData("profile_id:3")]
    public async Task FindAsync_AnyIdentifierNormalizedOrAnyIdIncludingMerged_FindsTheLiveProfile(string search)
    {
        var found = await _reader.FindAsync(search);

        Assert.True(found.Found, found.Problem);
        Assert.Equal(7, found.ProfileId);
    }

    [Fact]
    public async Task FindAsync_ByIdentifier_ReturnsTheNormalizedIdentityLookedUp()
    {
        var found = await _reader.FindAsync("phone:07700 900123");

        Assert.Equal(new IdentityKey("phone", "+447700900123"), found.Identity);
        Assert.Null((await _reader.FindAsync("profile_id:7")).Identity);
    }

    [Theory]
    [InlineData("ada@example.com", "namespace:value")]
    [InlineData("shoe_size:42", "There is no namespace \"shoe_size\"")]
    [InlineData("phone:not a number", "not a phone number")]
    [InlineData("profile_id:abc", "not a profile id")]
    [InlineData("email:", "Give a value")]
    public async Task FindAsync_MalformedIdentifier_IsInvalidWithAReason(string search, string reason)
    {
        var found = await _reader.FindAsync(search);

        Assert.Equal(ProfileLookupFailure.InvalidIdentifier, found.Failure);
        Assert.Contains(reason, found.Problem);
    }

    [Theory]
    [InlineData("email:nobody@example.com")]
    [InlineData("profile_id:999")]
    public async Task FindAsync_UnknownIdentifierOrId_IsNotFound(string search)
    {
        var found = await _reader.FindAsync(search);

        Assert.Equal(ProfileLookupFailure.NotFound, found.Failure);
        Assert.Equal("Profile was not found.", found.Problem);
    }

    [Fact]
    public async Task TraitsAsync_TimestampPolicyWithStitching_TheNewestValueWinsWithItsSourceInTheLineage()
    {
        var view = await _reader.TraitsAsync(7, new MergePolicy { Name = "Most recent" });

        Assert.NotNull(view);
        Assert.Equal("Ada Lovelace", view.Values["name"].GetString());
        Assert.Equal("CRM", view.Lineage("name")!.Winner!.SourceName);
        Assert.Equal("Ada", Assert.Single(view.Lineage("name")!.Losers).Fragment.ValueJson!.Trim('"'));
    }

    [Fact]
    public async Task TraitsAsync_NoStitching_ReadsOnlyTheMessagesThatCarriedTheIdentityLookedUp()
    {
        var policy = new MergePolicy { Name = "Own data", Stitching = IdentityStitching.None };

        var byUser = await _reader.TraitsAsync(7, policy, new IdentityKey("user_id", "ada"));
        var byPhone = await _reader.TraitsAsync(7, policy, new IdentityKey("phone", "+447700900123"));
        var byId = await _reader.TraitsAsync(7, policy); // the primary identity: user_id (priority 1)

        Assert.Equal("Ada", byUser!.Values["name"].GetString());
        Assert.Equal(LossReason.OutsideIdentity, Assert.Single(byUser.Lineage("name")!.Losers).Reason);
        Assert.Equal("Ada Lovelace", byPhone!.Values["name"].GetString());
        Assert.False(byPhone.Values.ContainsKey("email"));
        Assert.Equal("Ada", byId!.Values["name"].GetString());
    }

    [Fact]
    public async Task TraitsAsync_MissingOrMergedProfile_IsNull()
    {
        Assert.Null(await _reader.TraitsAsync(999, new MergePolicy { Name = "p" }));
        Assert.Null(await _reader.TraitsAsync(3, new MergePolicy { Name = "p" }));
    }

    [Fact]
    public async Task IdentitiesAsync_ByNamespacePriority_WithSourceAndTheClientMessageId()
    {
        var identities = await _reader.IdentitiesAsync(7);

        Assert.Equal(["user_id:ada", "crm_id:c-1", "email:ada@example.com", "phone:+447700900123"], identities.Select(i => i.Key.ToString()).ToList());
        var crm = identities[1];
        Assert.Equal(("CRM", _crmMessage, "crm-1"), (crm.SourceName, crm.FirstMessageId, crm.FirstClientMessageId));
    }

    [Fact]
    public async Task EventsAsync_PagedNewestFirst_VisitsEveryEventOnceInOrder()
    {
        var seen = new List<ProfileEvent>();
        var query = new EventQuery { Limit = 10 };
        var pages = 0;
        while (true)
        {
            var page = await _reader.EventsAsync(7, query);
            pages++;
            seen.AddRange(page.Events);
            if (page.Next is not { } next)
            {
                break;
            }
            query = query with { After = next };
        }

        Assert.Equal(3, pages);
        Assert.Equal(25, seen.Select(e => e.Id).Distinct().Count());
        Assert.Equal(seen.OrderByDescending(e => e.EventAt).ThenByDescending(e => e.Id).Select(e => e.Id), seen.Select(e => e.Id));
    }

    [Fact]
    public async Task EventsAsync_AscendingWithCursorOnTies_NoEventSkippedOrRepeated()
    {
        var seed = new ProfileStoreSeed(_studio.Services);
        var web = await seed.SourceAsync("Web");
        await seed.ProfileAsync(8, _webMessage, _webMessage);
        await seed.EventsAsync(8, web, Enumerable.Range(0, 7).Select(_ => ("track", "Same time", T0)));

        var first = await _reader.EventsAsync(8, new EventQuery { Limit = 3, Ascending = true });
        var second = await _reader.EventsAsync(8, new EventQuery { Limit = 3, Ascending = true, After = first.Next });
        var third = await _reader.EventsAsync(8, new EventQuery { Limit = 3, Ascending = true, After = second.Next });

        var ids = first.Events.Concat(second.Events).Concat(third.Events).Select(e => e.Id).ToList();
        Assert.Equal(ids.Order().ToList(), ids);
        Assert.Equal(7, ids.Distinct().Count());
        Assert.False(third.HasMore);
    }

    [Fact]
    public async Task EventsAsync_Filters_NamesTypesAndTimeRange()
    {
        var bought = await _reader.EventsAsync(7, new EventQuery { IncludeNames = ["Bought"], Limit = 200 });
        var notBought = await _reader.EventsAsync(7, new EventQuery { ExcludeNames = ["Bought"], Limit = 200 });
        var pages = await _reader.EventsAsync(7, new EventQuery { Types = ["page"], Limit = 200 });
        var dayTwo = await _reader.EventsAsync(7, new EventQuery { Start = T0.AddDays(1).Date, End = T0.AddDays(2).Date, Limit = 200 });

        Assert.Equal(12, bought.Events.Count);
        Assert.All(bought.Events, e => Assert.Equal("Bought", e.Name));
        Assert.Equal(13, notBought.Events.Count);
        Assert.Equal(5, pages.Events.Count);
        Assert.Equal(10, dayTwo.Events.Count);
        Assert.All(dayTwo.Events, e => Assert.Equal(T0.AddDays(1).Date, e.EventAt.Date));
    }

    [Fact]
    public void EventCursor_EncodeThenDecode_RoundTrips_AndGarbageIsRefused()
    {
        var cursor = new EventCursor(T0.AddTicks(12345), 42);
        var ascending = new EventCursor(T0.AddTicks(12345), 42, Ascending: true);

        Assert.True(EventCursor.TryDecode(cursor.Encode(), out var decoded));
        Assert.Equal(cursor, decoded);
        Assert.True(EventCursor.TryDecode(ascending.Encode(), out var decodedAscending));
        Assert.Equal(ascending, decodedAscending);
        Assert.NotEqual(cursor.Encode(), ascending.Encode());
        Assert.False(EventCursor.TryDecode("not a cursor!", out _));
        Assert.False(EventCursor.TryDecode("", out _));
        // Made before cursors held their sort: which way it went is unknown.
        Assert.False(EventCursor.TryDecode(System.Buffers.Text.Base64Url.EncodeToString("638000000000000000.42"u8), out _));
    }

    [Fact]
    public async Task EventsAsync_ACursorReadInTheOtherOrder_IsRefused()
    {
        var newestFirst = await _reader.EventsAsync(7, new EventQuery { Limit = 3 });

        await Assert.ThrowsAsync<ArgumentException>(() => _reader.EventsAsync(7, new EventQuery { Limit = 3, Ascending = true, After = newestFirst.Next }));
    }

    [Fact]
    public async Task MetadataAsync_CreatedUpdatedAndFirstAndLastMessageWithSources()
    {
        var metadata = await _reader.MetadataAsync(7);

        Assert.NotNull(metadata);
        Assert.Equal((T0, T0.AddHours(1)), (metadata.CreatedAt, metadata.UpdatedAt));
        Assert.Equal(("web-1", "Web"), (metadata.FirstMessage!.MessageId, metadata.FirstMessage.SourceName));
        Assert.Equal(("crm-1", "CRM"), (metadata.LastMessage!.MessageId, metadata.LastMessage.SourceName));
        Assert.Equal((4, 25L), (metadata.Identities, metadata.Events));
        Assert.Null(await _reader.MetadataAsync(999));
    }

    [Fact]
    public async Task ActivityAsync_CountsEventsPerDay()
    {
        var activity = await _reader.ActivityAsync(7);

        Assert.Equal(
            [new ActivityDay(DateOnly.FromDateTime(T0), 10), new ActivityDay(DateOnly.FromDateTime(T0.AddDays(1)), 10), new ActivityDay(DateOnly.FromDateTime(T0.AddDays(2)), 5)],
            activity);
    }
}
