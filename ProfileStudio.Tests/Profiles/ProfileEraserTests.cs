using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

/// <summary>
/// The eraser's side without a worker (the deletion itself, done by the worker, is tested end to end in
/// <see cref="ProfileApiEndpointsTests"/>): what is refused, and what is queued.
/// </summary>
public sealed class ProfileEraserTests
{
    private static readonly AuditActor Admin = new("u1", "admin@example.com");

    [Fact]
    public async Task DeleteAsync_UnknownOrMergedProfile_IsNotFoundAndQueuesNothing()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var seed = new ProfileStoreSeed(studio.Services);
        await seed.ProfileAsync(7, 1, 1);
        await seed.ProfileAsync(3, 1, 1, mergedInto: 7);
        var eraser = studio.Services.GetRequiredService<ProfileEraser>();

        var unknown = await eraser.DeleteAsync(Admin, 999, eraseFromLake: false);
        var merged = await eraser.DeleteAsync(Admin, 3, eraseFromLake: false);

        Assert.Equal(ProfileDeletionStatus.NotFound, unknown.Status);
        Assert.Equal(ProfileDeletionStatus.NotFound, merged.Status);
        Assert.Empty(await studio.Services.GetRequiredService<UnificationJobs>().RecentAsync());
    }

    [Fact]
    public async Task DeleteAsync_WorkerNotDoneWithinTheWait_IsPendingWithTheQueuedJob()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false); // no worker runs here
        await new ProfileStoreSeed(studio.Services).ProfileAsync(7, 1, 1);
        var eraser = studio.Services.GetRequiredService<ProfileEraser>();

        var result = await eraser.DeleteAsync(Admin, 7, eraseFromLake: true, wait: TimeSpan.FromMilliseconds(100));

        Assert.Equal(ProfileDeletionStatus.Pending, result.Status);
        var job = Assert.Single(await studio.Services.GetRequiredService<UnificationJobs>().RecentAsync());
        Assert.Equal((result.JobId, UnificationJobKinds.Erase, 7L, UnificationJobStatus.Queued), (job.Id, job.Kind, job.ProfileId!.Value, job.Status));
    }

    [Fact]
    public async Task DeleteAsync_WaitsOnTheInjectedClock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero));
        await using var studio = await StudioServices.StartAsync(withAccounts: false, time: clock); // no worker runs here
        await new ProfileStoreSeed(studio.Services).ProfileAsync(7, 1, 1);
        var eraser = studio.Services.GetRequiredService<ProfileEraser>();

        var deleting = eraser.DeleteAsync(Admin, 7, eraseFromLake: false, wait: TimeSpan.FromHours(1));
        await Poll.UntilAsync(() => studio.Services.GetRequiredService<UnificationJobs>().RecentAsync(), jobs => jobs.Count == 1, "the job to be queued");
        Assert.False(deleting.IsCompleted);
        // Moved until the wait ends (the eraser may start its wait just after a move); real time alone never ends it.
        await Poll.UntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromHours(1));
            return Task.FromResult(deleting.IsCompleted);
        }, done => done, "the wait to end on the moved clock");
        var result = await deleting;

        Assert.Equal(ProfileDeletionStatus.Pending, result.Status);
    }
}
