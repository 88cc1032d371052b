using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ProfileStudio.Testing;

/// <summary>
/// The real server as a child process (ProfileStudio.dll as built beside the caller), on 127.0.0.1 with
/// a data directory, a known admin and a streaming source. Shared by the benchmarks and the tests that
/// must kill a server (linked into ProfileStudio.Tests).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminPassword = "Bench-admin-2026!";
    public const string WriteKey = "wk_bench_0123456789abcdefghijklmnop";
    private bool _keepData;
    private readonly Process _process;
    private readonly string _dataDirectory;

    private ServerProcess(Process process, string dataDirectory, Uri baseAddress)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }
    public int ProcessId => _process.Id;

    public static async Task<ServerProcess> StartAsync(IDictionary<string, string>? settings = null, string? dataDirectory = null)
    {
        var port = FreePort();
        var dir = dataDirectory ?? Directory.CreateTempSubdirectory("profilestudio-bench-").FullName;
        var app = Path.Combine(AppContext.BaseDirectory, "ProfileStudio.dll");
        var start = new ProcessStartInfo("dotnet", [app, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ProfileStudio__DataDirectory"] = dir;
        start.Environment["ProfileStudio__Bootstrap__AdminPassword"] = AdminPassword;
        start.Environment["ProfileStudio__Bootstrap__Sources__0__Name"] = "Bench";
        start.Environment["ProfileStudio__Bootstrap__Sources__0__Kind"] = "streaming";
        start.Environment["ProfileStudio__Bootstrap__Sources__0__WriteKey"] = WriteKey;
        start.Environment["ProfileStudio__DemoData__Enabled"] = "false";
        // Ingestion alone: the unification worker is measured by the unify benchmark (callers may turn it back on).
        start.Environment["ProfileStudio__Unification__Enabled"] = "false";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the server.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  server: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, dir, new Uri($"http://127.0.0.1:{port}"));
        await server.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    public string DataDirectory => _dataDirectory;

    /// <summary>Peak resident memory of the server so far (VmHWM), in MB.</summary>
    public double PeakRssMb() => ReadStatusKb("VmHWM") / 1024.0;

    public double RssMb() => ReadStatusKb("VmRSS") / 1024.0;

    /// <summary>CPU time the server has used so far (user and system, all its threads).</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>
    /// The server's CPU over a stretch of the run, as a line: on a shared, noisy machine latency figures swing from run to run
    /// with the neighbours' load, while the CPU a given load costs the server moves much less: it compares two versions of the code.
    /// </summary>
    public static string CpuLine(TimeSpan cpu, TimeSpan wall, long messages) =>
        $"server CPU from the first message sent until caught up: {cpu.TotalSeconds:N1} s over {wall.TotalSeconds:N1} s " +
        $"({cpu / wall / Environment.ProcessorCount:P0} of the {Environment.ProcessorCount} cores), {(messages > 0 ? cpu.TotalMicroseconds / messages : 0):N0} µs per message accepted";

    private long ReadStatusKb(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field + ":"))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
            }
        }
        return 0;
    }

    /// <summary>kill -9: no shutdown, no flush. The data directory is kept for a restart.</summary>
    public async Task KillAsync()
    {
        _keepData = true;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// SIGTERM, as a service manager stops the server: a graceful stop. Returns how long the process took to exit
    /// (at most <paramref name="timeout"/>, after which it is killed). The data directory is kept for a restart.
    /// </summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan timeout)
    {
        _keepData = true;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        if (SendSignal(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        return stopwatch.Elapsed;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} while starting.");
            }
            try
            {
                if ((await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("The server did not become healthy in time.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        if (_keepData)
        {
            return;
        }
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException) { }
    }
}
