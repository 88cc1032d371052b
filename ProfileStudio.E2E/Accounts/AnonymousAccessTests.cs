using System.Text.RegularExpressions;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Accounts;

public sealed class AnonymousAccessTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    [Fact]
    public Task AnonymousVisitToHome_LandsOnSignIn() => WithPageAsync(async page =>
    {
        await page.GotoAsync("/");

        await Expect(page).ToHaveURLAsync(new Regex(@"/Account/Login\?ReturnUrl=%2F$"));
        await new LoginPage(page).ExpectShownAsync();
    });
}
