using Bunit;
using ProfileStudio.Components.Shared;

namespace ProfileStudio.Tests.Components.Shared;

public sealed class PropertyListTests : StudioBunitContext
{
    private static string Value(IRenderedComponent<PropertyList> cut, string key) =>
        cut.Find($"[data-testid=property-value][data-key='{key}']").TextContent.Trim();

    [Fact]
    public void Render_AnOrdersProducts_AreATableOfItems_NotJson()
    {
        var cut = Render<PropertyList>(p => p.Add(v => v.Json, """
            {"order_id":"o-1","revenue":129.5,"shipping":{"method":"express","paid":true},
             "products":[{"sku":"SKU-1","price":99.5,"tags":["new","sale"]},{"sku":"SKU-2","price":30,"gift":{"wrap":true}}]}
            """));

        Assert.Equal("129.5", Value(cut, "revenue"));
        Assert.Equal("express", Value(cut, "shipping.method"));
        Assert.Equal("yes", Value(cut, "shipping.paid"));
        var items = cut.Find("[data-testid=property-items]");
        Assert.Equal(["sku", "price", "tags", "gift.wrap"], items.QuerySelectorAll("thead th").Select(h => h.TextContent.Trim()));
        Assert.Equal([["SKU-1", "99.5", "new, sale", ""], ["SKU-2", "30", "", "yes"]],
            cut.FindAll("[data-testid=property-item]").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToArray()).ToArray());
    }

    [Fact]
    public void Render_ListsOfValues_ReadAsText_AndAnEmptyListAsNone()
    {
        var cut = Render<PropertyList>(p => p.Add(v => v.Json, """{"colors":["red","blue"],"sizes":[38,40.5],"when":["2026-03-01"],"nothing":[],"mixed":[1,{"a":2}]}"""));

        Assert.Equal("red, blue", Value(cut, "colors"));
        Assert.Equal("38, 40.5", Value(cut, "sizes"));
        Assert.Equal("1 Mar 2026", Value(cut, "when"));
        Assert.Equal("none", Value(cut, "nothing"));
        Assert.Equal("[1,{\"a\":2}]", Value(cut, "mixed")); // neither a list of values nor of objects: as JSON
    }

    [Fact]
    public void Render_AnItemNamingAKeyTwice_ShowsItOnce_RatherThanFailing()
    {
        var cut = Render<PropertyList>(p => p.Add(v => v.Json, """{"items":[{"a.b":1,"a":{"b":2},"tags":[],"sizes":[38,null]}]}"""));

        Assert.Equal(["a.b", "tags", "sizes"], cut.FindAll("[data-testid=property-items] thead th").Select(h => h.TextContent.Trim()));
        Assert.Equal(["2", "none", "38, —"], cut.Find("[data-testid=property-item]").QuerySelectorAll("td").Select(c => c.TextContent.Trim()));
    }

    [Fact]
    public void Render_AListOfManyItems_ShowsTheFirst50AndCountsTheRest()
    {
        var items = string.Join(",", Enumerable.Range(1, 60).Select(i => $$"""{"sku":"SKU-{{i}}"}"""));

        var cut = Render<PropertyList>(p => p.Add(v => v.Json, $$"""{"products":[{{items}}]}"""));

        var rows = cut.FindAll("[data-testid=property-item]");
        Assert.Equal(51, rows.Count);
        Assert.Equal("SKU-50", rows[49].TextContent.Trim());
        Assert.Equal("… and 10 more", rows[50].TextContent.Trim());
    }

    [Fact]
    public void Render_MarkupInAnItem_StaysText()
    {
        var cut = Render<PropertyList>(p => p.Add(v => v.Json, """{"products":[{"name":"<script>alert(1)</script>"}]}"""));

        Assert.Empty(cut.FindAll("script"));
        Assert.Equal("<script>alert(1)</script>", cut.Find("[data-testid=property-item] td").TextContent.Trim());
    }
}
