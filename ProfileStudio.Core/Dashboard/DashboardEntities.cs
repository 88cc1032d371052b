namespace ProfileStudio.Core.Dashboard;

/// <summary>
/// One day of the profile history, for one way of counting profiles (<see cref="MergePolicies.IdentityStitching"/>):
/// the profiles first seen that day that exist now, and the running total. Only days with new profiles
/// have a row; a day without one carries the total of the day before. Derived from stored data, so it
/// is back-filled on the first start and recomputed from any day on.
/// </summary>
public sealed class DashboardDay
{
    public MergePolicies.IdentityStitching Stitching { get; set; }

    /// <summary>Midnight UTC of the day.</summary>
    public DateTime Day { get; set; }

    public long NewProfiles { get; set; }
    public long TotalProfiles { get; set; }
}

/// <summary>The current figures of the dashboard, as one JSON document (<see cref="DashboardFigures"/>), and when they were computed.</summary>
public sealed class DashboardSnapshot
{
    public const int CurrentId = 1;

    public int Id { get; set; }
    public DateTime ComputedAt { get; set; }
    public double ComputeSeconds { get; set; }
    public string FiguresJson { get; set; } = "{}";
}

/// <summary>
/// A figure recorded once a day by the refresh (it cannot be derived for past days): the profiles in no
/// active segment at the last refresh of that day. Segments and their memberships start with this
/// release, so there is nothing older to back-fill.
/// </summary>
public sealed class DashboardDailyFigure
{
    /// <summary>Midnight UTC of the day.</summary>
    public DateTime Day { get; set; }

    public long UnsegmentedProfiles { get; set; }
    public long LiveProfiles { get; set; }
}
