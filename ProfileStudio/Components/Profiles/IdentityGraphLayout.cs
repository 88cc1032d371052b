using ProfileStudio.Core.Identity;

namespace ProfileStudio.Components.Profiles;

/// <summary>
/// Positions for drawing a profile's identities: the most linked identifier in the middle, the others
/// on a circle with linked ones side by side, edges as line segments with a hover point at their middle.
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
    // Mid-tones: each stands out 3:1 or more from the card in the light theme and in the dark one, where the
    // former indigo and purple (#3949ab, #8e24aa) were 1.5-1.7:1 and user_id's node all but disappeared.
    private static readonly string[] Colors = ["#7986cb", "#00a08a", "#ef5350", "#e0671e", "#ba68c8", "#78909c"];
    private static readonly string[] CustomColors = ["#689f38", "#a1887f", "#e65c8e", "#0097b7", "#909020"];

    /// <summary>Every colour a node can take, built-in namespaces' first.</summary>
    public static IReadOnlyList<string> Palette { get; } = [.. Colors, .. CustomColors];

    /// <summary>The lines between identifiers seen together (3.4:1 on either theme's card).</summary>
    public const string EdgeColor = "#8c8c8c";

    /// <summary>Built-in namespaces first, strongest first; custom ones after, by name (the legend's order).</summary>
    public static int Rank(string ns) => Array.IndexOf(Order, ns) is var o and >= 0 ? o : Order.Length;

    /// <summary>One colour per namespace on every graph, so a reader learns them once.</summary>
    public static string ColorOf(string ns) => Array.IndexOf(Order, ns) is var o and >= 0
        ? Colors[o]
        : CustomColors[(int)((uint)ns.Aggregate(17, (h, c) => unchecked(h * 31 + c)) % CustomColors.Length)];

    public static IdentityGraphLayout Circle(IReadOnlyList<IdentityRecord> identities, IReadOnlyList<IdentityLink>? links = null)
    {
        var sorted = identities.OrderBy(i => Rank(i.Namespace)).ThenBy(i => i.Namespace, StringComparer.Ordinal).ThenBy(i => i.Value).ToList();
        var ids = sorted.Select(i => i.Id).ToHashSet();
        var drawn = (links ?? []).Where(l => ids.Contains(l.FromIdentityId) && ids.Contains(l.ToIdentityId)).ToList();
        var neighbours = sorted.ToDictionary(i => i.Id, i => sorted.Where(other => drawn.Any(l =>
            (l.FromIdentityId == i.Id && l.ToIdentityId == other.Id) || (l.ToIdentityId == i.Id && l.FromIdentityId == other.Id))).ToList());

        // The identifier linked to most others sits in the middle (the strongest on a tie); the rest go round
        // the circle depth-first from it, so identifiers linked to each other sit side by side and their edge
        // never runs behind the middle node.
        var ring = new List<IdentityRecord>();
        var center = sorted.OrderByDescending(i => neighbours[i.Id].Count).FirstOrDefault();
        var placed = new HashSet<long>();
        void Place(IdentityRecord identity)
        {
            if (!placed.Add(identity.Id))
            {
                return;
            }
            if (identity != center)
            {
                ring.Add(identity);
            }
            foreach (var next in neighbours[identity.Id])
            {
                Place(next);
            }
        }
        if (center is not null)
        {
            Place(center);
        }
        foreach (var identity in sorted)
        {
            Place(identity);
        }

        var nodes = new List<(IdentityRecord, double, double)>();
        if (center is not null)
        {
            nodes.Add((center, 0, 0));
        }
        for (var i = 0; i < ring.Count; i++)
        {
            // Two opposite nodes would put their edge behind the middle one: two go above it instead.
            var angle = ring.Count == 2 ? Math.PI / 2 + (i == 0 ? -1 : 1) * Math.PI / 3 : 2 * Math.PI * i / ring.Count + Math.PI / 2;
            nodes.Add((ring[i], Math.Round(Math.Cos(angle), 4), Math.Round(Math.Sin(angle), 4)));
        }
        var position = nodes.ToDictionary(n => n.Item1.Id, n => (n.Item2, n.Item3));
        var edgeX = new List<object?>();
        var edgeY = new List<object?>();
        var labelX = new List<object>();
        var labelY = new List<object>();
        var labels = new List<IdentityLink>();
        foreach (var link in drawn)
        {
            var (a, b) = (position[link.FromIdentityId], position[link.ToIdentityId]);
            edgeX.AddRange([a.Item1, b.Item1, null]);
            edgeY.AddRange([a.Item2, b.Item2, null]);
            labelX.Add((a.Item1 + b.Item1) / 2);
            labelY.Add((a.Item2 + b.Item2) / 2);
            labels.Add(link);
        }
        return new IdentityGraphLayout(nodes, edgeX, edgeY, labelX, labelY, labels);
    }
}
