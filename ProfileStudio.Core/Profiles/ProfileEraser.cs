using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Profiles;

public enum ProfileDeletionStatus
{
    /// <summary>The profile, its identities, attributes and events are gone (and its lake messages, when erasing).</summary>
    Deleted = 1,

    /// <summary>No live profile has this id.</summary>
    NotFound = 2,

    /// <summary>Queued, but the worker had not finished within the wait; it will (see the job).</summary>
    Pending = 3,

    /// <summary>The worker tried and failed; <see cref="ProfileDeletionResult.Message"/> says why.</summary>
    Failed = 4,
}

public sealed record ProfileDeletionResult(ProfileDeletionStatus Status, int? JobId, string Message);

/// <summary>
/// Deletes a profile for the explorer and the Profile API. The unification worker owns every write to
/// the profile store and keeps the identity graph in memory, so the deletion is a job it runs between
/// catch-ups (<see cref="ProfileDeletion"/>), after which it restores its graph from the store; this
/// class queues the job and waits for its end. The audit entry (<see cref="AuditActions.ProfileDeleted"/>)
/// is written when the job ends. A profile deleted without erasing the lake comes back if its messages
/// are replayed by a full rebuild; erasing removes them.
/// </summary>
public sealed class ProfileEraser(IDbContextFactory<ProfileStudioDbContext> dbFactory, UnificationJobs jobs, TimeProvider time)
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);

    public async Task<ProfileDeletionResult> DeleteAsync(AuditActor actor, long profileId, bool eraseFromLake, TimeSpan? wait = null, CancellationToken ct = default)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (!await db.Profiles.AnyAsync(p => p.Id == profileId && p.MergedIntoId == null, ct))
            {
                return new ProfileDeletionResult(ProfileDeletionStatus.NotFound, null, "Profile was not found.");
            }
        }
        var ended = new TaskCompletionSource<UnificationJob>(TaskCreationOptions.RunContinuationsAsynchronously);
        var jobId = 0;
        void OnChanged(UnificationJob job)
        {
            if (job.Id == Volatile.Read(ref jobId) && job.Status is UnificationJobStatus.Succeeded or UnificationJobStatus.Failed)
            {
                ended.TrySetResult(job);
            }
        }
        jobs.Changed += OnChanged;
        try
        {
            var queued = await jobs.RequestDeletionAsync(actor, profileId, eraseFromLake, ct);
            Volatile.Write(ref jobId, queued.Id);
            // It may have ended between queueing and the id being known.
            if (await jobs.FindAsync(queued.Id, ct) is { Status: UnificationJobStatus.Succeeded or UnificationJobStatus.Failed } done)
            {
                ended.TrySetResult(done);
            }
            try
            {
                var job = await ended.Task.WaitAsync(wait ?? DefaultWait, time, ct);
                return job.Status == UnificationJobStatus.Succeeded
                    ? new ProfileDeletionResult(ProfileDeletionStatus.Deleted, job.Id, job.Outcome ?? $"deleted profile {profileId}")
                    : new ProfileDeletionResult(ProfileDeletionStatus.Failed, job.Id, job.Outcome ?? "The deletion failed.");
            }
            catch (TimeoutException)
            {
                return new ProfileDeletionResult(ProfileDeletionStatus.Pending, queued.Id,
                    $"The deletion of profile {profileId} is queued as unification job {queued.Id} and will finish shortly.");
            }
        }
        finally
        {
            jobs.Changed -= OnChanged;
        }
    }
}
