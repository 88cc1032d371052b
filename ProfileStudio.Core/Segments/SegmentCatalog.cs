namespace ProfileStudio.Core.Segments;

/// <summary>An active segment as the evaluators see it: its parsed rule and what the rule reads.</summary>
public sealed record ActiveSegment(long Id, string Name, int Version, SegmentEvaluationMode Evaluation, SegmentRule Rule, SegmentDependencies Dependencies);

/// <summary>
/// The active segments, published by <see cref="SegmentStore"/> whenever they change, in an order where a
/// segment comes after every segment it refers to (so one pass evaluates a profile's segments with the
/// memberships they read already current), with the index from what changed to the segments that read it.
/// </summary>
public sealed class SegmentCatalog
{
    private volatile SegmentCatalogSnapshot _current = SegmentCatalogSnapshot.Empty;

    public SegmentCatalogSnapshot Current => _current;

    /// <summary>Whether the stored segments were published once (before that, <see cref="Current"/> is empty for want of reading).</summary>
    public bool IsLoaded { get; private set; }

    /// <summary>Raised after <see cref="Publish"/>.</summary>
    public event Action? Changed;

    public void Publish(IEnumerable<ActiveSegment> active)
    {
        _current = SegmentCatalogSnapshot.Of(active);
        IsLoaded = true;
        Changed?.Invoke();
    }
}

/// <summary>An immutable view of the active segments: an evaluation reads one snapshot throughout.</summary>
public sealed class SegmentCatalogSnapshot
{
    public static SegmentCatalogSnapshot Empty { get; } = Of([]);

    private readonly Dictionary<long, int> _order;

