using System.Net;
using System.Text.Json;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.MergePolicies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

/// <summary>
/// The Profile API end to end: profiles made by tracking messages through the Tracking API and the
/// unification worker, read and deleted over HTTP with API tokens, on real SQLite. Each test makes
/// its own person, so the tests share one app.
/// </summary>
public sealed class ProfileApiEndpointsTests(ProfileApiAppFactory factory) : IClassFixture<ProfileApiAppFactory>
{
    private static readonly DateTime T = new(2026, 3, 1, 9, 0, 0, DateTimeKind.Utc);

    private sealed record Person(string UserId, string Email, string Tag)
    {
        public string Path => $"/api/v1/profiles/user_id:{UserId}";
    }

    /// <summary>Web says name Ada, plan free (09:00); the CRM says Ada Lovelace, plan pro (10:00). Three events.</summary>
    private async Task<Person> SeedAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var person = new Person($"u-{tag}", $"ada.{tag}@example.com", tag);
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "identify", messageId = $"web-{tag}-1", userId = person.UserId, timestamp = T, traits = new { email = person.Email, name = "Ada", plan = "free", address = new { city = "London" } } },
            new { type = "track", messageId = $"web-{tag}-2", userId = person.UserId, @event = "Viewed", timestamp = T.AddMinutes(1), properties = new { page = "/a" } },
            new { type = "track", messageId = $"web-{tag}-3", userId = person.UserId, @event = "Bought", timestamp = T.AddMinutes(2), properties = new { total = 12.5 } },
            new { type = "track", messageId = $"web-{tag}-4", userId = person.UserId, @event = "Viewed", timestamp = T.AddMinutes(3) });
        await factory.SendAsync(ProfileApiAppFactory.CrmKey,
            new { type = "identify", messageId = $"crm-{tag}-1", userId = person.UserId, timestamp = T.AddHours(1), traits = new { name = "Ada Lovelace", plan = "pro" } });
        await factory.UnifiedAsync();
        return person;
    }

    private async Task<JsonElement> GetOkAsync(string url, string token = ProfileApiAppFactory.ReaderToken)
    {
        using var client = factory.Client(token);
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
        Assert.True(response.Headers.Contains("Request-Id"));
        return await ApiResponses.JsonAsync(response);
    }

    private async Task<string> GetErrorAsync(string url, HttpStatusCode status, string code, string? token = ProfileApiAppFactory.ReaderToken)
    {
        using var client = factory.Client(token);
        using var response = await client.GetAsync(url);
        Assert.True(response.Headers.Contains("Request-Id"));
        return await ApiResponses.ErrorAsync(response, status, code);
    }

    [Fact]
    public async Task Traits_ByAnEmailTypedDifferently_TheUnifiedTraitsNewestWinning()
    {
        var person = await SeedAsync();

        var body = await GetOkAsync($"/api/v1/profiles/email:{Uri.EscapeDataString(" ADA." + person.Tag + "@Example.COM")}/traits");

        var traits = body.GetProperty("traits");
        Assert.Equal("Ada Lovelace", traits.GetProperty("name").GetString());
        Assert.Equal("pro", traits.GetProperty("plan").GetString());
        Assert.Equal("London", traits.GetProperty("address").GetProperty("city").GetString());
        Assert.False(body.GetProperty("cursor").GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task Traits_LimitAndCursor_PagesThroughTraitsInKeyOrder()
    {
        var person = await SeedAsync();

        var first = await GetOkAsync($"{person.Path}/traits?limit=2");
        var cursor = first.GetProperty("cursor");
        var second = await GetOkAsync(cursor.GetProperty("url").GetString()!);
        var byNext = await GetOkAsync($"{person.Path}/traits?limit=2&next={Uri.EscapeDataString(cursor.GetProperty("next").GetString()!)}");

        Assert.Equal(["address", "email"], first.GetProperty("traits").EnumerateObject().Select(p => p.Name).ToList());
        Assert.True(cursor.GetProperty("has_more").GetBoolean());
        Assert.Contains("limit=2", cursor.GetProperty("url").GetString());
        Assert.Equal(["name", "plan"], second.GetProperty("traits").EnumerateObject().Select(p => p.Name).ToList());
        Assert.Equal(["name", "plan"], byNext.GetProperty("traits").EnumerateObject().Select(p => p.Name).ToList());
        Assert.False(second.GetProperty("cursor").GetProperty("has_more").GetBoolean());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("email")] // a trait's name is not a cursor: it was one once, and would skip to after that name
    [InlineData("%25%25%25")]
    [InlineData("_w")] // base64 of a byte that is not UTF-8
    [InlineData("dDo")] // base64 of "t:": a cursor after no name
    [InlineData("")]
    public async Task Traits_ACursorThatWasNotGiven_Is400SayingSo(string next)
    {
        var person = await SeedAsync();

        var message = await GetErrorAsync($"{person.Path}/traits?limit=2&next={next}", HttpStatusCode.BadRequest, "invalid_request_error");

        Assert.Contains("is not a cursor of this list", message);
        Assert.Contains("cursor.next as it was given", message);
    }

    [Fact]
    public async Task Events_CursorKeepsItsSort_EachOrderPagesThroughAll_AMismatchedSortIs400()
    {
        var person = await SeedAsync();
        static List<string> Times(JsonElement body) => body.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("timestamp").GetString()!).ToList();
        async Task<List<string>> AllAsync(string sort)
        {
            var times = new List<string>();
            var url = $"{person.Path}/events?limit=1&{sort}";
            while (url is not null)
            {
                var page = await GetOkAsync(url);
                times.AddRange(Times(page));
                url = page.GetProperty("cursor").GetProperty("url").GetString();
            }
            return times;
        }

        var ascending = await AllAsync("sort=asc");
        var descending = await AllAsync("sort=desc");
        var oldestFirst = (await GetOkAsync($"{person.Path}/events?limit=1&sort=asc")).GetProperty("cursor").GetProperty("next").GetString();
        var newestFirst = (await GetOkAsync($"{person.Path}/events?limit=1")).GetProperty("cursor").GetProperty("next").GetString();
        var ascThenDesc = await GetErrorAsync($"{person.Path}/events?limit=1&next={oldestFirst}", HttpStatusCode.BadRequest, "invalid_request_error");
        var descThenAsc = await GetErrorAsync($"{person.Path}/events?limit=1&sort=asc&next={newestFirst}", HttpStatusCode.BadRequest, "invalid_request_error");

        Assert.Equal(3, ascending.Count);
        Assert.Equal(ascending, ascending.Order(StringComparer.Ordinal));
        Assert.Equal(ascending.AsEnumerable().Reverse(), descending);
        Assert.Contains("This cursor pages the events with sort=asc, and this request asks for sort=desc", ascThenDesc);
        Assert.Contains("with sort=desc, and this request asks for sort=asc; ask for the next page with sort=desc", descThenAsc);
    }

    [Fact]
    public async Task Traits_IncludeAndVerbose_OnlyThoseWithSourceAndTime()
    {
        var person = await SeedAsync();

        var body = await GetOkAsync($"{person.Path}/traits?include=name,email&verbose=true");

        var traits = body.GetProperty("traits");
        Assert.Equal(["email", "name"], traits.EnumerateObject().Select(p => p.Name).ToList());
        var name = traits.GetProperty("name");
        Assert.Equal("Ada Lovelace", name.GetProperty("value").GetString());
        Assert.Equal("CRM", name.GetProperty("source_name").GetString());
        Assert.False(string.IsNullOrEmpty(name.GetProperty("source_id").GetString()));
        Assert.Equal(T.AddHours(1), name.GetProperty("updated_at").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task Traits_MergePolicyByNameOrId_ChangesTheWinner_UnknownIsInvalid()
    {
        var person = await SeedAsync();
        await using var db = await factory.DbAsync();
        var web = await db.Sources.Where(s => s.Name == "Web").Select(s => s.Id).SingleAsync();
        var store = factory.Services.GetRequiredService<MergePolicyStore>();
        var name = $"Web first {person.Tag}";
        var created = await store.CreateAsync(AuditActor.System,
            new MergePolicyDraft(name, "", IdentityStitching.Graph, AttributeMergeRule.SourcePrecedence, [web], []));
        Assert.True(created.Succeeded, string.Join("; ", created.Problems));

        var byName = await GetOkAsync($"{person.Path}/traits?merge_policy={Uri.EscapeDataString(name.ToUpperInvariant())}");
        var byId = await GetOkAsync($"{person.Path}/traits?merge_policy={created.Policy!.Id}");
        var message = await GetErrorAsync($"{person.Path}/traits?merge_policy=nope", HttpStatusCode.BadRequest, "invalid_request_error");

        Assert.Equal("Ada", byName.GetProperty("traits").GetProperty("name").GetString());
        Assert.Equal("free", byId.GetProperty("traits").GetProperty("plan").GetString());
        Assert.Contains("no merge policy \"nope\"", message);
    }

    [Fact]
    public async Task ExternalIds_EveryIdentifierWithTypeSourceAndFirstMessage()
    {
        var person = await SeedAsync();

        var body = await GetOkAsync($"{person.Path}/external_ids");

        var ids = body.GetProperty("data").EnumerateArray().ToDictionary(e => e.GetProperty("type").GetString()!);
        Assert.Equal(person.UserId, ids["user_id"].GetProperty("id").GetString());
        Assert.Equal(person.Email, ids["email"].GetProperty("id").GetString());
        Assert.Equal($"web-{person.Tag}-1", ids["email"].GetProperty("first_message_id").GetString());
        Assert.Equal("Web", ids["email"].GetProperty("source_name").GetString());
        Assert.Equal(T, ids["email"].GetProperty("created_at").GetDateTime().ToUniversalTime());
        Assert.False(body.GetProperty("cursor").GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task ExternalIds_LimitOne_CursorReachesTheRest()
    {
        var person = await SeedAsync();

        var first = await GetOkAsync($"{person.Path}/external_ids?limit=1");
        var second = await GetOkAsync(first.GetProperty("cursor").GetProperty("url").GetString()!);

        Assert.Single(first.GetProperty("data").EnumerateArray());
        Assert.True(first.GetProperty("cursor").GetProperty("has_more").GetBoolean());
        Assert.Single(second.GetProperty("data").EnumerateArray());
        Assert.NotEqual(first.GetProperty("data")[0].GetProperty("id").GetString(), second.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Events_NewestFirstPagedByCursor_AndFilters()
    {
        var person = await SeedAsync();

        var first = await GetOkAsync($"{person.Path}/events?limit=2");
        var second = await GetOkAsync($"{person.Path}/events?limit=2&next={first.GetProperty("cursor").GetProperty("next").GetString()}");
        var bought = await GetOkAsync($"{person.Path}/events?include=Bought");
        var notViewed = await GetOkAsync($"{person.Path}/events?exclude=Viewed");
        var ascending = await GetOkAsync($"{person.Path}/events?sort=asc&limit=1");
        var window = await GetOkAsync($"{person.Path}/events?start={T.AddMinutes(2):O}&end={Uri.EscapeDataString(T.AddMinutes(3).ToString("O"))}");
        // A name in double quotes is one name, its quotes not part of it (a plain split asked for "Bought" with its quotes: nothing).
        var quoted = await GetOkAsync($"{person.Path}/events?include=%22Bought%22,Nothing");

        static List<string> Names(JsonElement body) => body.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("event").GetString()!).ToList();
        Assert.Equal(["Viewed", "Bought"], Names(first));
        Assert.True(first.GetProperty("cursor").GetProperty("has_more").GetBoolean());
        Assert.Equal(["Viewed"], Names(second));
        Assert.False(second.GetProperty("cursor").GetProperty("has_more").GetBoolean());
        Assert.Equal(["Bought"], Names(bought));
        Assert.Equal(12.5, bought.GetProperty("data")[0].GetProperty("properties").GetProperty("total").GetDouble());
        Assert.Equal(["Bought"], Names(notViewed));
        Assert.Equal(T.AddMinutes(1), ascending.GetProperty("data")[0].GetProperty("timestamp").GetDateTime().ToUniversalTime());
        Assert.Equal(["Bought"], Names(window));
        Assert.Equal(["Bought"], Names(quoted));
    }

    [Theory]
    [InlineData("events?limit=0", "limit")]
    [InlineData("events?limit=abc", "limit")]
    [InlineData("events?sort=up", "sort")]
    [InlineData("events?start=yesterday", "start")]
    [InlineData("events?next=garbage!", "cursor")]
    [InlineData("traits?limit=201", "limit")]
    [InlineData("traits?verbose=maybe", "verbose")]
    [InlineData("external_ids?next=x", "cursor")]
    [InlineData("segments?limit=0", "limit")]
    [InlineData("segments?limit=abc", "limit")]
    [InlineData("segments?limit=101", "1 to 100")]
    [InlineData("segments?next=garbage", "cursor")]
    [InlineData("events?start=2027-01-01&end=2026-01-01", "end (2026-01-01) is before start (2027-01-01)")]
    [InlineData("events?include=%22unterminated", "include has a double quote that is not closed")]
    [InlineData("events?exclude=a,%22b", "exclude has a double quote that is not closed")]
    [InlineData("traits?include=%22open", "include has a double quote that is not closed")]
    [InlineData("external_ids?include=%22open", "include has a double quote that is not closed")]
    [InlineData("traits?verbose=yes", "verbose")]
    // Given twice: bound as "1,2" and refused as "not a whole number", or as neither asc nor desc.
    [InlineData("events?limit=1&limit=2", "limit is given 2 times; give it once.")]
    [InlineData("events?sort=asc&sort=desc", "sort is given 2 times; give it once.")]
    [InlineData("traits?merge_policy=a&merge_policy=b&merge_policy=c", "merge_policy is given 3 times; give it once.")]
    [InlineData("segments?next=1&next=2", "next is given 2 times; give it once.")]
    // Times that are ISO 8601 but no time: refused with the reason, not as "must be an ISO 8601 time".
    [InlineData("events?start=2026-03-01T09:00:00%2B99:00", "start is \"2026-03-01T09:00:00+99:00\", which is no time: its offset from UTC, +99:00, is beyond ±14:00")]
    [InlineData("events?end=2026-02-30", "end is \"2026-02-30\", which is no time: there is no such day or time in the calendar")]
    [InlineData("events?start=2026-03-01T09:00:00+01:00", "A + in a query string is read as a space: write it as %2B.")]
    public async Task BadParameters_AreInvalidRequestErrors(string query, string mentions)
    {
        var message = await GetErrorAsync($"/api/v1/profiles/user_id:anyone/{query}", HttpStatusCode.BadRequest, "invalid_request_error");

        Assert.Contains(mentions, message);
    }

    /// <summary>A bound past the last UTC time there is (or before the first) once its offset is applied leaves out no event, as that time would.</summary>
    [Fact]
    public async Task Events_StartOrEndBeyondTheTimesThereAre_AreTheFirstAndLastTime_NotA400()
    {
        var person = await SeedAsync();

        var farEnd = await GetOkAsync($"{person.Path}/events?end=9999-12-31T23:59:59-05:00");
        var farStart = await GetOkAsync($"{person.Path}/events?start=0001-01-01T00:00:00%2B05:00");
        var afterAll = await GetOkAsync($"{person.Path}/events?start=9999-12-31T23:59:59-05:00");

        Assert.Equal(3, farEnd.GetProperty("data").GetArrayLength());
        Assert.Equal(3, farStart.GetProperty("data").GetArrayLength());
        Assert.Equal(0, afterAll.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Delete_EraseGivenTwice_Is400_NothingDeleted()
    {
        var person = await SeedAsync();
        using var deleter = factory.Client(ProfileApiAppFactory.DeleterToken);

        var message = await ApiResponses.ErrorAsync(await deleter.DeleteAsync($"{person.Path}?erase=false&erase=true"), HttpStatusCode.BadRequest, "invalid_request_error");

        Assert.Equal("erase is given 2 times; give it once.", message);
        await GetOkAsync($"{person.Path}/traits");
    }

    [Fact]
    public async Task Metadata_CreatedUpdatedFirstAndLastMessage()
    {
        var person = await SeedAsync();

        var metadata = (await GetOkAsync($"{person.Path}/metadata")).GetProperty("metadata");

        Assert.Equal($"web-{person.Tag}-1", metadata.GetProperty("first_message_id").GetString());
        Assert.Equal("Web", metadata.GetProperty("first_source_name").GetString());
        Assert.Equal($"crm-{person.Tag}-1", metadata.GetProperty("last_message_id").GetString());
        Assert.Equal("CRM", metadata.GetProperty("last_source_name").GetString());
        Assert.Equal(3, metadata.GetProperty("events").GetInt64());
        Assert.Equal(T, metadata.GetProperty("created_at").GetDateTime().ToUniversalTime());
        // The CRM's record at 10:00 is the last change, after the last event (09:03).
        Assert.Equal(T.AddHours(1), metadata.GetProperty("updated_at").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task Metadata_UpdatedAt_MovesWithATraitChangeAStudioEditAndANewIdentifier_NotOnlyWithEvents()
    {
        var person = await SeedAsync();
        async Task<DateTime> UpdatedAtAsync() =>
            (await GetOkAsync($"{person.Path}/metadata")).GetProperty("metadata").GetProperty("updated_at").GetDateTime().ToUniversalTime();

        await factory.SendAsync(ProfileApiAppFactory.CrmKey,
            new { type = "identify", messageId = $"crm-{person.Tag}-2", userId = person.UserId, timestamp = T.AddDays(2), traits = new { plan = "enterprise" } });
        await factory.UnifiedAsync();
        var afterTraits = await UpdatedAtAsync();

        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "identify", messageId = $"web-{person.Tag}-5", userId = person.UserId, anonymousId = $"device-{person.Tag}", timestamp = T.AddDays(3) });
        await factory.UnifiedAsync();
        var afterIdentifier = await UpdatedAtAsync();

        var before = DateTime.UtcNow.AddSeconds(-1);
        var edited = await factory.Services.GetRequiredService<ProfileStudio.Core.Ingestion.StudioEdits>()
            .SetAttributeAsync(AuditActor.System, new ProfileStudio.Core.Identity.IdentityKey("user_id", person.UserId), "plan", "vip");
        Assert.True(edited.Succeeded, edited.Error);
        await factory.UnifiedAsync();
        var afterEdit = await UpdatedAtAsync();

        Assert.Equal(T.AddDays(2), afterTraits);
        Assert.Equal(T.AddDays(3), afterIdentifier);
        Assert.InRange(afterEdit, before, DateTime.UtcNow.AddSeconds(1));
        Assert.Equal("vip", (await GetOkAsync($"{person.Path}/traits?include=plan")).GetProperty("traits").GetProperty("plan").GetString());
        // Events still say when the person was last active (the explorer's "last activity"), apart from the last change.
        await using var db = await factory.DbAsync();
        var profileId = (await factory.Reader.FindAsync($"user_id:{person.UserId}")).ProfileId;
        Assert.Equal(T.AddMinutes(3), await db.Profiles.Where(p => p.Id == profileId).Select(p => p.LastActivityAt).SingleAsync());
    }

    [Fact]
    public async Task ProfileIdNamespace_AndSegmentPaths_AnswerLikeTheirOwn()
    {
        var person = await SeedAsync();
        var profileId = (await GetOkAsync($"{person.Path}/metadata")).GetProperty("metadata").GetProperty("profile_id").GetString();
        var segment = $"/v1/spaces/my-space/collections/users/profiles/profile_id:{profileId}";

        var traits = await GetOkAsync($"{segment}/traits");
        var ids = await GetOkAsync($"{segment}/external_ids");
        var events = await GetOkAsync($"{segment}/events");
        var metadata = await GetOkAsync($"/v1/spaces/s/collections/users/profiles/email:{person.Email}/metadata");

        Assert.Equal("Ada Lovelace", traits.GetProperty("traits").GetProperty("name").GetString());
        Assert.Equal(2, ids.GetProperty("data").GetArrayLength());
        Assert.Equal(3, events.GetProperty("data").GetArrayLength());
        Assert.Equal(profileId, metadata.GetProperty("metadata").GetProperty("profile_id").GetString());
    }

    [Theory]
    [InlineData("traits")]
    [InlineData("external_ids")]
    [InlineData("events")]
    [InlineData("metadata")]
    public async Task UnknownProfile_IsNotFound_BadNamespaceOrValue_IsValidationError(string endpoint)
    {
        Assert.Equal("Profile was not found.", await GetErrorAsync($"/api/v1/profiles/email:nobody@example.com/{endpoint}", HttpStatusCode.NotFound, "not_found"));
        Assert.Equal("Profile was not found.", await GetErrorAsync($"/api/v1/profiles/profile_id:999999999/{endpoint}", HttpStatusCode.NotFound, "not_found"));
        Assert.Contains("no namespace \"shoe_size\"", await GetErrorAsync($"/api/v1/profiles/shoe_size:42/{endpoint}", HttpStatusCode.BadRequest, "validation_error"));
        Assert.Contains("phone number", await GetErrorAsync($"/v1/spaces/s/collections/users/profiles/phone:abc/{endpoint}", HttpStatusCode.BadRequest, "validation_error"));
        Assert.Contains("namespace:value", await GetErrorAsync($"/api/v1/profiles/justtext/{endpoint}", HttpStatusCode.BadRequest, "validation_error"));
        // Values ingestion never takes as an identifier: a reason, not a "not found".
        Assert.Contains("at most 512", await GetErrorAsync($"/api/v1/profiles/user_id:{new string('x', 513)}/{endpoint}", HttpStatusCode.BadRequest, "validation_error"));
        Assert.Contains("control character", await GetErrorAsync($"/api/v1/profiles/user_id:a%09b/{endpoint}", HttpStatusCode.BadRequest, "validation_error"));
    }

    [Theory]
    [InlineData("traits")]
    [InlineData("external_ids")]
    [InlineData("events")]
    [InlineData("metadata")]
    public async Task Reads_WithoutATokenOrWithoutProfilesRead_Are401And403(string endpoint)
    {
        await GetErrorAsync($"/api/v1/profiles/user_id:x/{endpoint}", HttpStatusCode.Unauthorized, "authentication_error", token: null);
        await GetErrorAsync($"/api/v1/profiles/user_id:x/{endpoint}", HttpStatusCode.Unauthorized, "authentication_error", token: "pst_not_a_real_token_0000000000000");
        Assert.Contains("profiles:read", await GetErrorAsync($"/v1/spaces/s/collections/users/profiles/user_id:x/{endpoint}", HttpStatusCode.Forbidden, "permission_error", ProfileApiAppFactory.LoaderToken));
    }

    [Fact]
    public async Task Delete_WithoutProfilesDelete_Is403_UnknownIs404()
    {
        var person = await SeedAsync();
        using var reader = factory.Client(ProfileApiAppFactory.ReaderToken);
        using var deleter = factory.Client(ProfileApiAppFactory.DeleterToken);
        using var anonymous = factory.Client(null);

        await ApiResponses.ErrorAsync(await reader.DeleteAsync(person.Path), HttpStatusCode.Forbidden, "permission_error");
        await ApiResponses.ErrorAsync(await anonymous.DeleteAsync(person.Path), HttpStatusCode.Unauthorized, "authentication_error");
        await ApiResponses.ErrorAsync(await deleter.DeleteAsync("/api/v1/profiles/user_id:nobody-at-all"), HttpStatusCode.NotFound, "not_found");
        await ApiResponses.ErrorAsync(await deleter.DeleteAsync("/api/v1/profiles/shoe_size:1"), HttpStatusCode.BadRequest, "validation_error");
        await GetOkAsync($"{person.Path}/traits");
    }

    [Fact]
    public async Task Delete_RemovesTheProfileKeepsTheLake_Audited_AndTheSameIdentityLaterMakesAFreshProfile()
    {
        var person = await SeedAsync();
        var profileId = long.Parse((await GetOkAsync($"{person.Path}/metadata")).GetProperty("metadata").GetProperty("profile_id").GetString()!);
        using var deleter = factory.Client(ProfileApiAppFactory.DeleterToken);

        using var response = await deleter.DeleteAsync(person.Path);

        var body = await ApiResponses.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.GetProperty("deleted").GetBoolean());
        await GetErrorAsync($"{person.Path}/traits", HttpStatusCode.NotFound, "not_found");
        await GetErrorAsync($"/api/v1/profiles/email:{person.Email}/traits", HttpStatusCode.NotFound, "not_found");
        await using (var db = await factory.DbAsync())
        {
            Assert.False(await db.Profiles.AnyAsync(p => p.Id == profileId));
            Assert.False(await db.ProfileEvents.AnyAsync(e => e.ProfileId == profileId));
            Assert.False(await db.ProfileAttributes.AnyAsync(a => a.ProfileId == profileId));
            Assert.Equal(5, await db.RawMessages.CountAsync(m => m.MessageId!.Contains(person.Tag)));
            Assert.True(await db.DeletedProfiles.AnyAsync(p => p.Id == profileId && !p.ErasedFromLake));
        }
        var audit = await factory.Audit.QueryAsync(new AuditFilter(Action: AuditActions.ProfileDeleted), 0, 50);
        var entry = Assert.Single(audit.Entries, e => e.Target == $"profile {profileId}");
        Assert.Contains("API token \"Deleter\"", entry.ActorName);

        // The worker forgot the deleted profile: the identity comes back as a new profile with only the new data.
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "identify", messageId = $"web-{person.Tag}-again", userId = person.UserId, timestamp = T.AddDays(1), traits = new { plan = "returning" } });
        await factory.UnifiedAsync();
        var again = await GetOkAsync($"{person.Path}/traits");
        Assert.Equal(["plan"], again.GetProperty("traits").EnumerateObject().Select(p => p.Name).ToList());
        var newId = (await GetOkAsync($"{person.Path}/metadata")).GetProperty("metadata").GetProperty("profile_id").GetString();
        Assert.NotEqual(profileId.ToString(System.Globalization.CultureInfo.InvariantCulture), newId);
    }

    [Fact]
    public async Task Delete_EraseTrue_AlsoErasesTheLakeMessagesThatCarriedItsIdentities_AndNoOthers()
    {
        var person = await SeedAsync();
        var other = await SeedAsync();
        using var deleter = factory.Client(ProfileApiAppFactory.DeleterToken);

        using var response = await deleter.DeleteAsync($"/api/v1/profiles/email:{person.Email}?erase=true");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("erased 5 lake messages", (await ApiResponses.JsonAsync(response)).GetProperty("message").GetString());
        await using var db = await factory.DbAsync();
        Assert.Equal(0, await db.RawMessages.CountAsync(m => m.MessageId!.Contains(person.Tag)));
        Assert.Equal(5, await db.RawMessages.CountAsync(m => m.MessageId!.Contains(other.Tag)));
        await GetOkAsync($"{other.Path}/traits");
    }

    // ---- Issue 9: identifiers that were accepted can be looked up; stored JSON of any depth reads back.

    [Theory]
    [InlineData("a/b")]
    [InlineData("a//b/")]
    [InlineData("100%")]
    [InlineData("a%20b")]
    [InlineData("a+b")]
    [InlineData("a b")]
    [InlineData("Zoë 🚀 日本")]
    [InlineData("x:y:z")]
    [InlineData("..")]
    [InlineData("a\\b")]
    [InlineData("?#&=;")]
    public async Task Lookup_AnyIdentifierIngestionAccepted_IsFoundByTheApiSegmentsPathAndTheExplorer(string userId)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var id = $"{userId}-{tag}";
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "identify", messageId = $"odd-{tag}", userId = id, traits = new { marker = tag } },
            new { type = "track", messageId = $"odd-{tag}-2", userId = id, @event = "Seen" });
        await factory.UnifiedAsync();
        var encoded = "user_id:" + Uri.EscapeDataString(id);

        var traits = await GetOkAsync($"/api/v1/profiles/{encoded}/traits");
        var segment = await GetOkAsync($"/v1/spaces/any/collections/users/profiles/{encoded}/traits");
        var ids = await GetOkAsync($"/api/v1/profiles/{encoded}/external_ids");
        var events = await GetOkAsync($"/api/v1/profiles/{encoded}/events");
        await GetOkAsync($"/api/v1/profiles/{encoded}/metadata");
        var found = await factory.Services.GetRequiredService<ProfileStudio.Core.Profiles.ProfileDirectory>()
            .PageAsync($"user_id:{id}", ProfileStudio.Core.Profiles.ProfileSort.LastActivityNewest, 0, 10);

        Assert.Equal(tag, traits.GetProperty("traits").GetProperty("marker").GetString());
        Assert.Equal(tag, segment.GetProperty("traits").GetProperty("marker").GetString());
        Assert.Contains(id, ids.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        Assert.Equal("Seen", Assert.Single(events.GetProperty("data").EnumerateArray()).GetProperty("event").GetString());
        Assert.Null(found.Problem);
        Assert.Equal($"user_id:{id}", Assert.Single(found.Items).PrimaryIdentity);
        // Pasted bare, without its namespace ("a b" was taken for a name and found nothing).
        var bare = await factory.Services.GetRequiredService<ProfileStudio.Core.Profiles.ProfileDirectory>()
            .PageAsync(id, ProfileStudio.Core.Profiles.ProfileSort.LastActivityNewest, 0, 10);
        Assert.Null(bare.Problem);
        Assert.Contains($"user_id:{id}", bare.Items.Select(i => i.PrimaryIdentity));
    }

    [Fact]
    public async Task Lookup_EmailWithPlusAndSlash_IsFound()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var email = $"ada+{tag}/x@example.com";
        await factory.SendAsync(ProfileApiAppFactory.WebKey,
            new { type = "identify", messageId = $"mail-{tag}", userId = $"u-{tag}", traits = new { email, marker = tag, plan = "pro" } });
        await factory.UnifiedAsync();

        var traits = await GetOkAsync($"/api/v1/profiles/email:{Uri.EscapeDataString(email)}/traits?limit=2");

        Assert.Equal(tag, traits.GetProperty("traits").GetProperty("marker").GetString());
        // The next page's URL keeps the identifier as the client encoded it.
        var next = await GetOkAsync(traits.GetProperty("cursor").GetProperty("url").GetString()!);
        Assert.True(next.GetProperty("traits").EnumerateObject().Any());
    }

    [Fact]
    public async Task Read_EventPropertiesAndTraitsNestedDeeperThanTheSerializerDefault_AreReturnedNot500()
    {
        // Stored before ingestion limited nesting (the old limit let 62 levels in): the readers still read them.
        var person = await SeedAsync();
        var profileId = (await factory.Reader.FindAsync($"user_id:{person.UserId}")).ProfileId;
        static string Nested(int levels, string open, string close) =>
            string.Concat(Enumerable.Repeat(open, levels)) + "1" + string.Concat(Enumerable.Repeat(close, levels));
        await using (var db = await factory.DbAsync())
        {
            var message = await db.RawMessages.Where(m => m.MessageId == $"web-{person.Tag}-2").Select(m => new { m.Id, m.SourceId }).SingleAsync();
            db.ProfileEvents.Add(new ProfileStudio.Core.Profiles.ProfileEvent
            {
                ProfileId = profileId, MessageId = message.Id, SourceId = message.SourceId, Type = "track", Name = "Deep",
                EventAt = T.AddDays(1), PropertiesJson = Nested(62, "{\"a\":", "}"),
            });
            db.ProfileAttributes.Add(new ProfileStudio.Core.Profiles.ProfileAttribute
            {
                ProfileId = profileId, SourceId = message.SourceId, Key = "deep", ValueJson = Nested(62, "[", "]"),
                EventAt = T.AddDays(1), MessageId = message.Id,
            });
            await db.SaveChangesAsync();
        }

        async Task<JsonElement> GetDeepAsync(string url)
        {
            using var client = factory.Client(ProfileApiAppFactory.ReaderToken);
            using var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
            return document.RootElement.Clone();
        }
        var events = await GetDeepAsync($"{person.Path}/events?limit=1");
        var traits = await GetDeepAsync($"{person.Path}/traits?include=deep");

        var properties = events.GetProperty("data")[0].GetProperty("properties");
        Assert.Equal(Nested(62, "{\"a\":", "}"), properties.GetRawText());
        Assert.Equal(JsonValueKind.Array, traits.GetProperty("traits").GetProperty("deep").ValueKind);
    }
}
