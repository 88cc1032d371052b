using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Sources;
using ProfileStudio.E2E.Infrastructure;
using ProfileStudio.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ProfileStudio.E2E.Segments;

/// <summary>
/// A marketer builds a segment on a computed attribute by picking it (it is offered beside the sent traits, marked
/// "computed"), sees the estimate find the one person whose value matches, and exports members with the value as a column.
/// </summary>
public sealed class SegmentOnComputedAttributeTests(StudioFixture studio, ITestOutputHelper output) : StudioTest(studio, output)
{
    [Fact]
    public Task Admin_PicksAComputedAttributeInTheBuilder_AndTheEstimateFindsWhoHasTheValue() => WithPageAsync(async page =>
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var services = Studio.Server.Services;
        var shop = await services.GetRequiredService<SourceRegistry>().CreateAsync(AuditActor.System, $"Computed shop {run}", SourceKind.Streaming, "");
        var order = $"Order Placed {run}";
        var (ada, bea) = ($"cmp-ada-{run}", $"cmp-bea-{run}");
        using (var http = new HttpClient { BaseAddress = Studio.Server.Address })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{shop.WriteKey}:")));
            var batch = $$"""
                {"batch":[
                  {"type":"track","messageId":"{{run}}-1","userId":"{{ada}}","event":"{{order}}"},
                  {"type":"track","messageId":"{{run}}-2","userId":"{{ada}}","event":"{{order}}"},
                  {"type":"track","messageId":"{{run}}-3","userId":"{{ada}}","event":"{{order}}"},
                  {"type":"track","messageId":"{{run}}-4","userId":"{{bea}}","event":"{{order}}"}
                ]}
                """;
            using var response = await http.PostAsync("/v1/batch", new StringContent(batch, Encoding.UTF8, "application/json"));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
        var reader = services.GetRequiredService<ProfileReader>();
        long adaId = 0;
        await Eventually.TrueAsync(async () => (await reader.FindAsync($"user_id:{ada}")) is { Found: true, ProfileId: var id } && (adaId = id) > 0,
            "Ada is unified", TimeSpan.FromSeconds(30));
        var computed = services.GetRequiredService<ComputedAttributeStore>();
        var name = $"placed_{run}";
        var saved = await computed.SaveAsync(AuditActor.System, null, new ComputedAttributeDraft(name, null, ComputedFunction.Count, [order], null, [], LookbackWindow.AllTime));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        Assert.True((await computed.ActivateAsync(AuditActor.System, saved.Definition!.Id)).Succeeded);
        await Eventually.TrueAsync(async () => (await computed.BackfillAsync(saved.Definition.Id))?.State == BackfillState.Done, "the backfill", TimeSpan.FromSeconds(30));

        var login = new LoginPage(page);
        await login.GotoAsync();
        await login.SignInAsync(StudioServer.AdminEmail, StudioServer.AdminPassword);
        await new ShellPage(page).ExpectHomeAsync();
        await new ShellPage(page).OpenAsync("profiles/segments/new");
        await new ShellPage(page).WaitForInteractiveAsync();
        var segments = new SegmentPages(page);
        await segments.Name.FillAsync($"Placed three {run}");
        await segments.AddAsync(segments.RootGroup, "attribute");
        var condition = segments.RootGroup.GetByTestId("attribute-condition").First;
        var path = condition.Locator("input[data-testid^='attribute-path-']");

        // Offered beside the sent traits, marked computed, with what it counts.
        await path.PressSequentiallyAsync("placed_", new() { Delay = 20 });
        var option = page.Locator(".mud-popover-open [data-testid=attribute-option]").Filter(new() { HasTextString = name });
        await Expect(option).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(option.GetByTestId("attribute-option-computed")).ToHaveTextAsync("computed");
        await Expect(option).ToContainTextAsync($"count of events over {order}");
        await Screenshots.SaveAsync(page, "65-segment-computed-attribute-picker");
        await segments.PickAsync(path, "placed_", name);
        // Text that is no number: one message, the box's, saying what to type (not also the condition's "needs a number").
        var number = condition.Locator("input[data-testid=value-number]");
        await number.FillAsync("3,,5");
        await Expect(condition.GetByText("\"3,,5\" is not a number")).ToBeVisibleAsync();
        await Expect(segments.Problems).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(page, "65b-segment-number-box-message");
        await number.FillAsync("3");

        await Expect(segments.Problems).ToHaveCountAsync(0);
        await Expect(segments.Sentence).ToHaveTextAsync($"People whose {name} is 3");
        await Expect(segments.EstimateCount).ToHaveAttributeAsync("data-count", "1", new() { Timeout = 15_000 });
        await Expect(segments.EstimateSamples).ToHaveAttributeAsync("href", $"/profiles/{adaId}");
        await ThemeShots.SaveAsync(page, "66-segment-on-computed-attribute");
    });
}
