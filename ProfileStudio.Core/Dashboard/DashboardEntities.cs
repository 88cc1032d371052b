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
