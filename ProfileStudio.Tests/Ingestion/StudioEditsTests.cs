using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Data.Sources;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;
using ProfileStudio.Tests.Components;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>Studio edits in the real app: the key rule, and the studio's own source that must stay on.</summary>
public sealed class StudioEditsTests(IngestionAppFactory app) : StudioBunitContext, IClassFixture<IngestionAppFactory>
{
    private StudioEdits Edits => app.Services.GetRequiredService<StudioEdits>();

    [Fact]
    public async Task SetAttribute_KeyWithinTheRule_IsWrittenToTheLake()
    {
        var result = await Edits.SetAttributeAsync(AuditActor.System, new IdentityKey("user_id", "edits-1"), "address.post-code_2", "AB1 2CD");

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public void EditableIdentity_AUserIdFirst_ElseAnAnonymousId_ElseNone()
    {
        IdentityKey Key(string text) => IdentityKey.Parse(text)!.Value;

        Assert.Equal(Key("user_id:ada"), StudioEdits.EditableIdentity([Key("crm_id:C-1"), Key("anonymous_id:d-1"), Key("user_id:ada")]));
        Assert.Equal(Key("anonymous_id:d-1"), StudioEdits.EditableIdentity([Key("crm_id:C-1"), Key("anonymous_id:d-1"), Key("email:a@example.com")]));
        Assert.Null(StudioEdits.EditableIdentity([Key("email:a@example.com"), Key("phone:+447700900123")]));
    }

    [Fact]
    public async Task SetAttribute_ProfileKnownByAnEmailOnly_IsRefusedWithTheSameWordsTheFormShows()
    {
        var result = await Edits.SetAttributeAsync(AuditActor.System, new IdentityKey("email", "a@example.com"), "plan", "vip");

        Assert.False(result.Succeeded);
        Assert.Equal(StudioEdits.NotEditable, result.Error);
    }

    [Fact]
    public async Task SetAttribute_KeyAgainstTheRule_IsRefused_NothingWritten()
    {
        await using var before = await app.DbAsync();
        var count = await before.RawMessages.CountAsync();

        var result = await Edits.SetAttributeAsync(AuditActor.System, new IdentityKey("user_id", "edits-2"), "bad key with spaces!", "x");

        Assert.False(result.Succeeded);
        Assert.Contains("a space", result.Error);
        await using var after = await app.DbAsync();
        Assert.Equal(count, await after.RawMessages.CountAsync());
    }

    [Fact]
    public async Task StudioEditsSource_CannotBeDisabledOrRenamed_InCoreOrFromItsSettings_OtherSourcesCan()
    {
        Assert.True((await Edits.SetAttributeAsync(AuditActor.System, new IdentityKey("user_id", "edits-3"), "plan", "vip")).Succeeded);
        var registry = app.Services.GetRequiredService<SourceRegistry>();
        var sources = await registry.NamesAsync();
        var studio = sources.Single(s => s.Value == StudioEdits.SourceName).Key;

        var disabled = await registry.SetEnabledAsync(AuditActor.System, studio, false);
        var renamed = await registry.UpdateAsync(AuditActor.System, studio, "Edits", null);

        Assert.False(disabled.Succeeded);
        Assert.Contains("cannot be disabled", disabled.Error);
        Assert.False(renamed.Succeeded);
        var source = (await registry.GetAsync(studio))!.Source;
        Assert.True(source.Enabled);
        Assert.Equal(StudioEdits.SourceName, source.Name);

        var web = sources.Single(s => s.Value == "Web").Key;
        Assert.True((await registry.SetEnabledAsync(AuditActor.System, web, false)).Succeeded);
        Assert.True((await registry.SetEnabledAsync(AuditActor.System, web, true)).Succeeded);

        // The settings panel offers no switch for it.
        Services.AddSingleton(registry);
        Services.AddScoped<ProfileStudio.Accounts.CurrentActor>();
        Services.AddScoped<RevealedWriteKeys>();
        var panel = Render<SourceSettingsPanel>(p => p.Add(c => c.Source, source));
        Assert.Empty(panel.FindAll("[data-testid=toggle-enabled]"));
        Assert.Single(panel.FindAll("[data-testid=studio-edits-always-on]"));
    }

    [Fact]
    public async Task TheStudioEditsName_IsReserved_NoSourceTakesItByCreatingOrRenaming_InAnyCase()
    {
        var registry = app.Services.GetRequiredService<SourceRegistry>();
        var web = (await registry.NamesAsync()).Single(s => s.Value == "Web").Key;

        var created = await registry.CreateAsync(AuditActor.System, "studio EDITS", SourceKind.Streaming, null);
        var renamed = await registry.UpdateAsync(AuditActor.System, web, " Studio edits ", null);

        Assert.False(created.Succeeded);
        Assert.Contains("the studio's own source", created.Error);
        Assert.False(renamed.Succeeded);
        Assert.Contains("the studio's own source", renamed.Error);
        Assert.Equal("Web", (await registry.GetAsync(web))!.Source.Name);
        // The studio still creates its own on the first edit, and edits go to it, not to a look-alike.
        Assert.True((await Edits.SetAttributeAsync(AuditActor.System, new IdentityKey("user_id", "edits-4"), "plan", "vip")).Succeeded);
        Assert.Single((await registry.NamesAsync()).Values, n => string.Equals(n, StudioEdits.SourceName, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SourceNames_DifferInMoreThanLetterCase()
    {
        var registry = app.Services.GetRequiredService<SourceRegistry>();
        var name = $"Kiosk {Guid.NewGuid():N}"[..14];
        var other = await registry.CreateAsync(AuditActor.System, name, SourceKind.Streaming, null);
        Assert.True(other.Succeeded, other.Error);

        var created = await registry.CreateAsync(AuditActor.System, "WEB", SourceKind.Streaming, null);
        var renamed = await registry.UpdateAsync(AuditActor.System, other.Source!.Id, "web", null);
        var recased = await registry.UpdateAsync(AuditActor.System, other.Source.Id, name.ToUpperInvariant(), null);

        Assert.False(created.Succeeded);
        Assert.Contains("A source named \"Web\" already exists", created.Error);
        Assert.False(renamed.Succeeded);
        Assert.True(recased.Succeeded); // its own name in other letters
    }
}
