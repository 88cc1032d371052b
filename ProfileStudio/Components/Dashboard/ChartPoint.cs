namespace ProfileStudio.Components.Dashboard;

/// <summary>A clicked point of a dashboard chart.</summary>
public sealed record ChartPoint(int Trace, int? Point, string? X, string? Y);
