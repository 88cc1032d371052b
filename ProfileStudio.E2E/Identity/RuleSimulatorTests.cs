using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Identity;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Identity;

public sealed class RuleSimulatorTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    [Fact]
    public Task MarketerRunsTheSharedDeviceExample_RaisesTheUserIdLimit_SeesThePeopleMergeWithoutSavingAnything() => WithPageAsync(async page =>
    {
        var email = $"marketer-{Guid.NewGuid():N}@e2e.test";
        await CreateUserAsync(email, "Marketer-Passw0rd!", Roles.Marketer);
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(email, "Marketer-Passw0rd!");
        var shell = new ShellPage(page);
        await shell.ExpectHomeAsync();

        // Reached from the navigation, like a user would.
        await shell.NavLink("Simulator").ClickAsync();
        var simulator = new SimulatorPage(page);
        await Expect(simulator.Heading).ToBeVisibleAsync();
        await shell.WaitForInteractiveAsync();
        await Expect(simulator.SandboxNote).ToContainTextAsync("nothing is saved");
        await Expect(simulator.Empty).ToContainTextAsync("Press Simulate");
        await Expect(simulator.RulesState).ToHaveTextAsync("The saved rules");

        // Under the saved rules (user_id limit 1): Ada and Bob stay two people; the laptop follows Bob.
        await simulator.Example("shared-device").ClickAsync();
        await simulator.Simulate.ClickAsync();
        await Expect(simulator.ProfileTitles).ToHaveTextAsync(["Profile #1", "Profile #2"]);
        await Expect(simulator.Outcomes).ToHaveTextAsync(["new profile #1", "profile #1", "new profile #2", "profile #2"]);
        await Expect(simulator.Insights("refused")).ToContainTextAsync("at most 1 user_id value");
        await Expect(simulator.Insights("reassigned")).ToContainTextAsync("moved from profile 1 to 2");
        await Expect(simulator.ResultRules).ToContainTextAsync("under the saved rules");
        await Expect(simulator.GraphTitle).ToHaveTextAsync("Identity graph of profile #1");
        await Expect(simulator.GraphLegend).ToContainTextAsync(["user_id", "email"]);
        await simulator.ScrollToTopAsync();
        // The profiles and the identity graph in both themes (30-…-dark.png): no other test sees the graph dark.
        await ThemeShots.SaveAsync(page, "30-simulator-saved-rules");
        await Expect(simulator.GraphLegend).ToContainTextAsync(["user_id", "email"]);

        // Two user_ids allowed per profile: the same messages make one person.
        await simulator.SetLimitAsync("user_id", 2);
        await Expect(simulator.RulesState).ToContainTextAsync("not saved");
        await simulator.Simulate.ClickAsync();
        await Expect(simulator.ProfileTitles).ToHaveTextAsync(["Profile #1"]);
        await Expect(simulator.ResultRules).ToContainTextAsync("under your edited rules");
        await Expect(simulator.SavedProfiles).ToHaveTextAsync("2");
        await Expect(simulator.EditedProfiles).ToHaveTextAsync("1 (-1)");
        await Expect(simulator.Insights("refused")).ToHaveCountAsync(0);
        await Expect(simulator.GraphLegend).ToContainTextAsync(["user_id", "email", "anonymous_id"]);
        await simulator.ScrollToTopAsync();
        await Screenshots.SaveAsync(page, "31-simulator-edited-rules");

        // Nothing was saved: the real rule is unchanged.
        var rules = await Studio.Server.Services.GetRequiredService<IdentityRulesStore>().LoadAsync();
        Assert.Equal(1, rules.Find("user_id")!.Limit);
        await simulator.Reset.ClickAsync();
        await Expect(simulator.RulesState).ToHaveTextAsync("The saved rules");

        // Picking another example runs it at once: one phone in three formats from three sources is one person.
        await simulator.Example("phone-formats").ClickAsync();
        await Expect(simulator.ProfileTitles).ToHaveTextAsync(["Profile #1"]);
        await Expect(simulator.Profiles.First).ToContainTextAsync("phone:+447700900123");
        await Expect(simulator.GraphLegend).ToContainTextAsync(["loyalty_id", "phone", "anonymous_id"]);
        await simulator.ScrollToTopAsync();
        await ThemeShots.SaveAsync(page, "32-simulator-phone-formats");

        // Bad data is shown per message: placeholders blocked, a message with none left, one the parser refuses.
        await simulator.Example("placeholders").ClickAsync();
        await Expect(simulator.MessageErrors).ToHaveTextAsync(["A track call needs an \"event\" name."]);
        await Expect(simulator.Insights("unidentified")).ToContainTextAsync("no usable identifier");
        await Expect(simulator.ProfileTitles).ToHaveTextAsync(["Profile #1", "Profile #2"]);
        await simulator.ScrollToTopAsync();
        await Screenshots.SaveAsync(page, "33-simulator-placeholders");
    });

    [Fact]
    public Task APasteOfHundredsOfMessages_IsSimulated_NotLostWithTheConnection() => WithPageAsync(async page =>
    {
        // 300 messages (about 30 KB) closed the live connection at SignalR's 32 KB default: nothing happened, the paste was lost.
        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        var shell = new ShellPage(page);
        await shell.ExpectHomeAsync();
        var simulator = new SimulatorPage(page);
        await simulator.GotoAsync();
        await shell.WaitForInteractiveAsync();
        var messages = string.Join("\n", Enumerable.Range(0, 300).Select(i =>
            $$$"""{"type":"identify","userId":"user-{{{i}}}","traits":{"email":"person{{{i}}}@example.com","firstName":"Ada"}}"""));

        await simulator.Input.FillAsync(messages);
        await simulator.Input.BlurAsync();
        await simulator.Simulate.ClickAsync();

        await Expect(simulator.Messages).ToHaveCountAsync(300, new() { Timeout = 30_000 });
        await Expect(simulator.ProfileTitles).ToHaveCountAsync(300);
        await Expect(simulator.Input).ToHaveValueAsync(messages);
    });
}
