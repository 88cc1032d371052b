using MudBlazor;
using ProfileStudio.Core.Formatting;
using ProfileStudio.Core.Identity;

namespace ProfileStudio.Components.Identity.Simulator;

/// <summary>How the simulator names and colours decisions and values, so every part says the same.</summary>
internal static class SimulatorLabels
{
    public static (string Label, Color Color) Of(string kind) => kind switch
    {
        InsightKinds.Merged => ("merged", Color.Primary),
        InsightKinds.Refused => ("refused", Color.Warning),
        InsightKinds.Reassigned => ("device moved", Color.Info),
        InsightKinds.Blocked => ("blocked", Color.Error),
        InsightKinds.Unidentified => ("no identifier", Color.Secondary),
        _ => (kind, Color.Default),
    };

    /// <summary>An attribute's stored JSON as every page shows values (<see cref="DisplayFormat"/>), an explicit null as a removal.</summary>
    public static string Value(string? json) => json is null or "null" ? "(removed)" : DisplayFormat.Value(json);

    public static string Plural(int n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";
}
