using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/admin/audit: the filterable audit grid, newest first.</summary>
public sealed class AuditLogPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Audit log" });
    public ILocator UserFilter => page.MudInput("audit-filter-user");
    public ILocator Grid => page.GetByTestId("audit-grid");

    public ILocator Rows => Grid.Locator("tbody tr");

    /// <summary>Rows whose Action column reads <paramref name="action"/>.</summary>
    public ILocator RowsWithAction(string action) =>
        Rows.Filter(new() { Has = page.Locator(".mud-chip").GetByText(action, new() { Exact = true }) });

    public async Task GotoAsync()
    {
        await new ShellPage(page).OpenAsync("admin/audit");
        await Assertions.Expect(Heading).ToBeVisibleAsync();
        await Assertions.Expect(Grid).ToBeVisibleAsync();
    }

    /// <summary>Types an email into the User filter and applies it (Enter); waits until every row mentions it.</summary>
    public async Task FilterByUserAsync(string email)
    {
        await UserFilter.FillAsync(email);
        await UserFilter.PressAsync("Enter");
        await Assertions.Expect(Rows.Filter(new() { HasNotText = email })).ToHaveCountAsync(0);
    }
}
