using ProfileStudio.Components.Layout;
using ProfileStudio.Components.Profiles;
using ProfileStudio.Core.Identity;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Profiles;

public sealed class IdentityGraphLayoutTests
{
    private static IdentityRecord Identity(long id, string ns, string value) => new() { Id = id, Namespace = ns, Value = value };

    private static IdentityLink Link(long from, long to) => new() { FromIdentityId = from, ToIdentityId = to };

    private static (double X, double Y) At(IdentityGraphLayout layout, string value) =>
        layout.Nodes.Where(n => n.Identity.Value == value).Select(n => (n.X, n.Y)).Single();

    /// <summary>How close the segment between two nodes passes to the middle of the drawing.</summary>
    private static double DistanceFromMiddle((double X, double Y) a, (double X, double Y) b)
    {
        var (dx, dy) = (b.X - a.X, b.Y - a.Y);
        var t = Math.Clamp(-(a.X * dx + a.Y * dy) / (dx * dx + dy * dy), 0, 1);
        return Math.Sqrt(Math.Pow(a.X + t * dx, 2) + Math.Pow(a.Y + t * dy, 2));
    }

    [Fact]
    public void Circle_UserIdSeenWithEveryDevice_IsInTheMiddle()
    {
        var identities = new[] { Identity(1, "anonymous_id", "d-1"), Identity(2, "user_id", "ada"), Identity(3, "anonymous_id", "d-2"), Identity(4, "email", "ada@example.com") };

        var layout = IdentityGraphLayout.Circle(identities, [Link(2, 1), Link(2, 3), Link(2, 4)]);

        Assert.Equal((0, 0), At(layout, "ada"));
        Assert.Equal(4, layout.Nodes.Count);
        Assert.Equal(3, layout.EdgeLabels.Count);
    }

    [Fact]
    public void Circle_PhoneSeenByThreeSources_IsInTheMiddleAndAChainOffItNeverRunsBehindIt()
    {
        // The rule simulator's phone example: three devices each seen with one phone, the till also with a loyalty card.
        var identities = new[]
        {
            Identity(1, "anonymous_id", "web"), Identity(2, "phone", "+447700900123"), Identity(3, "anonymous_id", "app"),
            Identity(4, "anonymous_id", "till"), Identity(5, "loyalty_id", "L-0077"),
        };

        var layout = IdentityGraphLayout.Circle(identities, [Link(1, 2), Link(3, 2), Link(4, 5), Link(4, 2)]);

        Assert.Equal((0, 0), At(layout, "+447700900123"));
        Assert.True(DistanceFromMiddle(At(layout, "till"), At(layout, "L-0077")) > 0.3);
    }

    [Fact]
    public void Circle_TwoLinkedNodesAroundTheMiddle_AreNotOppositeEachOther()
    {
        var identities = new[] { Identity(1, "user_id", "ada"), Identity(2, "email", "ada@example.com"), Identity(3, "anonymous_id", "d-1") };

        var layout = IdentityGraphLayout.Circle(identities, [Link(1, 2), Link(1, 3), Link(2, 3)]);

        Assert.True(DistanceFromMiddle(At(layout, "ada@example.com"), At(layout, "d-1")) > 0.3);
    }

    [Fact]
    public void Circle_LinkToAnIdentityOutsideTheProfile_IsNotDrawn()
    {
        var layout = IdentityGraphLayout.Circle([Identity(1, "user_id", "ada")], [Link(1, 99)]);

        Assert.Equal((0, 0), At(layout, "ada"));
        Assert.Empty(layout.EdgeLabels);
        Assert.Empty(layout.EdgeX);
    }

    [Fact]
    public void Circle_NoIdentities_IsEmpty()
    {
        var layout = IdentityGraphLayout.Circle([], []);

        Assert.Empty(layout.Nodes);
    }

    [Fact]
    public void RankAndColorOf_BuiltInAndCustomNamespaces_AreStableWithBuiltInsFirst()
    {
        string[] namespaces = ["member_id", "anonymous_id", "user_id", "email"];

        var ordered = namespaces.OrderBy(IdentityGraphLayout.Rank).ThenBy(n => n, StringComparer.Ordinal);

        Assert.Equal(["user_id", "email", "anonymous_id", "member_id"], ordered);
        Assert.Equal(IdentityGraphLayout.ColorOf("member_id"), IdentityGraphLayout.ColorOf("member_id"));
        Assert.Equal(namespaces.Length, namespaces.Select(IdentityGraphLayout.ColorOf).Distinct().Count());
    }

    public static TheoryData<string, string> ColorsOnCards()
    {
        var pairs = new TheoryData<string, string>();
        foreach (var color in IdentityGraphLayout.Palette.Append(IdentityGraphLayout.EdgeColor))
        {
            pairs.Add(color, StudioTheme.Theme.PaletteLight.Surface.ToString());
            pairs.Add(color, StudioTheme.Theme.PaletteDark.Surface.ToString());
        }
        return pairs;
    }

    [Theory]
    [MemberData(nameof(ColorsOnCards))]
    public void Palette_NodeAndEdgeColours_StandOutFromTheCardInBothThemes(string color, string card)
    {
        var ratio = Wcag.ContrastRatio(color, card);

        Assert.True(ratio >= Wcag.Graphics, $"{color} on {card} is {ratio:0.00}:1, below {Wcag.Graphics}:1");
    }
}
