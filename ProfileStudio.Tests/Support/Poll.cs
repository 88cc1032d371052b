using System.Diagnostics;

namespace ProfileStudio.Tests.Support;

/// <summary>Waits for background work (a queue, a worker) by asking again until an answer fits or a deadline passes.</summary>
internal static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The first answer of <paramref name="read"/> that satisfies <paramref name="done"/>; fails the test at the deadline.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string waitingFor, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Still waiting for {waitingFor} after {limit.TotalSeconds:N0} s; last answer: {value}");
            }
            await Task.Delay(25);
        }
    }
}
