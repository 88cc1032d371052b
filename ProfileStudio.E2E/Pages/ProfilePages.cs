using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>Profiles: the list with its namespace:value search.</summary>
internal sealed class ProfilesPage(IPage page)
{
    public ILocator Search => page.MudInput("profile-search");
    public ILocator Results => page.GetByTestId("profiles-grid");
    public ILocator ProfileLinks => page.GetByTestId("profile-link");
    public ILocator Problem => page.GetByTestId("profile-search-problem");
    public ILocator DidYouMean => page.GetByTestId("profile-search-did-you-mean");

    public Task GotoAsync() => page.GotoInteractiveAsync("/profiles");

    /// <summary>Searches and waits until the results shown are this search's, not the previous one's.</summary>
    public async Task SearchAsync(string query)
    {
        await Search.FillAsync(query);
        await page.GetByTestId("profile-search-go").ClickAsync();
        await Assertions.Expect(page.GetByTestId("profiles-count")).ToHaveAttributeAsync("data-results-for", query);
    }

    /// <summary>Unification runs in the background: searches again until one profile is found (well under a second normally).</summary>
    public async Task SearchUntilFoundAsync(string query)
    {
        for (var attempt = 0; ; attempt++)
        {
            await SearchAsync(query);
            try
            {
                await Assertions.Expect(ProfileLinks).ToHaveCountAsync(1, new() { Timeout = 1000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 15)
            {
            }
        }
    }
}

/// <summary>The Identities tab of a profile: identity graph, identities, and the split actions.</summary>
internal sealed class ProfileGraphPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator Graph => page.GetByTestId("identity-graph");
    public ILocator Identities => page.GetByTestId("identities-table");
    public ILocator IdentityValues => page.GetByTestId("identity-value");
    public ILocator SplitStatus => page.GetByTestId("split-status");
    public ILocator SplitOffLinks => page.GetByTestId("split-off-link");

    /// <summary>The identities are a tab of the profile page.</summary>
    public Task ShowAsync() => page.GetByRole(AriaRole.Tab, new() { Name = "Identities", Exact = true }).ClickAsync();

    /// <summary>The remove button on the identities-table row of one identifier.</summary>
    public ILocator RemoveButton(string value) =>
        Identities.Locator("tr").Filter(new() { Has = page.GetByTestId("identity-value").GetByText(value, new() { Exact = true }) }).GetByTestId("remove-identity");

    public async Task RemoveAsync(string value)
    {
        await RemoveButton(value).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove and split" }).ClickAsync();
    }
}

/// <summary>Identity › Insights.</summary>
internal sealed class InsightsPage(IPage page)
{
    public ILocator Grid => page.GetByTestId("insights-grid");

    public ILocator Kind(string kind) => page.GetByTestId($"insight-kind-{kind}");

    public Task GotoAsync() => page.GotoInteractiveAsync("/identity/insights");
}

/// <summary>Identity › Unification: worker status, rebuild, jobs, never-link rules.</summary>
internal sealed class UnificationPage(IPage page)
{
    public ILocator Rebuild => page.GetByTestId("rebuild");
    public ILocator Jobs => page.GetByTestId("jobs-table");
    public ILocator NeverLinkRules => page.GetByTestId("never-link-rules");

    public Task GotoAsync() => page.GotoInteractiveAsync("/identity/unification");

    public async Task RebuildAsync()
    {
        await Rebuild.ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Rebuild", Exact = true }).ClickAsync();
    }
}

/// <summary>The profile explorer's profile page: header, policy selector, tabs, attributes with lineage, timeline, edit and delete.</summary>
internal sealed class ProfileExplorerPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator Header => page.GetByTestId("profile-header");
    public ILocator PolicySelect => page.Locator(".mud-input-control.mud-select:has([data-testid='policy-select'])");
    public ILocator AttributesTable => page.GetByTestId("attributes-table");
    public ILocator JsonToggle => page.GetByTestId("attributes-json-toggle");
    public ILocator JsonView => page.GetByTestId("attributes").GetByTestId("json-view");
    public ILocator TimelineEvents => page.GetByTestId("timeline-event");
    public ILocator TimelineDays => page.GetByTestId("timeline-day");
    public ILocator TimelineCount => page.GetByTestId("timeline-count");
    public ILocator TimelineMore => page.GetByTestId("timeline-more");
    public ILocator ActivityChart => page.GetByTestId("activity-chart");
    public ILocator EditPanel => page.GetByTestId("edit-attribute");
    public ILocator DeleteButton => page.GetByTestId("delete-profile");
    public ILocator Missing => page.GetByTestId("profile-missing");
    public ILocator MergedNotice => page.GetByTestId("profile-merged-notice");
    public ILocator IdentityMessagesCount => page.GetByTestId("identity-messages-count");
    public ILocator CompareSummary => page.GetByTestId("compare-summary");
    public ILocator DifferingRows => page.Locator("[data-testid='compare-row'][data-differs='true']");

    public ILocator Tab(string name) => page.GetByRole(AriaRole.Tab, new() { Name = name, Exact = true });

    public ILocator AttributeRow(string key) => page.Locator($"[data-testid='attribute-row'][data-key='{key}']");

    public ILocator AttributeValue(string key) => AttributeRow(key).GetByTestId("attribute-value");

    public ILocator Lineage(string key) => page.Locator($"[data-testid='attribute-lineage'][data-key='{key}']");

    public async Task ChoosePolicyAsync(string name)
    {
        await PolicySelect.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = name }).First.ClickAsync();
    }

    public async Task EditAttributeAsync(string key, string value)
    {
        await page.MudInput("edit-attribute-key").FillAsync(key);
        await page.MudInput("edit-attribute-value").FillAsync(value);
        await page.GetByTestId("edit-attribute-save").ClickAsync();
    }

    /// <summary>In the open delete panel: optionally ticks "erase from the lake too", then confirms.</summary>
    public async Task ConfirmDeleteAsync(bool eraseFromLake)
    {
        if (eraseFromLake)
        {
            await page.GetByTestId("delete-erase-lake").CheckAsync();
        }
        await page.GetByTestId("delete-confirm").ClickAsync();
    }
}
