namespace ProfileStudio.E2E.Infrastructure;

/// <summary>
/// The Chromium the tests drive: the system one, not a Playwright download (the tests run offline).
/// </summary>
internal static class ChromiumLocator
{
    public const string EnvironmentVariable = "PROFILESTUDIO_CHROMIUM";
    public const string DefaultPath = "/usr/bin/chromium";

    public static string Resolve()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var path = string.IsNullOrWhiteSpace(configured) ? DefaultPath : configured;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {path}. Install it (Debian: apt-get install -y chromium) " +
                $"or set {EnvironmentVariable} to a Chromium/Chrome binary.");
        }
        return path;
    }
}
