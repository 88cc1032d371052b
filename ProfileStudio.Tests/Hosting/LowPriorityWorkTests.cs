using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Tests.Hosting;

public sealed class LowPriorityWorkTests
{
    [Fact]
    public async Task Work_RunsOnAThreadOfItsOwn_AtALowerPriorityOnLinux_AndTheCallerKeepsItsOwn()
    {
        var caller = LowPriorityWork.ProcessNice();
        Assert.Equal(caller, LowPriorityWork.CurrentNice());

        var (nice, thread) = await LowPriorityWork.RunAsync("test", () => (LowPriorityWork.CurrentNice(), Environment.CurrentManagedThreadId));

        Assert.NotEqual(Environment.CurrentManagedThreadId, thread);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(Math.Max(caller!.Value, LowPriorityWork.Nice), nice);
            Assert.Equal(caller, LowPriorityWork.CurrentNice());
        }
    }

    /// <summary>
    /// On Linux a new thread takes the priority of the thread that creates it, and a scheduler may create one on the
    /// thread that queues work to it (xunit's does; the thread pool may). If the low-priority thread completed the
    /// caller's task, such a thread would stay at the lower priority for the life of the process and slow whatever it
    /// then ran. Here the caller's context starts a thread for each continuation it is given.
    /// </summary>
    [Fact]
    public async Task AThreadStartedToRunTheCallersContinuation_KeepsTheNormalPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var context = new ThreadPerPostContext();
        var continuation = new TaskCompletionSource<int?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var finish = new ManualResetEventSlim();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            _ = AwaitThenReadTheNiceAsync(finish, continuation); // returns at its await: the work waits for finish
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
        finish.Set();

        Assert.Equal(LowPriorityWork.ProcessNice(), await continuation.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(context.Posts > 0);
    }

    private static async Task AwaitThenReadTheNiceAsync(ManualResetEventSlim finish, TaskCompletionSource<int?> nice)
    {
        await LowPriorityWork.RunAsync("test", () => finish.Wait(TimeSpan.FromSeconds(30))); // captures the ThreadPerPostContext
        nice.SetResult(LowPriorityWork.CurrentNice());
    }

    private sealed class ThreadPerPostContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            new Thread(() =>
            {
                SetSynchronizationContext(this);
                d(state);
            }) { IsBackground = true }.Start();
        }
    }

    [Fact]
    public async Task AFailure_ReachesTheCaller()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => LowPriorityWork.RunAsync<int>("test", () => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", failure.Message);
    }
}
