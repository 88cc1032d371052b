using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Components.Data.Schema;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Schema;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Data.Schema;

public sealed class SchemaPageTests : StudioBunitContext
{
    private StudioServices? _studio;
    private IRenderedComponent<MudBlazor.MudDialogProvider>? _dialogs;

    private async Task<IRenderedComponent<SchemaPage>> RenderAsync(bool seed, params (string Key, string ValueJson)[] more)
    {
        _studio = await StudioServices.StartAsync(withAccounts: false, time: new FakeTimeProvider(SchemaSeed.Today));
        if (seed)
        {
            await SchemaSeed.WriteAsync(_studio, more);
        }
        Services.AddSingleton(_studio.Services.GetRequiredService<SchemaCatalog>());
        Services.AddSingleton(_studio.Services.GetRequiredService<SchemaMaintainer>());
        SignIn("support@example.com", Roles.Support);
        Render<MudBlazor.MudPopoverProvider>();
        _dialogs = Render<MudBlazor.MudDialogProvider>();
        return Render<SchemaPage>();
    }

    [Fact]
    public async Task Render_Attributes_PathsWithTypesFillRatesAndSources()
    {
        var cut = await RenderAsync(seed: true);

        cut.WaitForAssertion(() => Assert.Equal(["address.city", "age", "email"], cut.FindAll("[data-testid=attribute-path]").Select(e => e.TextContent)));
        var rows = cut.FindAll("[data-testid=attributes-table] tbody tr");
        Assert.Contains("50 %", rows[2].QuerySelector("[data-testid=fill-rate]")!.TextContent); // email: 2 of 4 profiles
        Assert.Equal(["number 1", "text 1"], rows[1].QuerySelectorAll("[data-testid=type-chip]").Select(c => c.TextContent.Trim()).ToArray()); // age: both types, counted
        Assert.Contains("Website", rows[0].TextContent);
        Assert.Empty(cut.FindAll("[data-testid=schema-empty]"));
    }

    [Fact]
    public async Task Search_NarrowsTheAttributes_AndARowOpensItsDetails()
    {
        var cut = await RenderAsync(seed: true);
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=attribute-path]").Count));

        cut.Find("input[data-testid=attributes-search]").Input("MAIL");
        cut.WaitForAssertion(() => Assert.Equal(["email"], cut.FindAll("[data-testid=attribute-path]").Select(e => e.TextContent)), TimeSpan.FromSeconds(5));
        cut.Find("[data-testid=attributes-table] tbody tr").Click();

        var details = _dialogs!.WaitForElement("[data-testid=attribute-details]");
        Assert.Contains("ada@example.com", details.QuerySelector("[data-testid=attribute-examples]")!.TextContent);
        Assert.Contains("text: 2 values", details.QuerySelector("[data-testid=attribute-types]")!.TextContent);
    }

    [Fact]
    public async Task AttributeDetails_DatesNumbersAndBooleans_AreShownForPeople()
    {
        var cut = await RenderAsync(seed: true,
            ("birthday", "\"1952-01-01T00:00:00.0000000Z\""), ("crm_lifetime_value", "1498.76"), ("vip", "true"), ("postcode", "\"01234\""));
        cut.WaitForAssertion(() => Assert.Contains("birthday", cut.FindAll("[data-testid=attribute-path]").Select(e => e.TextContent)));

        string ExamplesOf(string path)
        {
            cut.FindAll("[data-testid=attributes-table] tbody tr").Single(r => r.QuerySelector("[data-testid=attribute-path]")!.TextContent == path).Click();
            var dialogs = _dialogs!;
            var text = dialogs.WaitForElement("[data-testid=attribute-examples]").TextContent.Trim();
            dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Close").Click(); // for the next one
            dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=attribute-details]")));
            return text;
        }

        Assert.Equal("1 Jan 1952", ExamplesOf("birthday"));
        Assert.Equal("1,498.76", ExamplesOf("crm_lifetime_value"));
        Assert.Equal("yes", ExamplesOf("vip"));
        Assert.Equal("01234", ExamplesOf("postcode")); // text that looks like a number is a code: as written
    }

    [Fact]
    public async Task EventsTab_ShowsVolumeSparklineAndOpensProperties()
    {
        var cut = await RenderAsync(seed: true);
        cut.FindAll(".mud-tab").Single(t => t.TextContent.StartsWith("Events", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() => Assert.Equal(["Order Completed", "Page viewed"], cut.FindAll("[data-testid=event-name]").Select(e => e.TextContent)));
        var order = cut.FindAll("[data-testid=events-table] tbody tr")[0];
        Assert.Contains("5 in the last 30 days", order.QuerySelector("[data-testid=sparkline] title")!.TextContent);
        Assert.Contains("/pricing", cut.FindAll("[data-testid=events-table] tbody tr")[1].TextContent);
        order.Click();

        var properties = _dialogs!.WaitForElement("[data-testid=event-properties]");
        Assert.Contains("coupon", properties.TextContent);
        Assert.Contains("WINTER", properties.TextContent);
        Assert.Contains("revenue", properties.TextContent);
    }

    [Fact]
    public async Task Render_NothingCountedYet_SaysToConnectASource()
    {
        var cut = await RenderAsync(seed: false);

        var empty = cut.WaitForElement("[data-testid=schema-empty]");
        Assert.Equal("/data/sources", empty.QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("Connect a source", empty.TextContent);
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
