using Microsoft.Playwright;

namespace ProfileStudio.E2E.Infrastructure;

/// <summary>Full-page screenshots in <c>screenshots/</c> beside the test binaries.</summary>
public static class Screenshots
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>Empties the folder, so it shows only the last run.</summary>
    public static void Reset()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        System.IO.Directory.CreateDirectory(Directory);
    }

    public static async Task<string> SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(Directory, Sanitize(name) + ".png");
        // A full-page capture of a scrolled page draws the fixed app bar where the viewport was (mid-page).
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>The window as a person sees it: fixed parts (the navigation drawer) at the window's height, not the page's.</summary>
    public static async Task<string> SaveWindowAsync(IPage page, string name)
    {
        var path = Path.Combine(Directory, Sanitize(name) + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }

    private static string Sanitize(string name) =>
        string.Concat(name.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
}
