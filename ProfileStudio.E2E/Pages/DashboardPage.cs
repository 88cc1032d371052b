using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>The dashboard (the home page): its controls and charts.</summary>
public sealed class DashboardPage(IPage page)
{
    public ILocator ProfileCount => page.GetByTestId("profile-count");
    public ILocator ComputedAt => page.GetByTestId("computed-at");
    public ILocator RefreshButton => page.GetByTestId("dashboard-refresh");
    public ILocator PolicySelect => page.Locator(".mud-input-control.mud-select:has([data-testid='dashboard-policy'])");
    public ILocator Chart(string testId) => page.Locator($"[data-testid={testId}] .js-plotly-plot");

    /// <summary>Bars of a bar chart as Plotly drew them (one path per point).</summary>
    public ILocator Bars(string testId) => page.Locator($"[data-testid={testId}] .js-plotly-plot .bars .point path");

    public ILocator Range(int days) => page.GetByTestId($"trend-range-{days}");

    /// <summary>How many x values the first trace of a chart holds (Plotly keeps the data on the plot's element).</summary>
    public Task<int> PointsAsync(string testId) =>
        Chart(testId).EvaluateAsync<int>("el => el.data && el.data.length ? el.data[0].x.length : -1");

    public async Task ChoosePolicyAsync(string name)
    {
        await PolicySelect.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = name }).First.ClickAsync();
    }
}
