using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>The refusal shown for a page the user's roles may not open.</summary>
public sealed class AccessDeniedPage(IPage page)
{
    public ILocator Panel => page.GetByTestId("access-denied");
    public ILocator Heading => Panel.GetByRole(AriaRole.Heading, new() { Name = "Access denied" });

    public Task ExpectShownAsync() => Assertions.Expect(Heading).ToBeVisibleAsync();
}
