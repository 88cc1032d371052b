using Microsoft.AspNetCore.Components;

namespace ProfileStudio.Components.Dashboard;

/// <summary>
/// How the stored figures compare with the live profile history, cascaded to the widgets: a widget drawn from
/// figures computed before the first profile arrived says so and offers a refresh, rather than "no data yet".
/// </summary>
public sealed record DashboardFreshness(DateTime? ComputedAt, long FiguresProfiles, long LiveProfiles, bool Refreshing, EventCallback Refresh)
{
    /// <summary>The figures counted no profile though the history has some: they were computed before the data arrived.</summary>
    public bool BeforeTheData => ComputedAt is not null && FiguresProfiles == 0 && LiveProfiles > 0;
}
