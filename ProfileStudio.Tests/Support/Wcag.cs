using MudBlazor.Utilities;

namespace ProfileStudio.Tests.Support;

/// <summary>WCAG 2 contrast: what the palette and chart tests measure colours by.</summary>
public static class Wcag
{
    /// <summary>Normal text (AA).</summary>
    public const double Text = 4.5;

    /// <summary>Graphics a reader needs to tell apart from their background, such as a chart's marks (AA, 1.4.11).</summary>
    public const double Graphics = 3;

    /// <summary>(L1 + 0.05) / (L2 + 0.05) of the relative luminances of two opaque colours ("#rrggbb", "rgb(…)").</summary>
    public static double ContrastRatio(string a, string b)
    {
        var (la, lb) = (Luminance(new MudColor(a)), Luminance(new MudColor(b)));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    private static double Luminance(MudColor c) => 0.2126 * Linear(c.R) + 0.7152 * Linear(c.G) + 0.0722 * Linear(c.B);

    private static double Linear(byte channel)
    {
        var v = channel / 255.0;
        return v <= 0.03928 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
    }
}
