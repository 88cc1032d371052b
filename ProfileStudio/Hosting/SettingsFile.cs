using Microsoft.Extensions.Configuration.Json;

namespace ProfileStudio.Hosting;

internal static class SettingsFile
{
    /// <summary>
    /// Reads the appsettings.json that the build copies beside the binaries (from the repository
    /// root) as the lowest-precedence source, so the app finds it whatever the current directory;
    /// a file in the content root, environment variables and the command line still override it.
    /// </summary>
    public static ConfigurationManager AddRootSettingsFile(this ConfigurationManager configuration)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (File.Exists(path))
        {
            var source = new JsonConfigurationSource { Path = path, Optional = true, ReloadOnChange = false };
            source.ResolveFileProvider();
            configuration.Sources.Insert(0, source);
        }
        return configuration;
    }
}
