using ProfileStudio.Components.Shared;

namespace ProfileStudio.Tests.Components.Shared;

/// <summary>Data shown in a Plotly label reads as sent: no link or markup planted through tracking data.</summary>
public sealed class ChartTextTests
{
    [Theory]
    [InlineData("<a href=\"//x.co\">y</a>", "&lt;a href=\"//x.co\"&gt;y&lt;/a&gt;")]
    [InlineData("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;")]
    [InlineData("Fish & chips", "Fish &amp; chips")]
    [InlineData("&lt;", "&amp;lt;")]
    [InlineData("Books", "Books")]
    public void Plain_MarkupCharacters_BecomeEntities(string text, string label) => Assert.Equal(label, ChartText.Plain(text));
}
