using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Tests.Unification;

/// <summary><c>group</c> calls: the group is recorded on the person's timeline, and the group's traits never identify anyone.</summary>
public sealed class GroupCallTests
{
    private static readonly DateTime Start = new(2026, 11, 2, 9, 0, 0, DateTimeKind.Utc);

    private static List<RawMessage> Lake(params string[] payloads) => payloads.Select((p, i) => new RawMessage
    {
        Id = i + 1,
        SourceId = 1,
        Type = System.Text.Json.JsonDocument.Parse(p).RootElement.GetProperty("type").GetString()!,
        ReceivedAt = Start.AddMinutes(i),
        EventAt = Start.AddMinutes(i),
        Payload = p,
        Status = MessageStatus.Accepted,
    }).ToList();

    [Fact]
    public void TwoColleaguesInOneCompany_WithTheCompanysEmailAndPhone_StayTwoPeople()
    {
        var engine = new UnificationEngine(new IdentityGraph(IdentityRules.Default));

        var changes = engine.Process(Lake(
            """{"type":"group","userId":"ada","groupId":"acme","traits":{"name":"Acme Inc","email":"billing@acme.example","phone":"+44 20 7946 0000"}}""",
            """{"type":"group","userId":"grace","groupId":"acme","traits":{"name":"Acme Inc","email":"billing@acme.example","phone":"+44 20 7946 0000"}}"""));

        var ada = engine.Graph.ProfileOf(new IdentityKey("user_id", "ada"));
        var grace = engine.Graph.ProfileOf(new IdentityKey("user_id", "grace"));
        Assert.NotNull(ada);
        Assert.NotNull(grace);
        Assert.NotEqual(ada, grace);
        Assert.Empty(changes.Merges);
        Assert.DoesNotContain(changes.Identities.Keys, k => k.Namespace is "email" or "phone");
        // The company's traits are not the person's attributes.
        Assert.Empty(changes.Attributes);
    }

    [Fact]
    public void AGroupCall_IsOnThePersonsTimeline_WithTheGroupsTraits()
    {
        var engine = new UnificationEngine(new IdentityGraph(IdentityRules.Default));

        var changes = engine.Process(Lake(
            """{"type":"identify","userId":"ada","traits":{"email":"ada@example.com"}}""",
            """{"type":"group","userId":"ada","groupId":"acme","traits":{"name":"Acme Inc","employees":120}}""",
            """{"type":"group","anonymousId":"laptop-1","groupId":42,"context":{"traits":{"email":"ADA@example.com"}}}"""));

        var ada = engine.Graph.ProfileOf(new IdentityKey("user_id", "ada"));
        Assert.All(changes.Events, e => Assert.Equal(ada, e.ProfileId));
        Assert.Collection(changes.Events,
            acme =>
            {
                Assert.Equal("group", acme.Type);
                Assert.Equal("acme", acme.Name);
                Assert.Equal("""{"name":"Acme Inc","employees":120}""", acme.PropertiesJson);
            },
            numbered =>
            {
                // The person's own traits in context.traits still identify them; a numeric group id is kept as text.
                Assert.Equal("42", numbered.Name);
                Assert.Equal("{}", numbered.PropertiesJson);
            });
        Assert.DoesNotContain(changes.Attributes.Keys, k => k.Key is "name" or "employees");
    }
}
