using Microsoft.AspNetCore.Components;

namespace ProfileStudio.Components.Dashboard;

/// <summary>
/// How the stored figures compare with the live profile history, cascaded to the widgets: a widget drawn from
/// figures computed before the first profile arrived says so and offers a refresh, rather than "no data yet"
/// (the cards drawn from the history are empty only when no profile exists, which is never "before the data").
/// </summary>
/// <param name="FiguresProfiles">The live (stitched) profiles the stored figures counted.</param>
/// <param name="LiveProfiles">The profiles the history counts now, under the chosen merge policy.</param>
/// <param name="Stitched">Whether the chosen policy stitches, so both counts are of the same profiles.</param>
public sealed record DashboardFreshness(DateTime? ComputedAt, long FiguresProfiles, long LiveProfiles, bool Stitched, bool Refreshing, EventCallback Refresh)
{
    /// <summary>The figures counted no profile though the history has some: they were computed before the data arrived.</summary>
    public bool BeforeTheData => ComputedAt is not null && FiguresProfiles == 0 && LiveProfiles > 0;

    /// <summary>When the figures counted other profiles than exist now, says both counts ("They counted 41 profiles; there are 234 now. Refresh to count them all.").</summary>
    public string? CountNote => ComputedAt is not null && Stitched && FiguresProfiles != LiveProfiles
        ? $"They counted {FiguresProfiles:N0} {(FiguresProfiles == 1 ? "profile" : "profiles")}; there {(LiveProfiles == 1 ? "is" : "are")} {LiveProfiles:N0} now. {(LiveProfiles > FiguresProfiles ? "Refresh to count them all." : "Refresh to update them.")}"
        : null;
}
