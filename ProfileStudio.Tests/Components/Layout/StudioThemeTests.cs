using System.Globalization;
using MudBlazor;
using MudBlazor.Utilities;
using ProfileStudio.Components.Layout;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Layout;

/// <summary>
/// The palette's text stays readable: WCAG AA asks 4.5:1 for normal text. Each pair is one that MudBlazor
/// draws (a <c>Color.Success</c> text or outlined chip on a card, an alert's text on its tint, a filled
/// button's label), computed from the theme as the browser would blend it.
/// </summary>
public sealed class StudioThemeTests
{
    private static readonly string[] Roles = ["Primary", "Secondary", "Tertiary", "Success", "Warning", "Info", "Error"];

    public static TheoryData<string, string, string, string> Pairs()
    {
        var pairs = new TheoryData<string, string, string, string>();
        foreach (var (mode, palette) in new (string, Palette)[] { ("light", StudioTheme.Theme.PaletteLight), ("dark", StudioTheme.Theme.PaletteDark) })
        {
            var hover = palette.HoverOpacity;
            foreach (var (surfaceName, surface) in new[] { ("background", Rgb(palette.Background)), ("surface", Rgb(palette.Surface)) })
            {
                pairs.Add(mode, $"text on {surfaceName}", Hex(Over(Rgba(palette.TextPrimary), surface)), Hex(surface));
                pairs.Add(mode, $"secondary text on {surfaceName}", Hex(Over(Rgba(palette.TextSecondary), surface)), Hex(surface));
                foreach (var role in Roles)
                {
                    var color = Rgb(Read(palette, role));
                    var tint = Over((color.R, color.G, color.B, hover), surface);
                    // Color.X text, outlined chips and buttons; text chips on their tint; alerts' text in the Darken shade on the tint.
                    pairs.Add(mode, $"{role} text on {surfaceName}", Hex(color), Hex(surface));
                    pairs.Add(mode, $"{role} text on its tint over {surfaceName}", Hex(color), Hex(tint));
                    pairs.Add(mode, $"{role}Darken (alert text) on its tint over {surfaceName}", Hex(Rgb(Read(palette, role + "Darken"))), Hex(tint));
                }
            }
            foreach (var role in Roles)
            {
                // Filled buttons, chips and alerts; the Darken shade is their hover and pressed fill.
                var text = Rgb(Read(palette, role + "ContrastText"));
                pairs.Add(mode, $"{role}ContrastText on filled {role}", Hex(text), Hex(Rgb(Read(palette, role))));
                pairs.Add(mode, $"{role}ContrastText on filled {role}Darken", Hex(text), Hex(Rgb(Read(palette, role + "Darken"))));
            }
        }
        return pairs;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Palette_TextOnItsBackground_MeetsWcagAaForNormalText(string mode, string pair, string text, string background)
    {
        var ratio = Wcag.ContrastRatio(text, background);

        Assert.True(ratio >= Wcag.Text, $"{mode}: {pair}: {text} on {background} is {ratio:0.00}:1, below {Wcag.Text}:1");
    }

    [Theory]
    [InlineData("#00c853", "#ffffff", 2.24)] // MudBlazor's light Success on white: the contrast the tester measured
    [InlineData("#ffffff", "#8c9eff", 2.49)] // white on the old dark Primary
    [InlineData("#000000", "#ffffff", 21.0)]
    public void ContrastRatio_KnownPairs_MatchesWcag(string text, string background, double expected)
    {
        Assert.Equal(expected, Wcag.ContrastRatio(text, background), 2);
    }

    private static object Read(Palette palette, string property) =>
        typeof(Palette).GetProperty(property)?.GetValue(palette) ?? throw new InvalidOperationException($"The palette has no {property}.");

    private static (double R, double G, double B, double A) Rgba(object color)
    {
        var c = new MudColor(color.ToString()!);
        return (c.R, c.G, c.B, c.APercentage);
    }

    private static (double R, double G, double B) Rgb(object color)
    {
        var c = Rgba(color);
        Assert.True(c.A >= 1, $"{color} is translucent; blend it with Over");
        return (c.R, c.G, c.B);
    }

    /// <summary>A translucent colour drawn over an opaque one.</summary>
    private static (double R, double G, double B) Over((double R, double G, double B, double A) top, (double R, double G, double B) below) =>
        (top.R * top.A + below.R * (1 - top.A), top.G * top.A + below.G * (1 - top.A), top.B * top.A + below.B * (1 - top.A));

    private static string Hex((double R, double G, double B) c) =>
        string.Create(CultureInfo.InvariantCulture, $"#{(int)Math.Round(c.R):x2}{(int)Math.Round(c.G):x2}{(int)Math.Round(c.B):x2}");
}
