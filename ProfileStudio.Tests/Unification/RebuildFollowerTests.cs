using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Profiles;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Unification;

/// <summary>The unification worker tells <see cref="IRebuildFollower"/>s about a rebuild once it is swapped in.</summary>
public sealed class RebuildFollowerTests
{
    [Fact]
    public async Task AFollowerThatFails_DoesNotMakeASwappedInRebuildFail_AndTheOthersAreStillTold()
    {
        await using var factory = new FailingFollowerFactory();
        await factory.SendAsync(ProfileApiAppFactory.WebKey, new { type = "identify", messageId = "m1", userId = "ada", timestamp = DateTime.UtcNow });
        await factory.UnifiedAsync();
        var jobs = factory.Services.GetRequiredService<UnificationJobs>();

        var rebuild = await jobs.RequestRebuildAsync(AuditActor.System, "test");
        var done = await Poll.UntilAsync(() => jobs.FindAsync(rebuild.Id), j => j?.Status is UnificationJobStatus.Succeeded or UnificationJobStatus.Failed, "the rebuild");

        Assert.Equal(UnificationJobStatus.Succeeded, done!.Status);
        Assert.Equal(1, factory.Recorder.Told);
    }

    private sealed class FailingFollowerFactory : ProfileApiAppFactory
    {
        public RecordingFollower Recorder { get; } = new();

        protected override void ConfigureTestServices(IServiceCollection services)
        {
            base.ConfigureTestServices(services);
            services.AddSingleton<IRebuildFollower, ThrowingFollower>();
            services.AddSingleton<IRebuildFollower>(Recorder);
        }
    }

    private sealed class ThrowingFollower : IRebuildFollower
    {
        public Task SwappedInAsync(DateTime now, CancellationToken ct) => throw new InvalidOperationException("the side file is gone");
    }

    private sealed class RecordingFollower : IRebuildFollower
    {
        public int Told { get; private set; }

        public Task SwappedInAsync(DateTime now, CancellationToken ct)
        {
            Told++;
            return Task.CompletedTask;
        }
    }
}
