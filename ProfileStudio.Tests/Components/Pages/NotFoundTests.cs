using Bunit;
using ProfileStudio.Components.Layout;
using ProfileStudio.Components.Pages;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Components.Pages;

public sealed class NotFoundTests : StudioBunitContext
{
    [Fact]
    public void Render_NamesTheWayBackAsTheMenuNamesIt()
    {
        SignIn("someone@example.com", Roles.Support);
        var menuName = Render<NavMenu>().FindAll("a").Single(a => a.GetAttribute("href") == "/").TextContent.Trim();

        var cut = Render<NotFound>();

        var button = cut.Find("[data-testid=not-found-home]");
        Assert.Equal("/", button.GetAttribute("href"));
        Assert.Equal($"Go to the {menuName}", button.TextContent.Trim());
        Assert.Contains($"go to the {menuName}.", cut.Markup);
        Assert.DoesNotContain("Home", cut.Markup);
    }
}
