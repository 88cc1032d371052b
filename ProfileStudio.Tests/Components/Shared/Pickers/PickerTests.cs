using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Components.Shared.Pickers;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Schema;
using ProfileStudio.Tests.Components.Data.Schema;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Shared.Pickers;

public sealed class PickerTests : StudioBunitContext
{
    private StudioServices? _studio;

    private async Task<IRenderedComponent<MudBlazor.MudPopoverProvider>> SetUpAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: false, time: new FakeTimeProvider(SchemaSeed.Today));
        await SchemaSeed.WriteAsync(_studio);
        Services.AddSingleton(_studio.Services.GetRequiredService<SchemaCatalog>());
        return Render<MudBlazor.MudPopoverProvider>();
    }

    [Fact]
    public async Task AttributePathPicker_Typing_OffersPathsWithTypeAndFillRate_AndPicksOne()
    {
        var popover = await SetUpAsync();
        string? picked = null;
        AttributeSummary? summary = null;
        var cut = Render<AttributePathPicker>(p => p
            .Add(x => x.ValueChanged, v => picked = v)
            .Add(x => x.AttributeChanged, a => summary = a));

        cut.Find("input").Input("ema");

        popover.WaitForAssertion(() => Assert.Single(popover.FindAll("[data-testid=attribute-option]")), TimeSpan.FromSeconds(5));
        var option = popover.Find("[data-testid=attribute-option]");
        Assert.Contains("email", option.TextContent);
        Assert.Contains("text", option.TextContent);
        Assert.Contains("50 %", option.TextContent);
        popover.Find(".mud-list-item").Click();
        cut.WaitForAssertion(() => Assert.Equal("email", picked));
        Assert.Equal((2L, 4L), (summary!.ProfileCount, summary.LiveProfiles));
    }

    [Fact]
    public async Task AttributePathPicker_WithComputed_OffersActiveComputedAttributesFirst_WithTypeAndWhatTheyCompute()
    {
        var popover = await SetUpAsync();
        var store = _studio!.Services.GetRequiredService<ComputedAttributeStore>();
        var actor = new AuditActor("u1", "mara@example.com");
        var lifetime = (await store.SaveAsync(actor, null,
            new ComputedAttributeDraft("lifetime_value", null, ComputedFunction.Sum, ["Order Completed"], "revenue", [], LookbackWindow.AllTime))).Definition!;
        Assert.True((await store.ActivateAsync(actor, lifetime.Id)).Succeeded);
        // A draft computes nothing yet: not offered.
        Assert.True((await store.SaveAsync(actor, null,
            new ComputedAttributeDraft("lifetime_orders", null, ComputedFunction.Count, ["Order Completed"], null, [], LookbackWindow.AllTime))).Succeeded);
        await using (var db = await _studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync())
        {
            db.ComputedProfileStates.Add(ComputedProfileState.Of(1, new ComputedEntry(lifetime.Id, lifetime.Version, ReadOnlyMemory<byte>.Empty, "120", SchemaSeed.Today, null)));
            await db.SaveChangesAsync();
        }
        string? picked = null;
        AttributeSummary? summary = null;
        var cut = Render<AttributePathPicker>(p => p.Add(x => x.IncludeComputed, true)
            .Add(x => x.ValueChanged, v => picked = v)
            .Add(x => x.AttributeChanged, a => summary = a));

        cut.Find("input").Input("life");

        popover.WaitForAssertion(() => Assert.Single(popover.FindAll("[data-testid=attribute-option-computed]")), TimeSpan.FromSeconds(5));
        var options = popover.FindAll("[data-testid=attribute-option]");
        Assert.Contains("lifetime_value", options[0].TextContent);
        Assert.Contains("number", options[0].TextContent);
        Assert.Contains("sum of revenue over Order Completed", options[0].TextContent);
        Assert.DoesNotContain(options, o => o.TextContent.Contains("lifetime_orders", StringComparison.Ordinal));
        popover.FindAll(".mud-list-item")[0].Click();
        cut.WaitForAssertion(() => Assert.Equal("lifetime_value", picked));
        Assert.Equal(("number", 1L, 4L), (summary!.Type, summary.ProfileCount, summary.LiveProfiles));
        Assert.Contains("computed: sum of revenue over Order Completed", cut.Markup);
    }

    [Fact]
    public async Task EventNamePicker_OffersCatalogEntries_AndEventPropertyPicker_ThePathsOfTheChosenEvent()
    {
        var popover = await SetUpAsync();
        string? eventKey = null;
        var events = Render<EventNamePicker>(p => p.Add(x => x.ValueChanged, v => eventKey = v));
        events.Find("input").Input("");
        events.Find("input").Input("order");
        popover.WaitForAssertion(() => Assert.Single(popover.FindAll("[data-testid=event-option]")), TimeSpan.FromSeconds(5));
        Assert.Contains("Order Completed", popover.Find("[data-testid=event-option]").TextContent);
        popover.Find(".mud-list-item").Click();
        events.WaitForAssertion(() => Assert.Equal("track:Order Completed", eventKey));

        string? property = null;
        EventPropertySummary? summary = null;
        var properties = Render<EventPropertyPicker>(p => p.Add(x => x.EventKeys, new[] { eventKey! })
            .Add(x => x.ValueChanged, v => property = v).Add(x => x.PropertyChanged, s => summary = s));
        properties.Find("input").Input("rev");
        popover.WaitForAssertion(() => Assert.Single(popover.FindAll("[data-testid=property-option]")), TimeSpan.FromSeconds(5));
        Assert.Contains("number", popover.Find("[data-testid=property-option]").TextContent);
        popover.FindAll(".mud-list-item").Last().Click();
        properties.WaitForAssertion(() => Assert.Equal("revenue", property));
        Assert.Equal(("number", 5L), (summary!.Type, summary.Count));
    }

    [Fact]
    public async Task EventPropertyPicker_OffersKeysAsClientsSentThem_ButNotOnesNoValidatorAccepts()
    {
        // "Order Total" is a key as a tracking client sent it: offered, and the validators accept it. A key with a quote
        // cannot be addressed by a path: offering it only led to a refusal when saving.
        var popover = await SetUpAsync();
        await SchemaSeed.WriteEventAsync(_studio!, "Checkout", """{"Order Total": 3, "say \"hi\"": 1}""");
        var cut = Render<EventPropertyPicker>(p => p.Add(x => x.EventKeys, new[] { "track:Checkout" }));

        cut.Find("input").Input("");
        cut.Find("input").Input(" ");

        popover.WaitForAssertion(() => Assert.NotEmpty(popover.FindAll("[data-testid=property-option]")), TimeSpan.FromSeconds(5));
        var offered = popover.FindAll("[data-testid=property-option] code").Select(c => c.TextContent).ToList();
        Assert.Contains("Order Total", offered);
        Assert.DoesNotContain(offered, o => o.Contains('"'));
    }

    [Fact]
    public async Task EventPropertyPicker_NoEventChosen_IsDisabledAndSaysWhy()
    {
        await SetUpAsync();

        var cut = Render<EventPropertyPicker>(p => p.Add(x => x.EventKeys, Array.Empty<string>()));

        Assert.True(cut.Find("input").HasAttribute("disabled"));
        Assert.Contains("Choose an event first", cut.Markup);
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
