using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Identity;

public sealed class IdentityRulesStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 15, 10, 0, 0, TimeSpan.Zero);
    private static readonly AuditActor Ana = new("ana", "ana@example.com");
    private static readonly AuditActor Ben = new("ben", "ben@example.com");

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

        var saved = await store.SaveAsync(AuditActor.System, new IdentityNamespace { Name = "member_id", Priority = 3, Limit = 1, TraitKeys = ["memberId"], BlockedValues = ["none"] });
        var rules = await store.LoadAsync();

        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
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

        var result = await store.SaveAsync(AuditActor.System, new IdentityNamespace
        {
            Name = "Bad Name", Priority = 0, Limit = 99, BlockedPatterns = ["(unclosed"], Normalization = Normalization.Phone, DefaultCountry = "XX",
        });

        Assert.False(result.Succeeded);
        Assert.Equal(5, result.Problems.Count);
        Assert.Equal(6, (await store.ListAsync()).Count);
    }

    [Fact]
    public async Task Delete_BuiltIn_IsRefused()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var store = studio.Services.GetRequiredService<IdentityRulesStore>();
        var email = (await store.ListAsync()).Single(n => n.Name == "email");

        var refused = await store.DeleteAsync(AuditActor.System, email.Id);

        Assert.False(refused.Succeeded);
        Assert.Contains("built in", Assert.Single(refused.Problems));
    }

    private static async Task<(StudioServices Studio, IdentityRulesStore Store, FakeTimeProvider Clock)> StartAsync()
    {
        var clock = new FakeTimeProvider(Start);
        var studio = await StudioServices.StartAsync(withAccounts: false, time: clock);
        return (studio, studio.Services.GetRequiredService<IdentityRulesStore>(), clock);
    }

    private static IdentityNamespace Edit(IdentityNamespace stored, Action<IdentityNamespace> change)
    {
        var edited = new IdentityNamespace
        {
            Id = stored.Id, Name = stored.Name, Normalization = stored.Normalization, Priority = stored.Priority, Limit = stored.Limit,
            BlockedValues = [.. stored.BlockedValues], BlockedPatterns = [.. stored.BlockedPatterns], DefaultCountry = stored.DefaultCountry,
            IsDevice = stored.IsDevice, TraitKeys = [.. stored.TraitKeys], BuiltIn = stored.BuiltIn,
        };
        change(edited);
        return edited;
    }

    [Fact]
    public async Task Save_FromARevisionSomeoneSavedOverSince_IsRefusedNamingThem_AndKeepsTheirChange()
    {
        var (studio, store, clock) = await StartAsync();
        await using var _ = studio;
        var opened = (await store.ListAsync()).Single(n => n.Name == "email"); // two tabs open the same rules
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True((await store.SaveAsync(Ana, Edit(opened, n => n.Limit = 3), opened.Revision)).Succeeded);

        var refused = await store.SaveAsync(Ben, Edit(opened, n => n.Priority = 7), opened.Revision);

        Assert.False(refused.Succeeded);
        Assert.Equal(new EditConflict("ana@example.com", Start.AddMinutes(2).UtcDateTime), refused.Conflict);
        Assert.Equal("ana@example.com saved this namespace at 15 Jun 2026, 10:02 UTC, after you opened it. Reload to see their change (your edits are not saved).",
            Assert.Single(refused.Problems));
        var stored = (await store.GetAsync(opened.Id))!;
        Assert.Equal((3, opened.Priority, 2, "ana@example.com"), (stored.Limit, stored.Priority, stored.Revision, stored.UpdatedBy));
        Assert.Single((await studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.NamespaceUpdated), 0, 10)).Entries);
    }

    [Fact]
    public async Task Save_FromTheRevisionStoredNow_Saves_AndRaisesIt()
    {
        var (studio, store, _) = await StartAsync();
        await using var __ = studio;
        var opened = (await store.ListAsync()).Single(n => n.Name == "email");
        var first = (await store.SaveAsync(Ana, Edit(opened, n => n.Limit = 3), opened.Revision)).Namespace!;
        var reloaded = (await store.GetAsync(opened.Id))!;

        var second = await store.SaveAsync(Ben, Edit(reloaded, n => n.Priority = 7), reloaded.Revision);

        Assert.True(second.Succeeded, string.Join("; ", second.Problems));
        Assert.Equal((1, 2, 3), (opened.Revision, first.Revision, second.Namespace!.Revision));
        var stored = (await store.GetAsync(opened.Id))!;
        Assert.Equal((3, 7, 3, "ben@example.com"), (stored.Limit, stored.Priority, stored.Revision, stored.UpdatedBy));
    }

    [Fact]
    public async Task Save_OfANamespaceDeletedSinceItWasOpened_IsRefusedNamingWhoDeletedIt_AndDoesNotBringItBack()
    {
        var (studio, store, clock) = await StartAsync();
        await using var _ = studio;
        var created = (await store.SaveAsync(Ana, new IdentityNamespace { Name = "member_id", Priority = 3, Limit = 1, TraitKeys = ["memberId"] })).Namespace!;
        var opened = (await store.GetAsync(created.Id))!;
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True((await store.DeleteAsync(Ana, opened.Id, opened.Revision)).Succeeded);

        var refused = await store.SaveAsync(Ben, Edit(opened, n => n.Limit = 2), opened.Revision);
        var withoutRevision = await store.SaveAsync(Ben, Edit(opened, n => n.Limit = 2)); // no revision: still not created again

        Assert.False(refused.Succeeded);
        Assert.Equal("ana@example.com deleted this namespace at 15 Jun 2026, 10:05 UTC, after you opened it. "
            + "Your edits are not saved; add \"member_id\" again (Add namespace) if it is still needed.", Assert.Single(refused.Problems));
        Assert.False(withoutRevision.Succeeded);
        Assert.DoesNotContain(await store.ListAsync(), n => n.Name == "member_id");
        Assert.Null((await store.LoadAsync()).Find("member_id"));
    }

    [Fact]
    public async Task Delete_FromARevisionSomeoneSavedOverSince_IsRefused_ThenDeletesFromTheCurrentOne()
    {
        var (studio, store, clock) = await StartAsync();
        await using var _ = studio;
        var opened = (await store.SaveAsync(Ana, new IdentityNamespace { Name = "member_id", Priority = 3, Limit = 1 })).Namespace!;
        clock.Advance(TimeSpan.FromMinutes(1));
        var edited = (await store.SaveAsync(Ana, Edit(opened, n => n.TraitKeys = ["memberId"]), opened.Revision)).Namespace!;

        var refused = await store.DeleteAsync(Ben, opened.Id, opened.Revision);

        Assert.Equal("ana@example.com", refused.Conflict?.SavedBy);
        Assert.NotNull(await store.GetAsync(opened.Id));
        Assert.Empty((await studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.NamespaceDeleted), 0, 10)).Entries);
        Assert.True((await store.DeleteAsync(Ben, opened.Id, edited.Revision)).Succeeded);
        Assert.Null(await store.GetAsync(opened.Id));
    }

    [Fact]
    public async Task Save_TwoEditorsFromTheSameRevisionAtOnce_OneIsSaved_TheOtherRefused()
    {
        var (studio, store, _) = await StartAsync();
        await using var __ = studio;
        var opened = (await store.ListAsync()).Single(n => n.Name == "phone");

        // Both read revision 1 before either writes: the database's check (Revision is a concurrency token) decides.
        var results = await Task.WhenAll(
            Task.Run(() => store.SaveAsync(Ana, Edit(opened, n => n.Limit = 2), opened.Revision)),
            Task.Run(() => store.SaveAsync(Ben, Edit(opened, n => n.Limit = 4), opened.Revision)));

        var saved = Assert.Single(results, r => r.Succeeded);
        Assert.NotNull(Assert.Single(results, r => !r.Succeeded).Conflict);
        var stored = (await store.GetAsync(opened.Id))!;
        Assert.Equal((saved.Namespace!.Limit, 2), (stored.Limit, stored.Revision));
    }
}
