using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.MergePolicies;

namespace ProfileStudio.Core.Dashboard;

/// <summary>
/// The current figures of the dashboard, computed by <see cref="DashboardSnapshots"/> and stored as one
/// document, so a page load reads one row instead of scanning profiles.
/// </summary>
public sealed record DashboardFigures(
    DateTime ComputedAt,
    IReadOnlyList<string> Namespaces,
    IdentityFigures Stitched,
    IdentityFigures Unstitched,
    IReadOnlyList<DashboardSource> Sources,
    IReadOnlyList<SourceDay> Ingestion,
    IReadOnlyList<InsightDay> Insights,
    IReadOnlyList<ComputedFigure> Computed,
    AudienceFigures Audiences)
{
    public static readonly DashboardFigures Empty = new(DateTime.MinValue, [], IdentityFigures.Empty, IdentityFigures.Empty, [], [], [], [], AudienceFigures.Empty);

    public IdentityFigures For(IdentityStitching stitching) => stitching == IdentityStitching.None ? Unstitched : Stitched;
}

/// <summary>
/// Profiles by identity namespace (indexes into <see cref="DashboardFigures.Namespaces"/>): how many have
/// each namespace, how many have both of each pair (the diagonal is the namespace itself), and how many
/// have a single identity, of that namespace.
/// </summary>
public sealed record IdentityFigures(long Profiles, IReadOnlyList<long> ByNamespace, IReadOnlyList<IReadOnlyList<long>> Overlap, IReadOnlyList<long> SingleIdentity, long SingleIdentityProfiles)
{
    public static readonly IdentityFigures Empty = new(0, [], [], [], 0);
}

public sealed record DashboardSource(int Id, string Name);

/// <summary>Messages one source received on one day (receive time, UTC).</summary>
public sealed record SourceDay(DateTime Day, int SourceId, long Received, long Accepted, long Rejected);

/// <summary>Identity decisions of one day (Identity › Insights).</summary>
public sealed record InsightDay(DateTime Day, long Merged, long Refused, long Blocked);

/// <summary>An active computed attribute's distribution over every profile that has a value.</summary>
public sealed record ComputedFigure(int Id, string Name, ComputedDistribution Distribution);

/// <summary>
/// Active segments (audiences) with their sizes and who entered or exited in the last 24 hours, the live
/// profiles in no active segment, and the overlap of the <see cref="DefaultOverlap"/> largest segments.
/// </summary>
public sealed record AudienceFigures(long LiveProfiles, long Unsegmented, IReadOnlyList<AudienceFigure> Segments, IReadOnlyList<long> OverlapIds, IReadOnlyList<Segments.SegmentOverlapCell> Overlap)
{
    public const int DefaultOverlap = 10;

    public static readonly AudienceFigures Empty = new(0, 0, [], [], []);
}

public sealed record AudienceFigure(long Id, string Name, long Members, long Entered24h, long Exited24h);

/// <summary>One recorded day of the unsegmented profiles.</summary>
public sealed record UnsegmentedPoint(DateTime Day, long Unsegmented, long LiveProfiles);

/// <summary>One point of the profile trend: profiles first seen that day, and the total at its end.</summary>
public sealed record TrendPoint(DateTime Day, long NewProfiles, long TotalProfiles);

/// <summary>What the dashboard page shows for one merge policy and trend range.</summary>
public sealed record DashboardView(
    DashboardFigures Figures,
    IdentityStitching Stitching,
    long Profiles,
    long ChangeDay,
    long ChangeWeek,
    long ChangeMonth,
    IReadOnlyList<TrendPoint> Trend,
    DateTime? ComputedAt,
    double ComputeSeconds,
    IReadOnlyList<UnsegmentedPoint> Unsegmented)
{
    public IdentityFigures Identities => Figures.For(Stitching);
}
