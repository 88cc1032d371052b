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

    public static Task<T> RunAsync<T>(string name, Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            TryLowerPriority();
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>The calling thread's nice value on Linux (null elsewhere): what tests check.</summary>
    internal static int? CurrentNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Marshal.SetLastPInvokeError(0);
        var value = getpriority(PrioProcess, gettid());
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
