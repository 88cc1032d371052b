using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/admin/users: the accounts grid, the Create user dialog and the one-time secret dialog.</summary>
public sealed class UsersPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Users", Exact = true });
    public ILocator CreateUserButton => page.GetByTestId("create-user");
    public ILocator Grid => page.GetByTestId("users-grid");

    public CreateUserDialog CreateDialog { get; } = new(page);
    public SecretDialog Secret { get; } = new(page);

    public ILocator Row(string email) =>
        Grid.Locator("tbody tr").Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = email, Exact = true }) });

    public async Task GotoAsync()
    {
        await new ShellPage(page).OpenAsync("admin/users");
        await ExpectShownAsync();
    }

    public async Task ExpectShownAsync()
    {
        await Assertions.Expect(Heading).ToBeVisibleAsync();
        await Assertions.Expect(Grid).ToBeVisibleAsync();
    }

    public async Task<CreateUserDialog> OpenCreateDialogAsync()
    {
        await CreateUserButton.ClickAsync();
        await Assertions.Expect(CreateDialog.Email).ToBeVisibleAsync();
        return CreateDialog;
    }

    public Task ExpectLockedAsync(string email) =>
        Assertions.Expect(Row(email).GetByTestId("status-locked")).ToBeVisibleAsync();
}

public sealed class CreateUserDialog(IPage page)
{
    public ILocator Email => page.MudInput("new-user-email");
    public ILocator Password => page.MudInput("new-user-password");
    public ILocator SubmitButton => page.GetByTestId("create-user-submit");
    public ILocator Error => page.GetByTestId("create-user-error");

    public ILocator Role(string role) => page.Locator($"input[type=checkbox][data-testid='role-{role}'], [data-testid='role-{role}'] input[type=checkbox]");

    public async Task FillAsync(string email, params string[] roles)
    {
        await Email.FillAsync(email);
        foreach (var role in roles)
        {
            await Role(role).CheckAsync();
        }
    }

    public Task SubmitAsync() => SubmitButton.ClickAsync();
}

/// <summary>The dialog that shows a generated password once.</summary>
public sealed class SecretDialog(IPage page)
{
    public ILocator Value => page.MudInput("secret-value");
    public ILocator DoneButton => page.GetByTestId("secret-done");

    public async Task<string> ReadAsync()
    {
        await Assertions.Expect(Value).ToBeVisibleAsync();
        await Assertions.Expect(Value).Not.ToHaveValueAsync("");
        return await Value.InputValueAsync();
    }

    public async Task CloseAsync()
    {
        await DoneButton.ClickAsync();
        await Assertions.Expect(Value).ToHaveCountAsync(0);
    }
}