    private SegmentCatalogSnapshot(IReadOnlyList<ActiveSegment> ordered)
    {
        Ordered = ordered;
        _order = ordered.Select((s, i) => (s.Id, i)).ToDictionary(x => x.Id, x => x.i);
        AttributeKeys = ordered.SelectMany(s => s.Dependencies.AttributeKeys).ToHashSet(StringComparer.Ordinal);
        EventNames = ordered.SelectMany(s => s.Dependencies.EventNames).ToHashSet(StringComparer.Ordinal);
        Namespaces = ordered.SelectMany(s => s.Dependencies.IdentityNamespaces).ToHashSet(StringComparer.Ordinal);
        HoldsWithNothingKnown = ordered.Where(s => SegmentEvaluator.Matches(s.Rule, NothingKnown, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)))
            .Select(s => s.Id).ToHashSet();
        ReferencedBy = ordered.SelectMany(s => s.Dependencies.SegmentIds.Select(r => (Referenced: r, By: s.Id)))
            .GroupBy(x => x.Referenced).ToDictionary(g => g.Key, g => (IReadOnlyList<long>)g.Select(x => x.By).ToList());
    }

    /// <summary>Active segments, referenced segments before those that refer to them (ties by id).</summary>
    public IReadOnlyList<ActiveSegment> Ordered { get; }

    /// <summary>Every attribute key (computed attribute names included) some active segment reads.</summary>
    public IReadOnlySet<string> AttributeKeys { get; }

    public IReadOnlySet<string> EventNames { get; }

    public IReadOnlySet<string> Namespaces { get; }

    /// <summary>
    /// Segments whose rule holds for a profile with no attributes, events, identities or memberships ("did not
    /// order in 7 days", "has no email"). A profile seen for the first time is in them on whatever it brought,
    /// even when it brought nothing they read, so they are evaluated for every new or re-identified profile.
    /// (With nothing known no window or date test depends on the time, so any instant decides this.)
    /// </summary>
    public IReadOnlySet<long> HoldsWithNothingKnown { get; }

    private static readonly SegmentProfileFacts NothingKnown = new(0, new Dictionary<string, System.Text.Json.JsonElement>(), [],
        new Dictionary<string, IReadOnlyList<string>>(), new HashSet<long>());

    /// <summary>Segment id → the active segments whose rules refer to it.</summary>
    public IReadOnlyDictionary<long, IReadOnlyList<long>> ReferencedBy { get; }

    public ActiveSegment? Find(long id) => _order.TryGetValue(id, out var i) ? Ordered[i] : null;

    /// <summary>The position of a segment in <see cref="Ordered"/> (for sorting a subset).</summary>
    public int Position(long id) => _order.TryGetValue(id, out var i) ? i : int.MaxValue;

    /// <summary>
    /// The streaming segments that read something of the kinds that changed, plus (transitively) the active
    /// segments that refer to them, in evaluation order. <paramref name="everything"/>: a merge or split, where
    /// every segment is evaluated; <paramref name="identities"/> also takes <see cref="HoldsWithNothingKnown"/>
    /// (a new profile always comes with identities).
    /// </summary>
    public IReadOnlyList<ActiveSegment> Affected(bool attributes, bool events, bool identities, bool everything)
    {
        var hit = new HashSet<long>();
        foreach (var s in Ordered)
        {
            var d = s.Dependencies;
            if (everything
                || (attributes && d.AttributeKeys.Count > 0)
                || (events && d.EventNames.Count > 0)
                || (identities && (d.IdentityNamespaces.Count > 0 || HoldsWithNothingKnown.Contains(s.Id)))
                || d.SegmentIds.Any(hit.Contains))
            {
                hit.Add(s.Id);
            }
        }
        return Ordered.Where(s => hit.Contains(s.Id) && s.Evaluation == SegmentEvaluationMode.Streaming).ToList();
    }

    /// <summary>
    /// The segments (in evaluation order) that read an attribute key / event name / namespace in the given
    /// sets, or refer to one of them (transitively).
    /// </summary>
    public IReadOnlyList<ActiveSegment> Reading(IReadOnlySet<string> keys, IReadOnlySet<string> names, IReadOnlySet<string> namespaces)
    {
        var hit = new HashSet<long>();
        foreach (var s in Ordered)
        {
            var d = s.Dependencies;
            if (d.AttributeKeys.Overlaps(keys) || d.EventNames.Overlaps(names) || d.IdentityNamespaces.Overlaps(namespaces) || d.SegmentIds.Any(hit.Contains))
            {
                hit.Add(s.Id);
            }
        }
        return Ordered.Where(s => hit.Contains(s.Id)).ToList();
    }

    public static SegmentCatalogSnapshot Of(IEnumerable<ActiveSegment> active) => new(TopologicalOrder(active.ToList()));

    /// <summary>
    /// Kahn's order over "refers to" edges between active segments (references to inactive segments read
    /// no members and impose no order). Cycles are refused when saving; should one slip in, its members
    /// go last in id order rather than being dropped.
    /// </summary>
    internal static IReadOnlyList<ActiveSegment> TopologicalOrder(IReadOnlyList<ActiveSegment> segments)
    {
        var byId = segments.ToDictionary(s => s.Id);
        var pending = segments.ToDictionary(s => s.Id, s => s.Dependencies.SegmentIds.Count(r => r != s.Id && byId.ContainsKey(r)));
        var ready = new SortedSet<long>(pending.Where(p => p.Value == 0).Select(p => p.Key));
        var ordered = new List<ActiveSegment>(segments.Count);
        while (ready.Count > 0)
        {
            var id = ready.Min;
            ready.Remove(id);
            ordered.Add(byId[id]);
            foreach (var s in segments.Where(s => s.Dependencies.SegmentIds.Contains(id) && s.Id != id))
            {
                if (--pending[s.Id] == 0)
                {
                    ready.Add(s.Id);
                }
            }
        }
        var placed = ordered.Select(s => s.Id).ToHashSet();
        ordered.AddRange(segments.Where(s => !placed.Contains(s.Id)).OrderBy(s => s.Id));
        return ordered;
    }
}
