using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/admin/api-tokens: the tokens grid, the Create token dialog, the one-time secret and the revoke confirmation.</summary>
public sealed class ApiTokensPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "API tokens", Exact = true });
    public ILocator CreateButton => page.GetByTestId("create-token");
    public ILocator Grid => page.GetByTestId("tokens-grid");
    public ILocator Name => page.MudInput("token-name");
    public ILocator SubmitButton => page.GetByTestId("create-token-submit");
    public ILocator Error => page.GetByTestId("create-token-error");
    public SecretDialog Secret { get; } = new(page);

    /// <summary>The confirmation's own button, not a row's "Revoke …" icon.</summary>
    public ILocator ConfirmRevokeButton => page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true });

    public ILocator Scope(string scope)
    {
        var testId = "scope-" + scope.Replace(':', '-');
        return page.Locator($"input[type=checkbox][data-testid='{testId}'], [data-testid='{testId}'] input[type=checkbox]");
    }

    public ILocator Row(string name) =>
        Grid.Locator("tbody tr").Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = name, Exact = true }) });

    public ILocator PrefixOf(string name) => Row(name).GetByTestId("token-prefix");
    public ILocator LastUsedOf(string name) => Row(name).GetByTestId("token-last-used");
    public ILocator RevokeButtonOf(string name) => Row(name).GetByTestId("revoke-token");

    public async Task GotoAsync()
    {
        await new ShellPage(page).OpenAsync("admin/api-tokens");
        await Assertions.Expect(Heading).ToBeVisibleAsync();
    }

    public async Task OpenCreateDialogAsync()
    {
        await CreateButton.ClickAsync();
        await Assertions.Expect(Name).ToBeVisibleAsync();
    }

    public async Task FillAsync(string name, params string[] scopes)
    {
        await Name.FillAsync(name);
        foreach (var scope in scopes)
        {
            await Scope(scope).CheckAsync();
        }
    }

    public Task ExpectActiveAsync(string name) => Assertions.Expect(Row(name).GetByTestId("status-active")).ToBeVisibleAsync();

    public Task ExpectRevokedAsync(string name) => Assertions.Expect(Row(name).GetByTestId("status-revoked")).ToBeVisibleAsync();
}
