using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ProfileStudio.Tests.Identity;

public sealed class IdentityRulesStoreTests
{
    [Fact]
    public async Task Load_EmptyDatabase_SeedsTheBuiltInNamespaces()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var store = studio.Services.GetRequiredService<IdentityRulesStore>();

        var rules = await store.LoadAsync();

        Assert.Equal(["user_id", "crm_id", "email", "loyalty_id", "phone", "anonymous_id"], rules.Namespaces.Select(n => n.Name));
        Assert.Equal(1, rules.Find("user_id")!.Limit);
        Assert.True(rules.Find("anonymous_id")!.IsDevice);
    }

    [Fact]
    public async Task Save_CustomNamespace_IsUsedByTheRulesAuditedAndAnnounced()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var store = studio.Services.GetRequiredService<IdentityRulesStore>();
        var announced = 0;
        store.Changed += () => announced++;

        var problems = await store.SaveAsync(AuditActor.System, new IdentityNamespace { Name = "member_id", Priority = 3, Limit = 1, TraitKeys = ["memberId"], BlockedValues = ["none"] });
        var rules = await store.LoadAsync();

        Assert.Empty(problems);
        Assert.Equal(1, announced);
        Assert.Equal(["memberId"], rules.Find("member_id")!.Keys);
        Assert.NotNull(rules.BlockReason("member_id", "NONE"));
        Assert.Equal(1, (await studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.NamespaceCreated), 0, 10)).Total);
    }

    [Fact]
    public async Task Save_InvalidRules_SaysWhatToFixAndSavesNothing()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var store = studio.Services.GetRequiredService<IdentityRulesStore>();

        var problems = await store.SaveAsync(AuditActor.System, new IdentityNamespace
        {
            Name = "Bad Name", Priority = 0, Limit = 99, BlockedPatterns = ["(unclosed"], Normalization = Normalization.Phone, DefaultCountry = "XX",
        });

        Assert.Equal(5, problems.Count);
        Assert.Equal(6, (await store.ListAsync()).Count);
    }

    [Fact]
    public async Task Delete_BuiltIn_IsRefused()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var store = studio.Services.GetRequiredService<IdentityRulesStore>();
        var email = (await store.ListAsync()).Single(n => n.Name == "email");

        var problem = await store.DeleteAsync(AuditActor.System, email.Id);

        Assert.Contains("built in", problem);
    }
}
