using Bunit;
using ProfileStudio.Components.Shared;

namespace ProfileStudio.Tests.Components.Shared;

public sealed class JsonViewTests : StudioBunitContext
{
    [Fact]
    public void Render_PropertiesNestedDeeperThanTheSerializerDefault_ShowsThemIndented()
    {
        // Accepted before ingestion limited nesting: the timeline must still show them as JSON.
        var json = string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "1" + new string('}', 70);

        var cut = Render<JsonView>(p => p.Add(v => v.Json, json));

        var text = cut.Find("[data-testid=json-view]").TextContent;
        Assert.Contains("\n", text);
        Assert.Contains("\"a\": 1", text);
    }

    [Fact]
    public void Render_TextThatIsNotJson_IsShownAsItIs()
    {
        var cut = Render<JsonView>(p => p.Add(v => v.Json, "{\"a\":\"\\ud800\"}"));

        Assert.Equal("{\"a\":\"\\ud800\"}", cut.Find("[data-testid=json-view]").TextContent);
    }
}
