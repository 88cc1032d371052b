using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/Account/Login: a static server-rendered form.</summary>
public sealed class LoginPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" });
    public ILocator Email => page.Locator("#email");
    public ILocator Password => page.Locator("#password");
    public ILocator SignInButton => page.GetByTestId("sign-in");
    public ILocator Error => page.GetByTestId("login-error");

    public async Task GotoAsync()
    {
        await page.GotoAsync("Account/Login");
        await ExpectShownAsync();
    }

    public Task ExpectShownAsync() => Assertions.Expect(SignInButton).ToBeVisibleAsync();

    /// <summary>Submits the form and waits for the answer: the next page, or this one with an error.</summary>
    public async Task SignInAsync(string email, string password)
    {
        await Email.FillAsync(email);
        await Password.FillAsync(password);
        await page.ClickAndWaitForNewDocumentAsync(SignInButton);
    }
}
