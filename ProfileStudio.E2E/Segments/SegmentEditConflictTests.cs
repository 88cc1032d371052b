using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Segments;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Segments;

/// <summary>Two marketers edit the same segment at once: the second save is refused with who saved, and Reload shows their change.</summary>
public sealed class SegmentEditConflictTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    private const string Password = "Conflict-Passw0rd!";

    [Fact]
    public Task TwoMarketers_EditTheSameSegment_TheSecondSaveIsRefusedNamingTheFirst_AndReloadShowsTheirChange() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var store = Studio.Server.Services.GetRequiredService<SegmentStore>();
        var rule = SegmentRuleJson.Serialize(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new IdentityCondition("c1", "email", true)])));
        var created = await store.CreateAsync(AuditActor.System, new SegmentDraft($"Emailable {run}", null, rule));
        Assert.True(created.Succeeded, string.Join("; ", created.Problems));
        var edit = $"profiles/segments/{created.Segment!.Id}/edit";
        await CreateUserAsync($"ana-{run}@e2e.test", Password, Roles.Marketer);
        await CreateUserAsync($"ben-{run}@e2e.test", Password, Roles.Marketer);

        // Ana opens the segment in her own browser; Ben opens it in this one.
        await using var anaContext = await Studio.NewContextAsync();
        var ana = await anaContext.NewPageAsync();
        foreach (var (who, browser) in new[] { ("ana", ana), ("ben", page) })
        {
            var login = new LoginPage(browser);
            await login.GotoAsync();
            await login.SignInAsync($"{who}-{run}@e2e.test", Password);
            await new ShellPage(browser).ExpectHomeAsync();
            await new ShellPage(browser).OpenAsync(edit);
        }
        var anaEditor = new SegmentPages(ana);
        var benEditor = new SegmentPages(page);
        await Expect(benEditor.Name).ToHaveValueAsync($"Emailable {run}");

        await anaEditor.Name.FillAsync($"Reachable by email {run}");
        await ana.GetByTestId("save-segment").ClickAsync();
        await Expect(ana).ToHaveURLAsync(new Regex($@"/profiles/segments/{created.Segment.Id}$"), new() { Timeout = 15_000 });

        await benEditor.Name.FillAsync($"Email subscribers {run}");
        await page.GetByTestId("save-segment").ClickAsync();

        var conflict = page.GetByTestId("edit-conflict-message");
        await Expect(conflict).ToContainTextAsync($"ana-{run}@e2e.test saved this segment");
        await Expect(conflict).ToContainTextAsync("Reload to see their change");
        await Expect(benEditor.Name).ToHaveValueAsync($"Email subscribers {run}"); // his edit stays on screen until he reloads
        await Screenshots.SaveAsync(page, "64-segment-edit-conflict");
        Assert.Equal($"Reachable by email {run}", (await store.GetAsync(created.Segment.Id))!.Segment.Name); // nothing of his was stored

        await page.GetByTestId("edit-conflict-reload").ClickAsync();
        await Expect(benEditor.Name).ToHaveValueAsync($"Reachable by email {run}");
        await Expect(page.GetByTestId("edit-conflict")).ToHaveCountAsync(0);
    });
}
