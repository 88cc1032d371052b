using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/Account/ChangePassword: a static server-rendered form.</summary>
public sealed class ChangePasswordPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Change password" });
    public ILocator MustChangeMessage => page.GetByTestId("must-change");
    public ILocator CurrentPassword => page.Locator("#current");
    public ILocator NewPassword => page.Locator("#new");
    public ILocator ConfirmPassword => page.Locator("#confirm");
    public ILocator SubmitButton => page.GetByTestId("change-password");
    public ILocator Error => page.GetByTestId("change-password-error");

    public async Task ExpectShownAsync()
    {
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/ChangePassword"));
        await Assertions.Expect(Heading).ToBeVisibleAsync();
    }

    public async Task ChangeAsync(string current, string next)
    {
        await CurrentPassword.FillAsync(current);
        await NewPassword.FillAsync(next);
        await ConfirmPassword.FillAsync(next);
        await page.ClickAndWaitForNewDocumentAsync(SubmitButton);
    }
}
