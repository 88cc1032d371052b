using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Segments;
using ProfileStudio.Tests.Hosting;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Segments;

/// <summary>The studio's members CSV: the chosen identifier and attribute columns, authorized by role, clear 4xx answers.</summary>
public sealed class SegmentExportEndpointsTests(StudioAppFactory factory) : IClassFixture<StudioAppFactory>
{
    private const string Password = "User-Pass-2026!";

    /// <summary>A draft segment with three members seeded directly (the export reads memberships, however they were made).</summary>
    private async Task<long> SegmentWithMembersAsync()
    {
        var seed = new ProfileStoreSeed(factory.Services);
        var crm = await seed.SourceAsync("CRM " + Guid.NewGuid().ToString("N")[..6]);
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        var baseId = Random.Shared.NextInt64(1_000_000, 1_000_000_000);
        var people = new[] { (baseId + 1, $"ada-{baseId}@example.com", "France"), (baseId + 2, $"bob-{baseId}@example.com", "Spain"), (baseId + 3, "", "") };
        foreach (var (id, email, country) in people)
        {
            await seed.ProfileAsync(id, m, m);
            if (email.Length > 0)
            {
                await seed.IdentityAsync(id, "email", email, crm, m, m);
                await seed.AttributeAsync(id, crm, "country", JsonSerializer.Serialize(country), ProfileStoreSeed.T0, m);
                await seed.AttributeAsync(id, crm, "address.city", "\"Paris, \\\"centre\\\"\"", ProfileStoreSeed.T0, m);
            }
            await seed.IdentityAsync(id, "user_id", $"u-{id}", crm, m, m);
        }
        await seed.IdentityAsync(baseId + 1, "email", $"ada-{baseId}@work.example", crm, m, m);
        var store = factory.Services.GetRequiredService<SegmentStore>();
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new IdentityCondition("c", "user_id", true)]));
        var created = await store.CreateAsync(AuditActor.System, new SegmentDraft("Export " + baseId, null, SegmentRuleJson.Serialize(rule)));
        Assert.True(created.Succeeded, string.Join("; ", created.Problems));
        await using (var db = await seed.DbAsync())
        {
            foreach (var (id, _, _) in people)
            {
                db.SegmentMemberships.Add(new SegmentMembership { SegmentId = created.Segment!.Id, ProfileId = id, Since = ProfileStoreSeed.T0 });
            }
            await db.SaveChangesAsync();
        }
        ProfileIds = [.. people.Select(p => p.Item1)];
        BaseId = baseId;
        return created.Segment!.Id;
    }

    private long[] ProfileIds { get; set; } = [];
    private long BaseId { get; set; }

    private async Task<StudioClient> SignedInAsync(string role)
    {
        var client = factory.CreateStudioClient();
        await client.SignInAsync(await factory.CreateUserAsync(role, Password), Password);
        return client;
    }

    [Fact]
    public async Task Export_AComputedAttributeColumn_HoldsEachMembersCurrentValue()
    {
        var id = await SegmentWithMembersAsync();
        var seed = new ProfileStoreSeed(factory.Services);
        var crm = await seed.SourceAsync("Shop " + BaseId);
        var order = $"Export Order {BaseId}";
        await seed.EventsAsync(ProfileIds[0], crm, [("track", order, ProfileStoreSeed.T0), ("track", order, ProfileStoreSeed.T0.AddHours(1))]);
        await seed.EventsAsync(ProfileIds[1], crm, [("track", order, ProfileStoreSeed.T0)]);
        var store = factory.Services.GetRequiredService<ComputedAttributeStore>();
        var name = $"orders_{BaseId}";
        var saved = await store.SaveAsync(AuditActor.System, null, new ComputedAttributeDraft(name, null, ComputedFunction.Count, [order], null, [], LookbackWindow.AllTime));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        Assert.True((await store.ActivateAsync(AuditActor.System, saved.Definition!.Id)).Succeeded);
        await Poll.UntilAsync(() => store.BackfillAsync(saved.Definition.Id), p => p?.State == BackfillState.Done, $"the backfill of {name}");
        using var marketer = await SignedInAsync(Roles.Marketer);

        using var response = await marketer.GetAsync($"/profiles/segments/{id}/members.csv?attribute={name}&attribute=country");

        var lines = (await response.Content.ReadAsStringAsync()).Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"profile_id,{name},country", $"{ProfileIds[0]},2,France", $"{ProfileIds[1]},1,Spain", $"{ProfileIds[2]},,"], lines);
    }

    [Fact]
    public async Task Export_AsMarketer_HasTheChosenColumnsInOrder_OneRowPerMember()
    {
        var id = await SegmentWithMembersAsync();
        using var marketer = await SignedInAsync(Roles.Marketer);

        using var response = await marketer.GetAsync($"/profiles/segments/{id}/members.csv?identity=email&attribute=country&attribute=address.city&identity=email&attribute=missing");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"segment-{id}-export-", response.Content.Headers.ContentDisposition?.FileName ?? "");
        var lines = (await response.Content.ReadAsStringAsync()).Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "profile_id,email,country,address.city,missing",
            $"{ProfileIds[0]},ada-{BaseId}@example.com; ada-{BaseId}@work.example,France,\"Paris, \"\"centre\"\"\",",
            $"{ProfileIds[1]},bob-{BaseId}@example.com,Spain,\"Paris, \"\"centre\"\"\",",
            $"{ProfileIds[2]},,,,",
        ], lines);        // A list of people left the system: the audit log says who took it, from where, with which columns.
        var audit = await factory.Audit.QueryAsync(new AuditFilter(Action: AuditActions.SegmentExported), 0, 50);
        var entry = Assert.Single(audit.Entries, e => e.Target == $"Export {BaseId}");
        Assert.StartsWith("marketer-", entry.ActorName);
        Assert.Equal("columns: profile_id, identity email, attribute country, attribute address.city, attribute missing", entry.Details);
    }

    [Fact]
    public async Task Export_ValuesThatASpreadsheetWouldRunAsFormulas_AreWrittenAsText_NumbersStayNumbers()
    {
        var id = await SegmentWithMembersAsync();
        var seed = new ProfileStoreSeed(factory.Services);
        var web = await seed.SourceAsync("Web " + Guid.NewGuid().ToString("N")[..6]);
        var m = await seed.MessageAsync(web, new { type = "identify" }, ProfileStoreSeed.T0.AddMinutes(1));
        // Traits anyone holding a public write key can send.
        await seed.AttributeAsync(ProfileIds[0], web, "nickname", "\"=HYPERLINK(\\\"http://evil.example/\\\",\\\"Click\\\")\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(ProfileIds[1], web, "nickname", "\"@SUM(1+1)*cmd|' /C calc'!A0\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(ProfileIds[0], web, "balance", "-12.5", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(ProfileIds[1], web, "balance", "\"-1+2+cmd|' /C calc'!A0\"", ProfileStoreSeed.T0, m);
        using var marketer = await SignedInAsync(Roles.Marketer);

        using var response = await marketer.GetAsync($"/profiles/segments/{id}/members.csv?attribute=nickname&attribute=balance");

        var lines = (await response.Content.ReadAsStringAsync()).Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "profile_id,nickname,balance",
            $"{ProfileIds[0]},\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"Click\"\")\",-12.5",
            $"{ProfileIds[1]},'@SUM(1+1)*cmd|' /C calc'!A0,'-1+2+cmd|' /C calc'!A0",
            $"{ProfileIds[2]},,",
        ], lines);
    }

    [Theory]
    [InlineData(Roles.Admin)]
    [InlineData(Roles.DataEngineer)]
    public async Task Export_AsOtherExportingRoles_IsAllowed(string role)
    {
        var id = await SegmentWithMembersAsync();
        using var client = await SignedInAsync(role);

        using var response = await client.GetAsync($"/profiles/segments/{id}/members.csv");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("profile_id\n", (await response.Content.ReadAsStringAsync()).ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Export_AsSupport_IsRefused_AndAnonymousIsSentToSignIn()
    {
        var id = await SegmentWithMembersAsync();
        using var support = await SignedInAsync(Roles.Support);
        using var anonymous = factory.CreateStudioClient();

        using var refused = await support.GetAsync($"/profiles/segments/{id}/members.csv");
        using var signIn = await anonymous.GetAsync($"/profiles/segments/{id}/members.csv");

        Assert.Contains(refused.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.Redirect });
        if (refused.StatusCode == HttpStatusCode.Redirect)
        {
            Assert.Contains("AccessDenied", support.LocationOf(refused), StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Contains("/Account/Login", anonymous.LocationOf(signIn));
    }

    [Fact]
    public async Task Export_UnknownSegmentOrTooManyColumns_ClearFourHundreds()
    {
        using var marketer = await SignedInAsync(Roles.Marketer);

        using var missing = await marketer.GetAsync("/profiles/segments/987654321/members.csv");
        var many = string.Join("&", Enumerable.Range(0, SegmentMemberExport.MaxColumns + 1).Select(i => $"attribute=a{i}"));
        using var tooMany = await marketer.GetAsync($"/profiles/segments/1/members.csv?{many}");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("There is no segment 987654321", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        using var error = JsonDocument.Parse(await tooMany.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Export_UnknownIdentityNamespace_IsA400NamingTheKnownOnes()
    {
        using var marketer = await SignedInAsync(Roles.Marketer);

        using var response = await marketer.GetAsync("/profiles/segments/1/members.csv?identity=email&identity=nope");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = error.RootElement.GetProperty("error").GetProperty("message").GetString();
        Assert.StartsWith("There is no identity namespace \"nope\"; the namespaces are ", message);
        Assert.Contains("email", message);
    }
}
