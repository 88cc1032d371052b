using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/profiles/segments: the list, the editor (rule builder + live estimate), the segment page, and the profile's Segments tab.</summary>
public sealed class SegmentPages(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Segments", Exact = true });
    public ILocator NewButton => page.GetByTestId("new-segment").Or(page.GetByTestId("new-segment-empty")).First;

    public ILocator Row(string name) =>
        page.GetByTestId("segments-table").Locator("tbody tr").Filter(new() { Has = page.Locator("[data-testid=segment-row-name] strong", new() { HasTextString = name }) });

    // The editor
    public ILocator Name => page.MudInput("segment-name");
    public ILocator RootGroup => page.GetByTestId("segment-group").First;
    public ILocator NestedGroup => RootGroup.Locator("[data-testid=segment-group]").First;
    public ILocator EventCondition => page.GetByTestId("event-condition").First;
    public ILocator Problems => page.GetByTestId("node-problem");
    public ILocator Sentence => page.GetByTestId("segment-sentence");
    public ILocator EstimateCount => page.GetByTestId("estimate-matching");
    public ILocator EstimateShare => page.GetByTestId("estimate-share");
    public ILocator EstimateSamples => page.GetByTestId("estimate-samples").GetByTestId("sample-profile");
    public ILocator ActivateButton => page.GetByTestId("activate-segment");

    // The segment page
    public ILocator Size => page.GetByTestId("segment-size");
    public ILocator Entered => page.GetByTestId("segment-entered");
    public ILocator Exited => page.GetByTestId("segment-exited");
    public ILocator SizeChart => page.GetByTestId("segment-size-chart");
    public ILocator MemberLinks => page.GetByTestId("segment-member-link");

    // The profile's Segments tab
    public ILocator ProfileSegment(string name) => page.Locator($"[data-testid=profile-segment][data-name='{name}']");
    public ILocator ProfileSegmentsEmpty => page.GetByTestId("profile-segments-empty");

    public ILocator WhyNode(ILocator scope, string text) =>
        scope.GetByTestId("why-node").Filter(new() { Has = page.Locator(":scope > span [data-testid=why-text]", new() { HasTextString = text }) });

    public async Task GotoAsync()
    {
        await new ShellPage(page).OpenAsync("profiles/segments");
        await Assertions.Expect(Heading).ToBeVisibleAsync();
    }

    public Task AddAsync(ILocator group, string what) => group.Locator($":scope > [data-testid=group-add] [data-testid=add-{what}]").ClickAsync();

    /// <summary>Opens the MudSelect marked <paramref name="testId"/> inside <paramref name="scope"/> and picks the item that starts with <paramref name="option"/>.</summary>
    public async Task ChooseAsync(ILocator scope, string testId, string option)
    {
        await CloseListsAsync();
        await scope.Locator($".mud-input-control.mud-select:has([data-testid='{testId}'])").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex("^\\s*" + Regex.Escape(option)) }).First.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    /// <summary>Closes the autocomplete lists (<see cref="PageExtensions.CloseListsAsync"/>).</summary>
    public Task CloseListsAsync() => page.CloseListsAsync();

    /// <summary>Types into an autocomplete and picks <paramref name="option"/> (<see cref="PageExtensions.PickAsync"/>).</summary>
    public Task PickAsync(ILocator input, string typed, string option) => page.PickAsync(input, typed, option);
}
