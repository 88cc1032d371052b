using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ProfileStudio.E2E.Infrastructure;

/// <summary>
/// The real app on a real Kestrel port (127.0.0.1, port chosen by the OS) inside the test process,
/// with a fresh data directory and a known bootstrap administrator.
/// </summary>
public sealed class StudioServer : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@e2e.test";
    public const string AdminPassword = "E2e-Admin-Passw0rd!";

    private readonly string _dataDirectory =
        Path.Combine(Path.GetTempPath(), "profilestudio-e2e-" + Guid.NewGuid().ToString("N"));

    private Uri? _address;

    /// <summary>The server's root, e.g. http://127.0.0.1:39215/; available after <see cref="Start"/>.</summary>
    public Uri Address => _address ?? throw new InvalidOperationException("Call Start() first.");

    private readonly int _demoPeople;

    /// <summary>A server; with <paramref name="demoPeople"/> above 0, the demo data for that many people is generated at start.</summary>
    public StudioServer(int demoPeople = 0)
    {
        _demoPeople = demoPeople;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
    }

    public void Start()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        _address = new Uri(addresses.Single().TrimEnd('/') + "/");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ProfileStudio:DataDirectory", _dataDirectory);
        builder.UseSetting("ProfileStudio:DemoData:Enabled", _demoPeople > 0 ? "true" : "false");
        builder.UseSetting("ProfileStudio:DemoData:People", Math.Max(_demoPeople, 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("ProfileStudio:Bootstrap:AdminEmail", AdminEmail);
        // POST /api/testing/clock/advance?hours=N (Admin): stories that watch windows move the app's clock; it only moves when asked.
        builder.UseSetting("ProfileStudio:Testing:ClockControl", "true");
        // Time windows are re-checked every second (not every minute), so a story sees people leave soon after the clock moves.
        builder.UseSetting("ProfileStudio:Segments:ClockCheckSeconds", "1");
        builder.UseSetting("ProfileStudio:Bootstrap:AdminPassword", AdminPassword);
        // The app's own log is noise in test output; warnings and errors still show.
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // Pooled SQLite connections keep the database file open.
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
