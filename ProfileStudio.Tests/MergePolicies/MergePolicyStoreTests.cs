using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Sources;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.MergePolicies;

public sealed class MergePolicyStoreTests : IAsyncLifetime
{
    private static readonly AuditActor Marketer = new("user-1", "marketer@example.com");
    private StudioServices _studio = default!;
    private int _crm;
    private int _web;

    private MergePolicyStore Store => _studio.Services.GetRequiredService<MergePolicyStore>();

    public async Task InitializeAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        var sources = _studio.Services.GetRequiredService<SourceRegistry>();
        _crm = (await sources.CreateAsync(AuditActor.System, "CRM", SourceKind.Batch, null)).Source!.Id;
        _web = (await sources.CreateAsync(AuditActor.System, "Website", SourceKind.Streaming, null)).Source!.Id;
    }

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private MergePolicyDraft CrmFirst(string name = "CRM first", bool isDefault = false) =>
        new(name, "CRM wins", IdentityStitching.Graph, AttributeMergeRule.SourcePrecedence, [_crm, _web],
            [new AttributeOverrideDraft("address", AttributeMergeRule.Timestamp, []), new AttributeOverrideDraft("email", AttributeMergeRule.SourcePrecedence, [_web])],
            isDefault);

    private async Task<int> AuditCountAsync(string action) =>
        (await _studio.Audit.QueryAsync(new AuditFilter(Action: action), 0, 100)).Total;

    [Fact]
    public async Task List_FreshDatabase_HasTheDefaultMostRecentPolicy()
    {
        var policies = await Store.ListAsync();

        var policy = Assert.Single(policies);
        Assert.Equal((MergePolicy.DefaultName, true, IdentityStitching.Graph, AttributeMergeRule.Timestamp),
            (policy.Name, policy.IsDefault, policy.Stitching, policy.AttributeMerge));
        Assert.Equal(1, await AuditCountAsync(AuditActions.MergePolicyCreated));
    }

    [Fact]
    public async Task Bootstrapper_RunTwice_CreatesTheDefaultOnce()
    {
        var bootstrapper = ActivatorUtilities.CreateInstance<MergePolicyBootstrapper>(_studio.Services);

        await bootstrapper.StartAsync(CancellationToken.None);
        await bootstrapper.StartAsync(CancellationToken.None);

        Assert.Equal(MergePolicy.DefaultName, (await Store.GetDefaultAsync()).Name);
        Assert.Single(await Store.ListAsync());
    }

    [Fact]
    public async Task Create_ValidPolicy_IsStoredWithItsOrderedSourcesAndOverridesAndAudited()
    {
        await Store.ListAsync(); // the default policy is created first
        var announced = 0;
        Store.Changed += () => announced++;

        var result = await Store.CreateAsync(Marketer, CrmFirst());
        var stored = await Store.GetAsync(result.Policy!.Id);

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        Assert.NotNull(stored);
        Assert.Equal([_crm, _web], stored.SourcePrecedence);
        Assert.Equal(["address", "email"], stored.Overrides.Select(o => o.Key));
        Assert.Equal([_web], stored.Overrides[1].SourcePrecedence);
        Assert.Empty(stored.Overrides[0].SourcePrecedence);
        Assert.False(stored.IsDefault);
        Assert.Equal(1, announced);
        var entry = (await _studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.MergePolicyCreated), 0, 1)).Entries.Single();
        Assert.Equal(("marketer@example.com", "CRM first"), (entry.ActorName, entry.Target));
        Assert.Contains("source precedence CRM › Website", entry.Details);
    }

    [Fact]
    public async Task Create_InvalidPolicy_ListsEveryProblemAndSavesNothing()
    {
        var draft = new MergePolicyDraft(" ", null, IdentityStitching.Graph, AttributeMergeRule.SourcePrecedence, [_crm, 999, _crm],
            [new AttributeOverrideDraft("address..city", AttributeMergeRule.SourcePrecedence, []), new AttributeOverrideDraft("", AttributeMergeRule.Timestamp, [])]);

        var result = await Store.CreateAsync(Marketer, draft);

        Assert.False(result.Succeeded);
        Assert.Equal(
        [
            "Give the policy a name.",
            "The policy lists source #999, which does not exist.",
            "The policy lists CRM more than once.",
            "\"address..city\" is not an attribute key: use trait names joined by dots, e.g. address.city (at most 200 characters).",
            "The override for address..city uses source precedence: list at least one source (sources not listed are left out).",
            "Each override needs an attribute key, e.g. email or address.",
        ], result.Problems);
        Assert.Single(await Store.ListAsync());
    }

    [Fact]
    public async Task Create_SourcePrecedenceWithoutSources_IsRefused()
    {
        var draft = new MergePolicyDraft("Empty", null, IdentityStitching.Graph, AttributeMergeRule.SourcePrecedence, [], []);

        var result = await Store.CreateAsync(Marketer, draft);

        Assert.Contains("list at least one source", Assert.Single(result.Problems));
    }

    [Fact]
    public async Task Create_NameTakenInOtherCase_IsRefused()
    {
        var result = await Store.CreateAsync(Marketer, CrmFirst("most RECENT"));

        Assert.Equal(["A policy named \"most RECENT\" already exists."], result.Problems);
    }

    [Fact]
    public async Task Create_DuplicateOverrideKeys_IsRefused()
    {
        var draft = CrmFirst() with
        {
            Overrides = [new("email", AttributeMergeRule.Timestamp, []), new(" email ", AttributeMergeRule.Timestamp, [])],
        };

        var result = await Store.CreateAsync(Marketer, draft);

        Assert.Equal(["There are 2 overrides for email; keep one."], result.Problems);
    }

    [Fact]
    public async Task Create_TimestampPolicy_KeepsNoSourceList()
    {
        var draft = CrmFirst() with { AttributeMerge = AttributeMergeRule.Timestamp };

        var result = await Store.CreateAsync(Marketer, draft);

        Assert.Empty((await Store.GetAsync(result.Policy!.Id))!.SourcePrecedence);
    }

    [Fact]
    public async Task Create_AsDefault_UnsetsTheOldDefaultAndAuditsTheChange()
    {
        await Store.ListAsync();

        var result = await Store.CreateAsync(Marketer, CrmFirst(isDefault: true));

        var policies = await Store.ListAsync();
        Assert.Equal(["CRM first"], policies.Where(p => p.IsDefault).Select(p => p.Name));
        Assert.Equal(result.Policy!.Id, (await Store.GetDefaultAsync()).Id);
        var entry = (await _studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.MergePolicyDefaultChanged), 0, 1)).Entries.Single();
        Assert.Equal(("CRM first", "was \"Most recent\""), (entry.Target, entry.Details));
    }

    [Fact]
    public async Task MakeDefault_AnotherPolicy_LeavesExactlyOneDefault()
    {
        var created = (await Store.CreateAsync(Marketer, CrmFirst())).Policy!;

        var problem = await Store.MakeDefaultAsync(Marketer, created.Id);

        Assert.Null(problem);
        var defaults = (await Store.ListAsync()).Where(p => p.IsDefault).ToList();
        Assert.Equal([created.Id], defaults.Select(p => p.Id));
        Assert.Equal(1, await AuditCountAsync(AuditActions.MergePolicyDefaultChanged));
    }

    [Fact]
    public async Task Update_ChangesTheRuleAndOrderAndAuditsBeforeAndAfter()
    {
        var created = (await Store.CreateAsync(Marketer, CrmFirst())).Policy!;

        var result = await Store.UpdateAsync(Marketer, created.Id, CrmFirst("Website first") with { SourcePrecedence = [_web, _crm], Overrides = [] });

        Assert.True(result.Succeeded, string.Join("; ", result.Problems));
        var stored = (await Store.GetAsync(created.Id))!;
        Assert.Equal("Website first", stored.Name);
        Assert.Equal([_web, _crm], stored.SourcePrecedence);
        Assert.Empty(stored.Overrides);
        var entry = (await _studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.MergePolicyUpdated), 0, 1)).Entries.Single();
        Assert.StartsWith("renamed from \"CRM first\"; from [graph stitching, source precedence CRM › Website;", entry.Details);
        Assert.EndsWith("to [graph stitching, source precedence Website › CRM]", entry.Details);
    }

    [Fact]
    public async Task Update_TheDefaultToNotDefault_IsRefused()
    {
        var current = await Store.GetDefaultAsync();
        var draft = new MergePolicyDraft(current.Name, current.Description, current.Stitching, current.AttributeMerge, [], [], IsDefault: false);

        var result = await Store.UpdateAsync(Marketer, current.Id, draft);

        Assert.Contains("is the default policy; make another policy the default instead", Assert.Single(result.Problems));
        Assert.True((await Store.GetAsync(current.Id))!.IsDefault);
    }

    [Fact]
    public async Task Update_ToTheNameOfAnother_IsRefused()
    {
        var created = (await Store.CreateAsync(Marketer, CrmFirst())).Policy!;

        var result = await Store.UpdateAsync(Marketer, created.Id, CrmFirst(MergePolicy.DefaultName));

        Assert.Equal(["A policy named \"Most recent\" already exists."], result.Problems);
    }

    [Fact]
    public async Task Delete_TheDefault_IsRefused()
    {
        var current = await Store.GetDefaultAsync();

        var problem = await Store.DeleteAsync(Marketer, current.Id);

        Assert.Contains("cannot be deleted", problem);
        Assert.Single(await Store.ListAsync());
    }

    [Fact]
    public async Task Delete_AnotherPolicy_RemovesItAndAuditsIt()
    {
        var created = (await Store.CreateAsync(Marketer, CrmFirst())).Policy!;

        var problem = await Store.DeleteAsync(Marketer, created.Id);

        Assert.Null(problem);
        Assert.Null(await Store.GetAsync(created.Id));
        Assert.Equal(1, await AuditCountAsync(AuditActions.MergePolicyDeleted));
    }

    [Fact]
    public async Task Find_ByIdOrNameInAnyCase_FindsThePolicy()
    {
        var created = (await Store.CreateAsync(Marketer, CrmFirst())).Policy!;

        var byId = await Store.FindAsync(created.Id.ToString());
        var byName = await Store.FindAsync(" crm FIRST ");
        var missing = await Store.FindAsync("nope");

        Assert.Equal((created.Id, created.Id), (byId?.Id, byName?.Id));
        Assert.Null(missing);
    }

    [Fact]
    public async Task Evaluate_StoredPolicy_ReadsTheSameRulesThatWereSaved()
    {
        var created = (await Store.CreateAsync(Marketer, CrmFirst())).Policy!;
        var stored = (await Store.GetAsync(created.Id))!;
        var at = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

        var view = MergePolicyEvaluator.Evaluate(
        [
            new() { SourceId = _crm, Key = "email", ValueJson = "\"crm@example.com\"", EventAt = at, MessageId = 1 },
            new() { SourceId = _web, Key = "email", ValueJson = "\"web@example.com\"", EventAt = at.AddDays(-1), MessageId = 2 },
            new() { SourceId = _crm, Key = "tier", ValueJson = "\"gold\"", EventAt = at.AddDays(-1), MessageId = 3 },
            new() { SourceId = _web, Key = "tier", ValueJson = "\"silver\"", EventAt = at, MessageId = 4 },
        ], stored);

        Assert.Equal("web@example.com", view.Values["email"].GetString());
        Assert.Equal("gold", view.Values["tier"].GetString());
    }
}
