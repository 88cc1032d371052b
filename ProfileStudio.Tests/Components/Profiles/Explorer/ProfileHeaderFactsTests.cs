using Bunit;
using ProfileStudio.Components.Profiles.Explorer;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Tests.Components.Profiles.Explorer;

public sealed class ProfileHeaderFactsTests : StudioBunitContext
{
    private static readonly DateTime T0 = new(2026, 10, 20, 8, 30, 0, DateTimeKind.Utc);
    private static readonly Dictionary<int, string> Sources = new() { [1] = "CRM export", [2] = "Website" };

    private static ProfileIdentity Identity(string ns, string value) => new(1, ns, value, 1, "CRM export", T0, T0, 1, null);

    private static UnifiedView View(params (string Key, string Json)[] attributes) => MergePolicyEvaluator.Evaluate(
        attributes.Select((a, i) => new ProfileAttribute { ProfileId = 1, SourceId = 1, Key = a.Key, ValueJson = a.Json, EventAt = T0, MessageId = i + 1 }).ToList(),
        new MergePolicy { Id = 1, Name = "Default" }, Sources);

    private IRenderedComponent<ProfileHeaderFacts> RenderHeader(IReadOnlyList<ProfileIdentity> identities, UnifiedView view, long events = 0,
        DateTime? lastActivity = null, DateTime? received = null) =>
        Render<ProfileHeaderFacts>(p => p.Add(c => c.Header, new ProfileHeader(7, T0, lastActivity ?? T0, received,
            ProfileExplorerReader.DisplayName(view), ProfileExplorerReader.ContactOf(identities, view), identities.FirstOrDefault(), 1, events)));

    [Fact]
    public void CrmOnlyProfile_EmailAndPhoneIdentities_AreShownThoughCrmIdIsPrimary()
    {
        var header = RenderHeader([Identity("crm_id", "crm-00042"), Identity("email", "ada@example.com"), Identity("phone", "+447700900123")], View());

        Assert.Equal("ada@example.com", header.Find("[data-testid=profile-email]").TextContent.Trim());
        Assert.Equal("+447700900123", header.Find("[data-testid=profile-phone]").TextContent.Trim());
        Assert.Contains("crm_id:crm-00042", header.Markup);
    }

    [Fact]
    public void NoContactIdentities_EmailAndPhoneAttributes_UnderAnyName_AreShown()
    {
        var header = RenderHeader([Identity("crm_id", "crm-7")], View(("Customer Email", "\"grace@example.com\""), ("contact.mobile_phone", "\"07700 900456\"")));

        Assert.Equal("grace@example.com", header.Find("[data-testid=profile-email]").TextContent.Trim());
        Assert.Equal("07700 900456", header.Find("[data-testid=profile-phone]").TextContent.Trim());
    }

    [Fact]
    public void NameUnderAnotherSpelling_IsTheDisplayName()
    {
        Assert.Equal("Grace Hopper", ProfileExplorerReader.DisplayName(View(("First Name", "\"Grace\""), ("last_name", "\"Hopper\""))));
        Assert.Equal("Ada King", ProfileExplorerReader.DisplayName(View(("Customer Name", "\"Ada King\""))));
    }

    [Fact]
    public void NothingKnown_SaysSo()
    {
        var header = RenderHeader([Identity("anonymous_id", "a-1")], View(("plan", "\"plus\"")));

        Assert.Equal("no e-mail known", header.Find("[data-testid=profile-email]").TextContent.Trim());
        Assert.Equal("no phone known", header.Find("[data-testid=profile-phone]").TextContent.Trim());
    }

    [Fact]
    public void Times_AreEventTimesFirst_AndTheProcessingTimeIsLabelled()
    {
        var header = RenderHeader([Identity("email", "ada@example.com")], View(), events: 3,
            lastActivity: T0.AddDays(9), received: new DateTime(2026, 12, 3, 14, 59, 0, DateTimeKind.Utc));

        Assert.Equal("20 Oct 2026, 08:30 UTC", header.Find("[data-testid=profile-first-seen]").TextContent);
        Assert.Equal("29 Oct 2026, 08:30 UTC", header.Find("[data-testid=profile-last-activity]").TextContent);
        Assert.Contains("data last received", header.Markup);
        Assert.Equal("3 Dec 2026, 14:59 UTC", header.Find("[data-testid=profile-last-received]").TextContent);
    }

    [Fact]
    public void NoEvents_SaysThereIsNoActivityRatherThanAnImportTime()
    {
        var header = RenderHeader([Identity("crm_id", "crm-1")], View(), events: 0);

        Assert.Equal("no activity events yet", header.Find("[data-testid=profile-last-activity]").TextContent);
    }
}
