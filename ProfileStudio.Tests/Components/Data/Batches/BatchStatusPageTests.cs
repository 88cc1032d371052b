using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Data.Batches;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Data.Batches;

/// <summary>A file's page on real services (SQLite): what it says of a finished import.</summary>
public sealed class BatchStatusPageTests : StudioBunitContext
{
    private StudioServices? _studio;

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }

    private async Task<IRenderedComponent<BatchStatusPage>> RenderCompletedAsync(long rowsRead)
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        var source = (await _studio.Services.GetRequiredService<SourceRegistry>().EnsureAsync("CRM export", SourceKind.Batch, "wk_files_source_key_0000000000000001")).Source!;
        var batch = new FileBatch
        {
            SourceId = source.Id, FileName = "crm.csv", Format = FileFormat.Csv, Kind = FileKind.ProfileRecords, Status = FileBatchStatus.Completed,
            StoredPath = "uploads/x.csv", UploadedBy = "engineer@example.com", UploadedAt = DateTime.UtcNow, CompletedAt = DateTime.UtcNow,
            RowsRead = rowsRead, RowsAccepted = rowsRead,
        };
        await using (var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            db.FileBatches.Add(batch);
            await db.SaveChangesAsync();
        }
        Services.AddSingleton(_studio.Services.GetRequiredService<FileBatches>());
        Services.AddSingleton(_studio.Services.GetRequiredService<FileBatchNotifications>());
        SignIn("engineer@example.com", Roles.DataEngineer);
        Render<MudBlazor.MudPopoverProvider>();
        return Render<BatchStatusPage>(p => p.Add(x => x.Id, batch.Id));
    }

    [Fact]
    public async Task ACompletedFileThatHadNoRows_SaysSo_NotThatEveryRowWasAccepted()
    {
        // Such files are refused at upload now; one imported before that is still listed.
        var page = await RenderCompletedAsync(rowsRead: 0);

        page.WaitForAssertion(() => Assert.Equal("None: the file had no rows, so nothing was imported.", page.Find("[data-testid=no-rejected]").TextContent));
    }

    [Fact]
    public async Task ACompletedFileWithRowsAllAccepted_SaysEveryRowWasAccepted()
    {
        var page = await RenderCompletedAsync(rowsRead: 12);

        page.WaitForAssertion(() => Assert.Equal("None: every row was accepted.", page.Find("[data-testid=no-rejected]").TextContent));
    }
}
