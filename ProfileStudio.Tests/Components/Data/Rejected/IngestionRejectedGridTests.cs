using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Data.Rejected;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Data.Rejected;

public sealed class IngestionRejectedGridTests : StudioBunitContext
{
    private StudioServices? _studio;

    [Fact]
    public async Task Render_RejectedFileRow_NamesTheFileAndLinksItsBatch()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        var source = (await _studio.Services.GetRequiredService<SourceRegistry>().EnsureAsync("Loyalty export", SourceKind.Batch, "wk_files_source_key_0000000000000001")).Source!;
        await using (var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            var batch = new FileBatch { SourceId = source.Id, FileName = "loyalty-2026-11.csv", Format = FileFormat.Csv, Kind = FileKind.ProfileRecords, Status = FileBatchStatus.Completed, StoredPath = "uploads/x.csv", UploadedBy = "e", UploadedAt = DateTime.UtcNow };
            db.FileBatches.Add(batch);
            await db.SaveChangesAsync();
            db.RawMessages.Add(new RawMessage { SourceId = source.Id, Type = "identify", ReceivedAt = DateTime.UtcNow, EventAt = DateTime.UtcNow, Payload = "{\"row\":\"x\"}", Status = MessageStatus.Rejected, Error = "Line 6 has no identifier", BatchId = batch.Id, LineNumber = 6 });
            await db.SaveChangesAsync();
        }
        Services.AddSingleton(_studio.Services.GetRequiredService<LakeReader>());
        Services.AddSingleton(_studio.Services.GetRequiredService<FileBatches>());
        SignIn("engineer@example.com", Roles.DataEngineer);

        Render<MudBlazor.MudPopoverProvider>();
        var sources = await _studio.Services.GetRequiredService<SourceRegistry>().ListAsync();

        var cut = Render<IngestionRejectedGrid>(p => p.Add(x => x.Filter, new LakeFilter()).Add(x => x.Sources, sources.ToList()));

        var link = cut.WaitForElement("[data-testid=rejected-file]");
        Assert.Equal("loyalty-2026-11.csv", link.TextContent.Trim());
        Assert.Matches("^/data/batches/\\d+$", link.GetAttribute("href"));
        Assert.Contains("loyalty-2026-11.csv, line 6", link.ParentElement!.TextContent.Replace("\n", "").Replace("  ", ""));
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
