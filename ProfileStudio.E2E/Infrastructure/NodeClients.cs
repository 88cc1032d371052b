using System.Diagnostics;

namespace ProfileStudio.E2E.Infrastructure;

/// <summary>The real tracking libraries in <c>ProfileStudio.E2E/clients</c> (installed by <c>npm ci</c> there).</summary>
public static class NodeClients
{
    public static string Directory { get; } = Locate();

    /// <summary>Runs one of the send scripts against the server; fails the test with the script's output when it fails.</summary>
    public static async Task RunAsync(string script, params string[] args)
    {
        var start = new ProcessStartInfo("node", [script, .. args])
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started; install Node.js.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node {script} exited {process.ExitCode}: {await output} {await errors}");
    }

    /// <summary>A file of an installed package, e.g. the analytics.js browser bundle.</summary>
    public static string PackageFile(params string[] path) => Path.Combine([Directory, "node_modules", .. path]);

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ProfileStudio.sln")))
            {
                var clients = Path.Combine(dir.FullName, "ProfileStudio.E2E", "clients");
                if (!System.IO.Directory.Exists(Path.Combine(clients, "node_modules")))
                {
                    throw new InvalidOperationException($"The tracking clients are not installed: run `npm ci` in {clients}.");
                }
                return clients;
            }
        }
        throw new InvalidOperationException("ProfileStudio.sln was not found above the test binaries.");
    }
}
