using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>Which all-profiles path answered an estimate.</summary>
public enum SegmentEstimatePath
{
    /// <summary>The in-memory columnar index (<see cref="SegmentIndex"/>), kept current from the change feed.</summary>
    Index = 1,

    /// <summary>The SQL path (<see cref="SegmentSql"/>): exact too, but slow on large stores; used while the index loads.</summary>
    Sql = 2,
}

/// <summary>
/// A live estimate of a rule over all current profiles: the exact number matching, of how many, and up to 20
/// matching profile ids (the lowest ids) for the builder's samples. <see cref="Path"/> says which path answered.
/// </summary>
public sealed record SegmentEstimate(long Matching, long Total, IReadOnlyList<long> SampleProfileIds, DateTime ComputedAt, TimeSpan Took)
{
    public SegmentEstimatePath Path { get; init; }

    /// <summary>The matching share of all profiles, 0 when there are none.</summary>
    public double Share => Total == 0 ? 0 : (double)Matching / Total;
}

/// <summary>
/// What saving an edited rule would do to an active segment's membership: how many people would join (match
/// and are not members) and how many current members would leave (no longer match, or are no longer profiles),
/// with up to 20 sample ids of each (the lowest ids).
/// </summary>
public sealed record SegmentChangeEstimate(long Joining, long Leaving, IReadOnlyList<long> SampleJoining, IReadOnlyList<long> SampleLeaving)
{
    public SegmentEstimatePath Path { get; init; }
    public DateTime ComputedAt { get; init; }
    public TimeSpan Took { get; init; }
}

/// <summary>
/// The current members of a segment, for rules with "is / is not in segment X" conditions: the stored
/// memberships (<see cref="StoredSegmentMemberships"/>) in the app, a fixed set in tests.
/// </summary>
public interface ISegmentMembershipSource
{
    Task<IReadOnlySet<long>> MembersAsync(long segmentId, CancellationToken ct);
}

/// <summary>
/// The members of a segment as stored by <see cref="SegmentMembershipWriter"/> (streaming, clock and batch
/// evaluations): a disabled, draft or unknown segment has none.
/// </summary>
public sealed class StoredSegmentMemberships(IDbContextFactory<ProfileStudioDbContext> dbFactory) : ISegmentMembershipSource
{
    public async Task<IReadOnlySet<long>> MembersAsync(long segmentId, CancellationToken ct)
    {
        await using var db = await Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(dbFactory, ct); // in the segments' file
        var ids = await db.SegmentMemberships.AsNoTracking().Where(m => m.SegmentId == segmentId).Select(m => m.ProfileId).ToListAsync(ct);
        return ids.ToHashSet();
    }
}
