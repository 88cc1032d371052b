using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Accounts;
using ProfileStudio.Components.Data.Batches;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Data.Batches;

/// <summary>The mapping step on real services (SQLite): what it suggests, where columns land, saving, cancelling.</summary>
public sealed class BatchMappingPageTests : StudioBunitContext
{
    private StudioServices? _studio;
    private FileBatch _batch = default!;
    private IRenderedComponent<MudDialogProvider> _dialogs = default!;

    private const string LoyaltyCsv = "First Name,Last Name,Customer Email,Points\nAda,Lovelace,ada@example.com,120\nGrace,Hopper,grace@example.com,7\n";

    /// <summary>The mapping step of <paramref name="csv"/> (the issue's loyalty export unless given), once its last column's suggestion is in.</summary>
    private async Task<IRenderedComponent<BatchMappingPage>> RenderPageAsync(string csv = LoyaltyCsv)
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        var sp = _studio.Services;
        var source = (await sp.GetRequiredService<SourceRegistry>().EnsureAsync("Loyalty export", SourceKind.Batch, "wk_files_source_key_0000000000000001")).Source!;
        await using (var db = await sp.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            for (var id = 1; id <= 3; id++)
            {
                db.Profiles.Add(new Profile { Id = id, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, FirstMessageId = id, LastMessageId = id });
                db.ProfileAttributes.Add(new ProfileAttribute { ProfileId = id, SourceId = 1, Key = "firstName", ValueJson = "\"A\"", EventAt = DateTime.UtcNow, MessageId = id });
            }
            await db.SaveChangesAsync();
        }
        await sp.GetRequiredService<SchemaMaintainer>().RecountAsync(); // the existing keys come from the union schema
        _batch = (await sp.GetRequiredService<FileBatches>().UploadAsync(source.Id, "loyalty.csv",
            new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)),
            AuditActor.System, FileKind.ProfileRecords, null)).Batch!;
        foreach (var type in new[] { typeof(FileBatches), typeof(FileMappingSuggester), typeof(AttributeKeyCatalog), typeof(IdentityRulesStore), typeof(AuditLog) })
        {
            Services.AddSingleton(type, sp.GetRequiredService(type));
        }
        Services.AddSingleton<CurrentActor>();
        SignIn("engineer@example.com", Roles.DataEngineer);
        Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
        Render<MudSnackbarProvider>();
        var cut = Render<BatchMappingPage>(p => p.Add(x => x.Id, _batch.Id));
        var lastColumn = csv[..csv.IndexOf('\n')].Split(',')[^1];
        cut.WaitForElement($"[data-testid='lands-{lastColumn}']", TimeSpan.FromSeconds(15)); // the suggestion is in (the key count runs in the background)
        return cut;
    }

    private static string Lands(IRenderedComponent<BatchMappingPage> cut, string column) =>
        cut.Find($"[data-testid='lands-{column}']").TextContent.Trim();

    [Fact]
    public async Task Render_TheIssuesCsv_ShowsWhereEachColumnLands()
    {
        var cut = await RenderPageAsync();

        Assert.Equal("→ firstName (existing, 3 profiles)", Lands(cut, "First Name"));
        Assert.Equal("→ lastName (new attribute)", Lands(cut, "Last Name"));
        Assert.Equal("→ identity email", Lands(cut, "Customer Email"));
        Assert.Equal("→ points (new attribute)", Lands(cut, "Points"));
        Assert.Contains("\"points\": 120", cut.Find("[data-testid=mapping-preview-rows]").TextContent);
    }

    [Fact]
    public async Task Render_ARowWithAQuoteLeftOpen_FirstValuesAreTheRowsTheImportReads_NotTheRestOfTheFile()
    {
        // Row 3's quote is never closed: a plain reader makes the rest of the file one value of its Points.
        var cut = await RenderPageAsync("First Name,Customer Email,Points\nAda,ada@example.com,120\nBo,bo@example.com,\"7\nCy,cy@example.com,30\nDi,di@example.com,45\n");

        Assert.Equal("Ada · Cy · Di", cut.Find("[data-testid='first-values-First Name']").TextContent);
        Assert.Equal("120 · 30 · 45", cut.Find("[data-testid='first-values-Points']").TextContent);
        // The preview below (the import's reader) agrees: the same rows, with their lines.
        var preview = cut.Find("[data-testid=mapping-preview-rows]").TextContent;
        Assert.Contains("\"points\": 30", preview);
        Assert.Contains("quote that is not closed", preview);
    }

    [Fact]
    public async Task SaveMapping_NameTypedThenOneClick_SavesIt()
    {
        var cut = await RenderPageAsync();

        // Typing (input events, no change/blur) then one click, as a user does.
        cut.Find("input[data-testid=mapping-save-name]").Input("Loyalty export v1");
        cut.Find("[data-testid=mapping-save]").Click();

        cut.WaitForAssertion(() => Assert.Single(_studio!.Services.GetRequiredService<FileBatches>().SavedMappingsAsync(_batch.SourceId).Result));
        Assert.Single((await _studio!.Audit.QueryAsync(new AuditFilter(Action: AuditActions.FileMappingSaved), 0, 10)).Entries);
    }

    [Fact]
    public async Task Render_AFileAlreadyImported_SaysItIsNotWaitingInsteadOfFailing()
    {
        // An imported file's upload is deleted (the lake holds the rows): opening its mapping address threw FileNotFoundException.
        await RenderPageAsync();
        var batches = _studio!.Services.GetRequiredService<FileBatches>();
        await using (var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            var stored = await db.FileBatches.SingleAsync(b => b.Id == _batch.Id);
            stored.Status = FileBatchStatus.Completed;
            await db.SaveChangesAsync();
        }
        batches.DeleteUpload(_batch);

        var cut = Render<BatchMappingPage>(p => p.Add(x => x.Id, _batch.Id));

        cut.WaitForAssertion(() => Assert.Contains("not waiting for a column mapping", cut.Find("[data-testid=mapping-not-waiting]").TextContent));
        Assert.Equal($"/data/batches/{_batch.Id}", cut.Find("[data-testid=mapping-not-waiting] a").GetAttribute("href"));
    }

    [Fact]
    public async Task CancelUpload_Confirmed_DeletesTheBatchAndGoesBackToFiles()
    {
        var cut = await RenderPageAsync();
        var path = _studio!.Services.GetRequiredService<FileBatches>().PathOf(_batch);

        cut.Find("[data-testid=cancel-upload]").Click();
        _dialogs.WaitForElement(".mud-dialog-actions button:last-child").Click(); // "Delete the upload"

        cut.WaitForAssertion(() => Assert.EndsWith("/data/batches", Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri));
        Assert.Null(await _studio.Services.GetRequiredService<FileBatches>().GetAsync(_batch.Id));
        Assert.False(File.Exists(path));
        Assert.Single((await _studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.FileCancelled), 0, 10)).Entries);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }
}
