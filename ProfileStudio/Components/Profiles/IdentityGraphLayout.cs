using ProfileStudio.Core.Identity;

namespace ProfileStudio.Components.Profiles;

/// <summary>
/// Positions for drawing a profile's identities: the strongest identifier in the middle, the others
/// on a circle grouped by namespace, edges as line segments with a hover point at their middle.
/// </summary>
public sealed record IdentityGraphLayout(
    IReadOnlyList<(IdentityRecord Identity, double X, double Y)> Nodes,
    List<object?> EdgeX,
    List<object?> EdgeY,
    List<object> EdgeLabelX,
    List<object> EdgeLabelY,
    List<IdentityLink> EdgeLabels)
{
    private static readonly string[] Order = ["user_id", "crm_id", "email", "loyalty_id", "phone", "anonymous_id"];

    public static IdentityGraphLayout Circle(IReadOnlyList<IdentityRecord> identities, IReadOnlyList<IdentityLink>? links = null)
    {
        var sorted = identities.OrderBy(i => Array.IndexOf(Order, i.Namespace) is var o and >= 0 ? o : Order.Length).ThenBy(i => i.Value).ToList();
        var nodes = new List<(IdentityRecord, double, double)>();
        for (var i = 0; i < sorted.Count; i++)
        {
            if (i == 0)
            {
                nodes.Add((sorted[0], 0, 0));
                continue;
            }
            var angle = 2 * Math.PI * (i - 1) / Math.Max(1, sorted.Count - 1) + Math.PI / 2;
            nodes.Add((sorted[i], Math.Round(Math.Cos(angle), 4), Math.Round(Math.Sin(angle), 4)));
        }
        var position = nodes.ToDictionary(n => n.Item1.Id, n => (n.Item2, n.Item3));
        var edgeX = new List<object?>();
        var edgeY = new List<object?>();
        var labelX = new List<object>();
        var labelY = new List<object>();
        var labels = new List<IdentityLink>();
        foreach (var link in links ?? [])
        {
            if (!position.TryGetValue(link.FromIdentityId, out var a) || !position.TryGetValue(link.ToIdentityId, out var b))
            {
                continue;
            }
            edgeX.AddRange([a.Item1, b.Item1, null]);
            edgeY.AddRange([a.Item2, b.Item2, null]);
            labelX.Add((a.Item1 + b.Item1) / 2);
            labelY.Add((a.Item2 + b.Item2) / 2);
            labels.Add(link);
        }
        return new IdentityGraphLayout(nodes, edgeX, edgeY, labelX, labelY, labels);
    }
}
