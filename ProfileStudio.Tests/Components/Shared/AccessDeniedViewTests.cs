using Bunit;
using ProfileStudio.Components.Shared;

namespace ProfileStudio.Tests.Components.Shared;

public sealed class AccessDeniedViewTests : StudioBunitContext
{
    [Fact]
    public void Render_Always_SaysAccessDeniedAndLinksHome()
    {
        var cut = Render<AccessDeniedView>();

        Assert.Equal("Access denied", cut.Find("[data-testid=access-denied] h1").TextContent.Trim());
        var home = cut.Find("a[href='/']");
        Assert.Contains("Home", home.TextContent);
        Assert.Contains("403", cut.Markup);
    }
}
