using ProfileStudio.Core.Hosting;

namespace ProfileStudio.Tests.Hosting;

public sealed class LowPriorityWorkTests
{
    [Fact]
    public async Task Work_RunsOnAThreadOfItsOwn_AtALowerPriorityOnLinux_AndTheCallerKeepsItsOwn()
    {
        var caller = LowPriorityWork.CurrentNice();

        var (nice, thread) = await LowPriorityWork.RunAsync("test", () => (LowPriorityWork.CurrentNice(), Environment.CurrentManagedThreadId));

        Assert.NotEqual(Environment.CurrentManagedThreadId, thread);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(Math.Max(caller!.Value, LowPriorityWork.Nice), nice);
            Assert.Equal(caller, LowPriorityWork.CurrentNice());
        }
    }

    [Fact]
    public async Task AFailure_ReachesTheCaller()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => LowPriorityWork.RunAsync<int>("test", () => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", failure.Message);
    }
}
