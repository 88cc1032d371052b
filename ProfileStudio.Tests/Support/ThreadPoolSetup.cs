using System.Runtime.CompilerServices;

namespace ProfileStudio.Tests.Support;

/// <summary>
/// Test classes run in parallel, and many of them wait synchronously (bUnit's WaitFor*, a clicked handler, SQLite's lock
/// waits): on a 2-core machine the thread pool grows by about one thread per second, so a bUnit check could miss its 1 s
/// window without ever running ("the renderer's dispatcher did not run the check": seen once in CI). The pool starts with
/// enough threads for them, as bUnit advises.
/// </summary>
internal static class ThreadPoolSetup
{
    [ModuleInitializer]
    internal static void RaiseMinThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, Environment.ProcessorCount * 4), io);
    }
}
