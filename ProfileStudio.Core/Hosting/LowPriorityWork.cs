using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace ProfileStudio.Core.Hosting;

/// <summary>
/// Runs long background computations (the dashboard's full refresh) on a thread of their own at a lower CPU
/// priority (Linux: nice 10 for that thread only), so that on a busy machine the scheduler serves ingestion and
/// unification first and the computation takes the CPU they leave. Elsewhere it is an ordinary thread.
/// </summary>
public static class LowPriorityWork
{
    /// <summary>The nice value of the thread (0 is normal, 19 the lowest; raising it needs no privilege).</summary>
    public const int Nice = 10;

    /// <summary>
    /// Runs <paramref name="work"/> at the lower priority. The work must not queue work to the thread pool or start
    /// threads itself (it may wait on an asynchronous call, as the dashboard's does: whatever that call awaits is
    /// continued by the thread that completes it): on Linux a new thread takes the priority of the thread that creates it, and a
    /// scheduler may start one on the thread that hands it work (xunit's synchronization context does), which would
    /// then stay at the lower priority for the life of the process. For the same reason the caller's task is completed
    /// by a thread at normal priority that waits for this one, never by the low-priority thread.
    /// </summary>
    public static Task<T> RunAsync<T>(string name, Func<T> work)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            TryLowerPriority();
            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return Task.Factory.StartNew(() =>
        {
            thread.Join();
            failure?.Throw();
            return result;
        }, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.RunContinuationsAsynchronously, TaskScheduler.Default);
    }

    /// <summary>The nice value of the process's main thread on Linux (null elsewhere): what tests compare with.</summary>
    internal static int? ProcessNice() => NiceOf(Environment.ProcessId);

    /// <summary>The calling thread's nice value on Linux (null elsewhere): what tests check.</summary>
    internal static int? CurrentNice() => OperatingSystem.IsLinux() ? NiceOf(gettid()) : null;

    private static int? NiceOf(int threadId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Marshal.SetLastPInvokeError(0);
        var value = getpriority(PrioProcess, threadId);
        return value == -1 && Marshal.GetLastPInvokeError() != 0 ? null : value;
    }

    private static void TryLowerPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = setpriority(PrioProcess, gettid(), Nice); // a failure leaves the thread at normal priority
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    private const int PrioProcess = 0; // with a thread id: that thread alone (Linux)

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);

    [DllImport("libc", SetLastError = true)]
    private static extern int getpriority(int which, int who);

    [DllImport("libc")]
    private static extern int gettid();
}
