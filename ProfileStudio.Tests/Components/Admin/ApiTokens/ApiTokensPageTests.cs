using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Admin.ApiTokens;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Security;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Admin.ApiTokens;

/// <summary>The Admin › API tokens page on a real token store (SQLite), with MudBlazor's dialogs.</summary>
public sealed class ApiTokensPageTests : StudioBunitContext
{
    private StudioServices? _studio;

    private ApiTokenStore Store => _studio!.Services.GetRequiredService<ApiTokenStore>();

    /// <summary>The store on a fresh database, the dialog host, and an Admin signed in.</summary>
    private async Task<IRenderedComponent<MudDialogProvider>> StartAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        Services.AddSingleton(Store);
        Services.AddScoped<CurrentActor>();
        SignIn("admin@example.com", Roles.Admin);
        Render<MudPopoverProvider>();
        return Render<MudDialogProvider>();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }

    private static IReadOnlyList<IElement> Rows(IRenderedComponent<ApiTokensPage> page) =>
        page.FindAll("[data-testid=tokens-grid] tbody tr");

    private static IElement Row(IRenderedComponent<ApiTokensPage> page, string name) =>
        Rows(page).Single(r => r.QuerySelector("td")!.TextContent.Trim() == name);

    private static IElement Button(IRenderedComponent<MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == text);

    [Fact]
    public async Task Render_NoTokens_ShowsTheEmptyStateAndHowToUseATokenAsync()
    {
        await StartAsync();

        var page = Render<ApiTokensPage>();

        page.WaitForElement("[data-testid=tokens-empty]");
        Assert.Contains("No API tokens yet", page.Markup);
        Assert.Contains("/api/v1/tokens/me", page.Find("[data-testid=token-usage]").TextContent);
    }

    [Fact]
    public async Task Render_Tokens_ShowsPrefixScopesCreatorLastUseAndStatus()
    {
        await StartAsync();
        var actor = new AuditActor("u1", "ops@example.com");
        var used = await Store.CreateAsync(actor, "Support widget", [ApiScopes.ProfilesRead, ApiScopes.ProfilesDelete]);
        var revoked = await Store.CreateAsync(actor, "Old export", [ApiScopes.IngestBatch]);
        await Store.AuthenticateAsync(used.Secret!);
        await Store.RevokeAsync(actor, revoked.Token!.Id);

        var page = Render<ApiTokensPage>();

        page.WaitForAssertion(() => Assert.Equal(2, Rows(page).Count));
        var active = Row(page, "Support widget");
        Assert.Equal(used.Secret![..12] + "…", active.QuerySelector("[data-testid=token-prefix]")!.TextContent);
        Assert.Equal(["profiles:read", "profiles:delete"], active.QuerySelectorAll("[data-testid=token-scope]").Select(c => c.TextContent.Trim()));
        Assert.Contains("ops@example.com", active.TextContent);
        Assert.NotEqual("never", active.QuerySelector("[data-testid=token-last-used]")!.TextContent.Trim());
        Assert.NotNull(active.QuerySelector("[data-testid=status-active]"));
        Assert.NotNull(active.QuerySelector("[data-testid=revoke-token]"));
        var old = Row(page, "Old export");
        Assert.Equal("never", old.QuerySelector("[data-testid=token-last-used]")!.TextContent.Trim());
        Assert.NotNull(old.QuerySelector("[data-testid=status-revoked]"));
        Assert.Null(old.QuerySelector("[data-testid=revoke-token]"));
        Assert.DoesNotContain(used.Secret!, page.Markup);
    }

    [Fact]
    public async Task Create_ThroughTheDialog_ShowsTheSecretOnceThenListsTheToken()
    {
        var dialogs = await StartAsync();
        var page = Render<ApiTokensPage>();

        page.Find("[data-testid=create-token]").Click();
        dialogs.WaitForElement("[data-testid=create-token-dialog]");
        dialogs.Find("input[data-testid=token-name]").Change("Checkout service");
        dialogs.Find("[data-testid=scope-profiles-read]").Change(true);
        dialogs.Find("[data-testid=scope-ingest-batch]").Change(true);
        dialogs.Find("[data-testid=create-token-submit]").Click();

        var secret = dialogs.WaitForElement("input[data-testid=secret-value]").GetAttribute("value")!;
        Assert.StartsWith("pst_", secret);
        var credential = await Store.AuthenticateAsync(secret);
        Assert.Equal("Checkout service", credential?.Name);
        Assert.Equal([ApiScopes.ProfilesRead, ApiScopes.IngestBatch], credential!.Scopes);
        dialogs.Find("[data-testid=secret-done]").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=secret-dialog]")));
        page.WaitForAssertion(() => Assert.Single(Rows(page)));
        Assert.Contains(secret[..12], Row(page, "Checkout service").TextContent);
        Assert.DoesNotContain(secret, page.Markup + dialogs.Markup);
    }

    [Fact]
    public async Task Create_WithoutAScope_SaysWhatToFixAndCreatesNothing()
    {
        var dialogs = await StartAsync();
        var page = Render<ApiTokensPage>();

        page.Find("[data-testid=create-token]").Click();
        dialogs.WaitForElement("[data-testid=create-token-dialog]");
        dialogs.Find("input[data-testid=token-name]").Change("No scopes");
        dialogs.Find("[data-testid=create-token-submit]").Click();

        dialogs.WaitForAssertion(() => Assert.Equal("Choose at least one scope.", dialogs.Find("[data-testid=create-token-error]").TextContent.Trim()));
        Assert.Empty(dialogs.FindAll("[data-testid=secret-dialog]"));
        Assert.Empty(await Store.ListAsync());
    }

    [Fact]
    public async Task Revoke_Confirmed_MarksTheTokenRevokedAndItStopsWorking()
    {
        var dialogs = await StartAsync();
        var created = await Store.CreateAsync(AuditActor.System, "Leaked", [ApiScopes.ProfilesRead]);
        var page = Render<ApiTokensPage>();
        page.WaitForAssertion(() => Assert.Single(Rows(page)));

        Row(page, "Leaked").QuerySelector("[data-testid=revoke-token]")!.Click();
        dialogs.WaitForAssertion(() => Assert.Contains("get 401 from now on", dialogs.Markup));
        Button(dialogs, "Revoke").Click();

        page.WaitForAssertion(() => Assert.NotNull(Row(page, "Leaked").QuerySelector("[data-testid=status-revoked]")));
        Assert.Null(await Store.AuthenticateAsync(created.Secret!));
        var entry = Assert.Single((await _studio!.Audit.QueryAsync(new AuditFilter(Action: AuditActions.ApiTokenRevoked), 0, 10)).Entries);
        Assert.Equal("admin@example.com", entry.ActorName);
    }

    [Fact]
    public async Task Revoke_Cancelled_KeepsTheTokenActive()
    {
        var dialogs = await StartAsync();
        var created = await Store.CreateAsync(AuditActor.System, "Keep me", [ApiScopes.ProfilesRead]);
        var page = Render<ApiTokensPage>();
        page.WaitForAssertion(() => Assert.Single(Rows(page)));

        Row(page, "Keep me").QuerySelector("[data-testid=revoke-token]")!.Click();
        dialogs.WaitForAssertion(() => Assert.Contains("get 401 from now on", dialogs.Markup));
        Button(dialogs, "Cancel").Click();

        dialogs.WaitForAssertion(() => Assert.DoesNotContain("get 401 from now on", dialogs.Markup));
        Assert.NotNull(Row(page, "Keep me").QuerySelector("[data-testid=status-active]"));
        Assert.NotNull(await Store.AuthenticateAsync(created.Secret!));
    }
}
