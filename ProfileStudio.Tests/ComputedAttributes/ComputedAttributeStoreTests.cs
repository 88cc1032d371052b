using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Schema;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ComputedAttributes;

/// <summary>
/// ComputedAttributeStore on real SQLite: changes made from what an editor loaded are refused once someone saved over it, and
/// names are checked against the traits sources send (the union schema).
/// </summary>
public sealed class ComputedAttributeStoreTests : IAsyncLifetime
{
    private static readonly AuditActor Mara = new("u1", "mara@example.com");
    private static readonly AuditActor Ana = new("u2", "ana@example.com");
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 14, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private StudioServices _studio = null!;

    private ComputedAttributeStore Store => _studio.Services.GetRequiredService<ComputedAttributeStore>();

    /// <summary>Sources sent email to profiles 1 and 2, address.city and address.zip to profile 1.</summary>
    public async Task InitializeAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false, time: _time);
        var seed = new ProfileStoreSeed(_studio.Services);
        var crm = await seed.SourceAsync("CRM");
        var m = await seed.MessageAsync(crm, new { type = "identify" }, ProfileStoreSeed.T0);
        await seed.ProfileAsync(1, m, m);
        await seed.ProfileAsync(2, m, m);
        await seed.AttributeAsync(1, crm, "email", "\"ada@example.com\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(2, crm, "email", "\"grace@example.com\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(1, crm, "address.city", "\"London\"", ProfileStoreSeed.T0, m);
        await seed.AttributeAsync(1, crm, "address.zip", "\"N1\"", ProfileStoreSeed.T0, m);
        await _studio.Services.GetRequiredService<SchemaMaintainer>().RecountAsync();
    }

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private static readonly ComputedAttributeDraft Orders =
        new("orders", "Orders, all time", ComputedFunction.Count, ["Order Completed"], null, [], LookbackWindow.AllTime);

    private static ComputedAttributeDraft Count(string name) => new(name, null, ComputedFunction.Count, ["Order Completed"], null, [], LookbackWindow.AllTime);

    [Fact]
    public async Task SaveAsync_FromARevisionSomeoneSavedOverSince_IsRefusedSayingWhoAndWhen_AndChangesNothing()
    {
        var opened = (await Store.SaveAsync(Mara, null, Orders)).Definition!;
        _time.Advance(TimeSpan.FromMinutes(2));
        // A new description alone keeps the version: still a change the second save would undo.
        Assert.True((await Store.SaveAsync(Ana, opened.Id, Orders with { Description = "Completed orders" }, opened.Revision)).Succeeded);
        _time.Advance(TimeSpan.FromMinutes(5));

        var refused = await Store.SaveAsync(Mara, opened.Id, Orders with { Window = LookbackWindow.Days(30) }, opened.Revision);

        Assert.False(refused.Succeeded);
        Assert.Equal(new EditConflict("ana@example.com", Start.UtcDateTime.AddMinutes(2)), refused.Conflict);
        Assert.Equal("ana@example.com saved this computed attribute at 3 Dec 2026, 14:02 UTC, after you opened it. Reload to see their change (your edits are not saved).",
            Assert.Single(refused.Problems));
        var stored = (await Store.GetAsync(opened.Id))!;
        Assert.Equal(("Completed orders", LookbackWindow.AllTime, 1, 2, "ana@example.com"),
            (stored.Description, stored.Window, stored.Version, stored.Revision, stored.UpdatedBy));
    }

    [Fact]
    public async Task DeleteAsync_FromARevisionSomeoneSavedOverSince_IsRefused_AndKeepsTheirChange_ThenDeletesFromTheCurrentOne()
    {
        var opened = (await Store.SaveAsync(Mara, null, Orders)).Definition!;
        _time.Advance(TimeSpan.FromMinutes(2));
        var edited = (await Store.SaveAsync(Ana, opened.Id, Orders with { Window = LookbackWindow.Days(30) }, opened.Revision)).Definition!;

        var refused = await Store.DeleteAsync(Mara, opened.Id, opened.Revision);

        Assert.False(refused.Succeeded);
        Assert.Equal(new EditConflict("ana@example.com", Start.UtcDateTime.AddMinutes(2)), refused.Conflict);
        Assert.Equal(LookbackWindow.Days(30), (await Store.GetAsync(opened.Id))!.Window);

        Assert.True((await Store.DeleteAsync(Mara, opened.Id, edited.Revision)).Succeeded);
        Assert.Null(await Store.GetAsync(opened.Id));
    }

    [Fact]
    public async Task SaveAsync_FromTheRevisionStoredNow_Saves_AndRaisesIt()
    {
        var opened = (await Store.SaveAsync(Mara, null, Orders)).Definition!;
        Assert.True((await Store.SaveAsync(Ana, opened.Id, Orders with { Description = "Completed orders" }, opened.Revision)).Succeeded);
        var reloaded = (await Store.GetAsync(opened.Id))!;

        var saved = await Store.SaveAsync(Mara, opened.Id, Orders with { Description = "Completed orders", Window = LookbackWindow.Days(30) }, reloaded.Revision);

        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        var stored = (await Store.GetAsync(opened.Id))!;
        Assert.Equal(("Completed orders", LookbackWindow.Days(30), 2, 3), (stored.Description, stored.Window, stored.Version, stored.Revision));
    }

    [Fact]
    public async Task ActivateAndDisable_FromARevisionSomeoneSavedOverSince_AreRefused_AndEachRaisesTheRevision()
    {
        var opened = (await Store.SaveAsync(Mara, null, Orders)).Definition!;
        var edited = (await Store.SaveAsync(Ana, opened.Id, Orders with { Window = LookbackWindow.Days(7) }, opened.Revision)).Definition!;

        Assert.Equal("ana@example.com", (await Store.ActivateAsync(Mara, opened.Id, opened.Revision)).Conflict?.SavedBy);
        Assert.Equal(ComputedStatus.Draft, (await Store.GetAsync(opened.Id))!.Status);

        var activated = await Store.ActivateAsync(Mara, opened.Id, edited.Revision);
        Assert.True(activated.Succeeded, string.Join("; ", activated.Problems));
        Assert.Equal("mara@example.com", (await Store.DisableAsync(Ana, opened.Id, edited.Revision)).Conflict?.SavedBy);
        Assert.Equal(ComputedStatus.Active, (await Store.GetAsync(opened.Id))!.Status);
        Assert.True((await Store.DisableAsync(Ana, opened.Id, activated.Definition!.Revision)).Succeeded);
        var stored = (await Store.GetAsync(opened.Id))!;
        Assert.Equal((ComputedStatus.Disabled, 4), (stored.Status, stored.Revision));
    }

    [Fact]
    public async Task NameWarningsAsync_TheNameOfATraitSourcesSend_SaysTheComputedOneReplacesIt()
    {
        Assert.Equal(["email is also a trait sources send (seen on 2 profiles): this computed attribute will replace it in the Profile API and in segments."],
            await Store.NameWarningsAsync(" email "));
        Assert.Empty(await Store.NameWarningsAsync("Email")); // keys are compared exactly, as every reader does
        Assert.Empty(await Store.NameWarningsAsync("email_count"));
        Assert.Empty(await Store.NameWarningsAsync("e mail")); // not a key: the validator's problem, no warning
    }

    [Fact]
    public async Task NameWarningsAsync_TraitsSentUnderTheName_SaysTheProfileApisObjectGivesWay()
    {
        Assert.Equal(["Sources send traits under address (address.city seen on 1 profile, address.zip seen on 1 profile): in the Profile API this computed "
            + "attribute will replace the whole address object; segments still read those traits as sent."], await Store.NameWarningsAsync("address"));
    }

    [Fact]
    public async Task SaveAsync_TheNameOfATraitSourcesSend_IsAWarningNotARefusal_ButADottedOneIsRefusedSayingWhy()
    {
        var email = await Store.SaveAsync(Mara, null, Count("email"));
        var dotted = await Store.SaveAsync(Mara, null, Count("address.city"));
        var dottedElsewhere = await Store.SaveAsync(Mara, null, Count("address.country"));

        Assert.True(email.Succeeded, string.Join("; ", email.Problems));
        Assert.False(dotted.Succeeded);
        Assert.Equal("address.city is a trait sources send (seen on 1 profile). The Profile API would show both: the sent one nested as address → city "
            + "and this one as \"address.city\", while segments would read this one. Choose a name without a dot, or another name.", Assert.Single(dotted.Problems));
        Assert.True(dottedElsewhere.Succeeded, string.Join("; ", dottedElsewhere.Problems));
    }
}
