using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Tests.Support;

/// <summary>
/// This test assembly run as a program (<c>dotnet ProfileStudio.Tests.dll ROLE …</c>), so a test can
/// host real services in a child process and kill it with SIGKILL. The test runner loads the assembly
/// as a library and never calls <see cref="Main"/>.
/// </summary>
public static class ChildProcess
{
    /// <summary>Hosts the change-feed consumers on a data directory; the consumer appends each row id it handled to a file.</summary>
    public const string FeedConsumerRole = "feed-consumer";

    public static int Main(string[] args)
    {
        if (args is [FeedConsumerRole, var dataDirectory, var handledFile])
        {
            using var host = FeedConsumerHost(dataDirectory, new FileRecordingConsumer(handledFile, TimeSpan.FromMilliseconds(40)));
            host.Start();
            Console.WriteLine("ready");
            host.WaitForShutdown();
            return 0;
        }
        Console.Error.WriteLine($"usage: {FeedConsumerRole} DATA_DIRECTORY HANDLED_FILE");
        return 2;
    }

    /// <summary>The change-feed host as the app builds it (storage from configuration, small batches so positions are saved often), with one consumer.</summary>
    public static IHost FeedConsumerHost(string dataDirectory, IChangeFeedConsumer consumer)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ProfileStudio:DataDirectory"] = dataDirectory,
            ["ProfileStudio:Storage:Provider"] = StoragePorts.Provider,
            ["ProfileStudio:ChangeFeed:BatchSize"] = "50",
        }).Build();
        return new HostBuilder().ConfigureServices(services =>
        {
            services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
            services.AddProfileStudioStorage(configuration);
            services.AddOptions<ChangeFeedOptions>().Bind(configuration.GetSection(ChangeFeedOptions.Section));
            services.AddSingleton<ChangeFeedSignal>();
            services.AddSingleton<ChangeFeedProgress>();
            services.AddSingleton<ChangeFeedStore>();
            services.AddSingleton(consumer);
            services.AddHostedService<ChangeFeedHost>();
        }).Build();
    }

    /// <summary>Name of the consumer in both processes, so the second resumes from the first one's saved position.</summary>
    public const string ConsumerName = "kill-9-test";

    /// <summary>Handles rows slowly, then appends their ids to a file, flushed to disk before it returns (so before the position can be saved).</summary>
    private sealed class FileRecordingConsumer(string path, TimeSpan perBatch) : IChangeFeedConsumer
    {
        private readonly FileStream _file = new(path, FileMode.Append, FileAccess.Write, FileShare.Read);

        public string Name => ConsumerName;
        public string Description => "records handled rows to a file";
        public bool StartsAtEnd => false;

        public async Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
        {
            await Task.Delay(perBatch, ct); // the work, then the record that it was done
            var text = string.Concat(changes.Select(c => $"{c.Id}\n"));
            _file.Write(System.Text.Encoding.ASCII.GetBytes(text));
            _file.Flush(flushToDisk: true);
        }
    }

    /// <summary>Starts this assembly in <paramref name="role"/> as a child process (stdout redirected).</summary>
    public static Process Start(params string[] args)
    {
        var assembly = typeof(ChildProcess).Assembly.Location;
        var start = new ProcessStartInfo("dotnet", [assembly, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
    }
}
