using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/profiles/merge-policies: the policies table and the policy dialog.</summary>
public sealed class MergePoliciesPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Merge policies", Exact = true });
    public ILocator Table => page.GetByTestId("policies-table");
    public ILocator NewPolicyButton => page.GetByTestId("add-policy");
    public ILocator ReadOnlyNotice => page.GetByTestId("policies-read-only");
    public MergePolicyDialog Dialog { get; } = new(page);

    public ILocator Row(string name) =>
        Table.Locator("tbody tr").Filter(new() { Has = page.Locator("[data-testid=policy-row-name] strong", new() { HasTextString = name }) });

    public ILocator DefaultBadge(string name) => Row(name).GetByTestId("default-badge");

    public async Task GotoAsync()
    {
        await new ShellPage(page).OpenAsync("profiles/merge-policies");
        await ExpectShownAsync();
    }

    public async Task ExpectShownAsync()
    {
        await Assertions.Expect(Heading).ToBeVisibleAsync();
        await Assertions.Expect(Table.Locator("tbody tr").First).ToBeVisibleAsync();
    }

    public async Task<MergePolicyDialog> OpenNewPolicyAsync()
    {
        await NewPolicyButton.ClickAsync();
        await Assertions.Expect(Dialog.Name).ToBeVisibleAsync();
        return Dialog;
    }

    /// <summary>Clicks a row's action (e.g. "Make CRM first the default") and confirms the message box with <paramref name="confirm"/>.</summary>
    public async Task ConfirmRowActionAsync(string ariaLabel, string confirm)
    {
        await page.GetByLabel(ariaLabel, new() { Exact = true }).ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = confirm, Exact = true }).ClickAsync();
    }
}

/// <summary>The New / Edit merge policy dialog.</summary>
public sealed class MergePolicyDialog(IPage page)
{
    public ILocator Root => page.GetByTestId("merge-policy-dialog");
    public ILocator Name => page.MudInput("policy-name");
    // Lines="2" makes MudTextField a textarea.
    public ILocator Description => page.Locator("textarea[data-testid='policy-description'], [data-testid='policy-description'] textarea");
    public ILocator SourcePrecedence => page.GetByTestId("merge-precedence");
    public ILocator ListedSources => page.GetByTestId("policy-sources-name");
    public ILocator AddOverrideButton => page.GetByTestId("add-override");
    public ILocator Problems => page.GetByTestId("policy-problem");
    public ILocator SaveButton => page.GetByTestId("policy-save");

    /// <summary>Adds a left-out source to the policy's list (or to override <paramref name="overrideIndex"/>'s list).</summary>
    public Task AddSourceAsync(string source, int? overrideIndex = null) =>
        page.GetByTestId(overrideIndex is { } i ? $"override-{i}-sources-add" : "policy-sources-add")
            .Filter(new() { HasTextString = source }).ClickAsync();

    public Task MoveUpAsync(string source) => Root.GetByLabel($"Move {source} up", new() { Exact = true }).First.ClickAsync();

    /// <summary>Adds an override; <paramref name="byTime"/> false leaves it on source precedence (the default for a new override).</summary>
    public async Task<int> AddOverrideAsync(string key, bool byTime)
    {
        var index = await page.GetByTestId("override").CountAsync();
        await AddOverrideButton.ClickAsync();
        // The new override renders after the click's round trip; counting earlier would pick the previous one.
        await Assertions.Expect(page.GetByTestId("override")).ToHaveCountAsync(index + 1);
        await page.MudInput($"override-{index}-key").FillAsync(key);
        await page.GetByTestId(byTime ? $"override-{index}-timestamp" : $"override-{index}-precedence").CheckAsync();
        return index;
    }
}
