using ProfileStudio.Core.MergePolicies;

namespace ProfileStudio.Components.Profiles.MergePolicies;

/// <summary>How policies read on screen.</summary>
internal static class MergePolicyText
{
    public static string Stitching(IdentityStitching stitching) => stitching switch
    {
        IdentityStitching.Graph => "Identity graph",
        _ => "None (each identity's own data)",
    };

    public static string Merge(AttributeMergeRule merge) => merge switch
    {
        AttributeMergeRule.Timestamp => "Most recent value",
        _ => "Source precedence",
    };

    public static string SourceName(IReadOnlyDictionary<int, string> names, int id) =>
        names.TryGetValue(id, out var name) ? name : $"source #{id}";

    /// <summary>"CRM › Website", or what a timestamp rule reads.</summary>
    public static string Order(AttributeMergeRule merge, IReadOnlyList<int> order, IReadOnlyDictionary<int, string> names) =>
        merge == AttributeMergeRule.Timestamp
            ? "every source, newest wins"
            : string.Join(" › ", order.Select(id => SourceName(names, id)));

    public static string Override(AttributeOverride o, IReadOnlyDictionary<int, string> names) =>
        $"{o.Key}: {(o.Merge == AttributeMergeRule.Timestamp ? "most recent" : Order(o.Merge, o.SourcePrecedence, names))}";
}
