using Bunit;
using ProfileStudio.Components.Data.Sources;
using ProfileStudio.Core.Sources;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Data.Sources;

/// <summary>The source page's Setup tab: what each kind of source is sent with.</summary>
public sealed class SourceSetupPanelTests : StudioBunitContext
{
    [Fact]
    public void AStreamingSource_ShowsTheTrackingSnippets_WithTheNewKeyFilledIn()
    {
        var cut = Render<SourceSetupPanel>(p => p
            .Add(x => x.Source, new Source { Id = 3, Name = "Website", Kind = SourceKind.Streaming, WriteKeyHint = "mnop" })
            .Add(x => x.WriteKey, "wk_new_key_0123456789abcdefghijklmnop"));

        Assert.Contains("/v1/track", cut.Find("[data-testid=snippet-curl]").TextContent);
        Assert.Contains("wk_new_key_0123456789abcdefghijklmnop", cut.Find("[data-testid=snippet-node]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=snippet-upload]"));
    }

    [Fact]
    public void ABatchSource_ShowsHowToUploadFiles_NotTheTrackingApiItsKeyIsRefusedBy()
    {
        var cut = Render<SourceSetupPanel>(p => p.Add(x => x.Source, new Source { Id = 4, Name = "CRM export", Kind = SourceKind.Batch, WriteKeyHint = "0006" }));

        var upload = cut.Find("[data-testid=snippet-upload]").TextContent;
        Assert.Contains("/api/v1/sources/4/batches?kind=profiles&mapping=auto", upload);
        Assert.Contains("YOUR_WRITE_KEY", upload); // keys are shown once
        Assert.Contains("Data › Files", cut.Find("[data-testid=batch-setup]").TextContent);
        Assert.Contains("streaming source", cut.Find("[data-testid=batch-setup]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=snippet-curl]"));
        Assert.Empty(cut.FindAll("[data-testid=snippet-browser]"));
    }
}
