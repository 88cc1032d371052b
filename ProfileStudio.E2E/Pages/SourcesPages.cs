using Microsoft.Playwright;

namespace ProfileStudio.E2E.Pages;

/// <summary>/data/sources: the sources grid and the New source dialog.</summary>
public sealed class SourcesPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Sources", Exact = true });
    public ILocator NewSourceButton => page.GetByTestId("create-source");
    public ILocator Name => page.MudInput("source-name");
    public ILocator CreateButton => page.GetByTestId("create-source-submit");
    public SecretDialog Secret { get; } = new(page);

    public async Task GotoAsync()
    {
        await new ShellPage(page).OpenAsync("data/sources");
        await Assertions.Expect(Heading).ToBeVisibleAsync();
    }

    /// <summary>Creates a streaming source and returns its write key, read from the one-time dialog.</summary>
    public async Task<string> CreateStreamingSourceAsync(string name)
    {
        await NewSourceButton.ClickAsync();
        await Name.FillAsync(name);
        await CreateButton.ClickAsync();
        var key = await Secret.ReadAsync();
        await Secret.CloseAsync();
        return key;
    }
}

/// <summary>/data/sources/{id}: the tabs, the setup snippets and the live debugger.</summary>
public sealed class SourceDetailPage(IPage page)
{
    public ILocator Title => page.GetByTestId("source-title");
    public ILocator CurlSnippet => page.GetByTestId("snippet-curl");
    public ILocator UploadSnippet => page.GetByTestId("snippet-upload");
    public ILocator SetupTab => page.GetByRole(AriaRole.Tab, new() { Name = "Setup" });
    public ILocator DebuggerTab => page.GetByRole(AriaRole.Tab, new() { Name = "Live debugger" });
    public ILocator DebuggerEmpty => page.GetByTestId("debugger-empty");
    public ILocator DebuggerRows => page.GetByTestId("debugger-table").Locator("tbody tr");
    public ILocator Json => page.GetByTestId("json-view");

    public ILocator Row(string text) => DebuggerRows.Filter(new() { HasText = text });
}

/// <summary>/data/batches and its upload dialog, the mapping step and a file's status page.</summary>
public sealed class FilesPage(IPage page)
{
    public ILocator UploadButton => page.GetByTestId("upload-file");
    public ILocator FileInput => page.Locator("[data-testid=upload-dialog] input[type=file]");
    public ILocator UploadSubmit => page.GetByTestId("upload-submit");

    // Mapping step
    public ILocator MappingTable => page.GetByTestId("mapping-table");
    public ILocator PreviewRows => page.GetByTestId("mapping-preview-rows");
    public ILocator StartImport => page.GetByTestId("mapping-start");
    public ILocator CancelUpload => page.GetByTestId("cancel-upload");
    public ILocator ConfirmCancel => page.GetByRole(AriaRole.Button, new() { Name = "Delete the upload" });
    public ILocator BatchesGrid => page.GetByTestId("batches-grid");

    /// <summary>Where a column's values end up ("→ firstName (existing, 3 profiles)", "→ identity email").</summary>
    public ILocator Lands(string column) => page.Locator($"[data-testid='lands-{column}']");

    /// <summary>The value a mapping-table select shows (its hidden input holds it).</summary>
    public ILocator SelectValue(string testId) => page.Locator($"input[data-testid='{testId}'], [data-testid='{testId}'] input").First;

    // Status page
    public ILocator Status => page.GetByTestId("batch-status");
    public ILocator Progress => page.GetByTestId("batch-progress");
    public ILocator RejectedRows => page.GetByTestId("rejected-rows").Locator("tbody tr");
    public ILocator DownloadReport => page.GetByTestId("download-report");

    public async Task GotoAsync() => await new ShellPage(page).OpenAsync("data/batches");

    public async Task UploadAsync(string file)
    {
        await UploadButton.ClickAsync();
        // On a loaded machine the dialog's file input can exist before its change handler is wired up,
        // and a selection made then is lost: select again until the dialog shows the file.
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 1)
            {
                // Choosing the same file again fires no change event: clear the selection first.
                await FileInput.SetInputFilesAsync(Array.Empty<string>());
            }
            await FileInput.SetInputFilesAsync(file);
            try
            {
                await Assertions.Expect(page.GetByTestId("upload-file-name")).ToContainTextAsync(Path.GetFileName(file), new() { Timeout = 5_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 4)
            {
            }
        }
        await UploadSubmit.ClickAsync();
    }

    /// <summary>Chooses a value in one of the mapping table's selects (MudSelect opens a popover list).</summary>
    public async Task ChooseAsync(string testId, string option)
    {
        // MudSelect puts the test id on a hidden input; the visible field is its parent control.
        await page.Locator($".mud-input-control.mud-select:has([data-testid='{testId}'])").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{option}\\s*$") }).First.ClickAsync();
    }
}
