using System.Text.Json;
using MudBlazor;
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

    /// <summary>An attribute's stored JSON as a person reads it: strings without quotes, an explicit null as a removal.</summary>
    public static string Value(string? json)
    {
        if (json is null or "null")
        {
            return "(removed)";
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.String ? doc.RootElement.GetString()! : json;
        }
        catch (JsonException)
        {
            return json;
        }
    }

    public static string Plural(int n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";
}
