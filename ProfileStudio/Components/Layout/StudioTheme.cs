using MudBlazor;

namespace ProfileStudio.Components.Layout;

/// <summary>The studio's colours and type, in light and dark.</summary>
internal static class StudioTheme
{
    /// <summary>Text on a light fill in the dark theme.</summary>
    private const string DarkOnLight = "#141622";

    public static MudTheme Theme { get; } = new()
    {
        // Every colour a component writes text in, or fills behind text, is chosen for WCAG AA (4.5:1 for
        // normal text) on the page and card backgrounds, on its own 6% tint (text chips, alerts) and under
        // its contrast text when filled; StudioThemeTests computes each pair. MudBlazor's own greens,
        // oranges and blues are for fills, not text (2.0-3.1:1 on white).
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00756a",
            Tertiary = "#5e35b1",
            Success = "#2d7931",
            Warning = "#ad4e00",
            Info = "#1565c0",
            Error = "#c62828",
            TextSecondary = "rgba(0,0,0,0.6)",
            AppbarBackground = "#283593",
            Background = "#f5f6fa",
            DrawerBackground = "#ffffff",
        },
        // Light colours on the dark grey, with dark text when filled (white on a light fill was 1.9-2.9:1).
        // MudBlazor writes alert text and a filled control's hover in the "Darken" shade, which on a dark
        // page has to be the lighter one to stay readable.
        PaletteDark = new PaletteDark
        {
            Primary = "#9aaaff",
            PrimaryDarken = "#b3bfff",
            PrimaryContrastText = DarkOnLight,
            Secondary = "#62c0b7",
            SecondaryDarken = "#80cbc4",
            SecondaryContrastText = DarkOnLight,
            Tertiary = "#c5b3e6",
            TertiaryDarken = "#d1c4e9",
            TertiaryContrastText = DarkOnLight,
            Success = "#72c276",
            SuccessDarken = "#a5d6a7",
            SuccessContrastText = DarkOnLight,
            Warning = "#ffa800",
            WarningDarken = "#ffca28",
            WarningContrastText = DarkOnLight,
            Info = "#64b5f6",
            InfoDarken = "#90caf9",
            InfoContrastText = DarkOnLight,
            Error = "#f4968d",
            ErrorDarken = "#ffb4ab",
            ErrorContrastText = DarkOnLight,
            TextSecondary = "rgba(255,255,255,0.6)",
            AppbarBackground = "#1a1f3a",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["Inter", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
            },
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "250px" },
    };
}
