namespace ProfileStudio.Core.Identity;

/// <summary>An identifier left out of a message's matching, and why (a limit, the global cap, a never-link rule).</summary>
public sealed record SetAsideIdentity(IdentityKey Key, string Reason, bool NeverLink = false);

/// <summary>
/// What resolving one message did: the profile it belongs to (null when it carried no usable
/// identifier), whether that profile is new, which profiles were merged into it (their ids now
/// redirect to it), the identifiers added, those set aside, and devices that moved to this person.
/// <see cref="Detached"/> holds how identifiers set aside by a never-link rule were resolved on their
/// own: an administrator who split them off expects them to stay a person of their own, not vanish.
/// </summary>
public sealed record Resolution(
    long? ProfileId,
    bool Created,
    IReadOnlyList<long> Merged,
    IReadOnlyList<IdentityKey> Added,
    IReadOnlyList<SetAsideIdentity> SetAside,
    IReadOnlyList<(IdentityKey Key, long FromProfile)> Reassigned)
{
    public IReadOnlyList<Resolution> Detached { get; init; } = [];
}

/// <summary>
/// The identity graph: which profile each identifier belongs to, and the rules that decide links,
/// merges and refusals. Pure and deterministic (no storage, no clock): the same messages in the same
/// order give the same profiles, which is what makes a rebuild equal to incremental processing.
/// </summary>
public sealed class IdentityGraph(IdentityRules rules)
{
    private readonly Dictionary<IdentityKey, long> _profileOf = [];
    private readonly Dictionary<long, HashSet<IdentityKey>> _members = [];
    private readonly Dictionary<long, long> _mergedInto = [];
    private readonly HashSet<(IdentityKey, IdentityKey)> _neverLink = [];
    private long _lastProfileId;

    public IdentityRules Rules => rules;

    public long LastProfileId => _lastProfileId;

    /// <summary>Marks ids up to <paramref name="id"/> as used: a deleted profile's id is never given to someone else.</summary>
    public void ReserveIdsThrough(long id) => _lastProfileId = Math.Max(_lastProfileId, id);

    /// <summary>Rebuilds the in-memory graph from what storage holds (the unification worker's start-up).</summary>
    public static IdentityGraph Restore(
        IdentityRules rules,
        IEnumerable<(IdentityKey Key, long ProfileId)> identities,
        IEnumerable<(long Id, long? MergedInto)> profiles,
        IEnumerable<(IdentityKey A, IdentityKey B)> neverLink)
    {
        var graph = new IdentityGraph(rules);
        foreach (var (id, mergedInto) in profiles)
        {
            graph._lastProfileId = Math.Max(graph._lastProfileId, id);
            if (mergedInto is { } into)
            {
                graph._mergedInto[id] = into;
            }
            else
            {
                graph._members[id] = [];
            }
        }
        foreach (var (key, profileId) in identities)
        {
            graph._profileOf[key] = profileId;
            graph._members[profileId].Add(key);
        }
        foreach (var (a, b) in neverLink)
        {
            graph.NeverLink(a, b);
        }
        return graph;
    }

    public long? ProfileOf(IdentityKey key) => _profileOf.TryGetValue(key, out var id) ? id : null;

    public IReadOnlyCollection<IdentityKey> IdentitiesOf(long profileId) =>
        _members.TryGetValue(Canonical(profileId), out var members) ? members : [];

    /// <summary>The surviving profile for an id that may have been merged away.</summary>
    public long Canonical(long profileId)
    {
        while (_mergedInto.TryGetValue(profileId, out var into))
        {
            profileId = into;
        }
        return profileId;
    }

    public IEnumerable<long> Profiles => _members.Keys;

    /// <summary>Two identifiers that must never end up in one profile (an admin's decision after a wrong merge).</summary>
    public void NeverLink(IdentityKey a, IdentityKey b)
    {
        _neverLink.Add((a, b));
        _neverLink.Add((b, a));
    }

    public Resolution Resolve(IReadOnlyCollection<IdentityKey> identities)
    {
        // Strongest first, so the weakest are the first to be set aside. A message brings a handful of identifiers:
        // a list and a sort by a total order (distinct keys never compare equal) rather than LINQ's Distinct and OrderBy,
        // which cost this per-message call most of its allocations.
        var candidates = new List<IdentityKey>(identities.Count);
        foreach (var key in identities)
        {
            if (!candidates.Contains(key))
            {
                candidates.Add(key);
            }
        }
        candidates.Sort(_byStrength ??= ByStrength);
        var setAside = new List<SetAsideIdentity>();
        while (candidates.Count > 0)
        {
            var profiles = candidates.Select(ProfileOf).OfType<long>().Distinct().Order().ToList();
            var union = profiles.SelectMany(p => _members[p]).Concat(candidates).ToHashSet();
            if (Violation(union) is not { } violation)
            {
                return Apply(candidates, profiles, setAside) with { Detached = ResolveDetached(setAside) };
            }
            var weakest = candidates[^1];
            candidates.RemoveAt(candidates.Count - 1);
            setAside.Add(new SetAsideIdentity(weakest, violation.Reason, violation.NeverLink));
        }
        return new Resolution(null, false, [], [], setAside, []) { Detached = ResolveDetached(setAside) };
    }

    private Comparison<IdentityKey>? _byStrength;

    /// <summary>The namespace's priority (unknown namespaces last), then namespace and value in ordinal order.</summary>
    private int ByStrength(IdentityKey a, IdentityKey b)
    {
        var byPriority = (rules.Find(a.Namespace)?.Priority ?? int.MaxValue).CompareTo(rules.Find(b.Namespace)?.Priority ?? int.MaxValue);
        if (byPriority != 0)
        {
            return byPriority;
        }
        var byNamespace = string.CompareOrdinal(a.Namespace, b.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(a.Value, b.Value);
    }

    /// <summary>Identifiers kept out by a never-link rule are resolved as a message of their own (a split-off person stays one).</summary>
    private IReadOnlyList<Resolution> ResolveDetached(List<SetAsideIdentity> setAside)
    {
        var detached = setAside.Where(a => a.NeverLink).Select(a => a.Key).ToList();
        return detached.Count == 0 ? [] : [Resolve(detached)];
    }

    private Resolution Apply(List<IdentityKey> candidates, List<long> profiles, List<SetAsideIdentity> setAside)
    {
        var created = profiles.Count == 0;
        var target = created ? ++_lastProfileId : profiles[0]; // the oldest profile's id survives a merge
        if (created)
        {
            _members[target] = [];
        }
        var merged = new List<long>();
        foreach (var other in profiles.Skip(1))
        {
            foreach (var key in _members[other])
            {
                _members[target].Add(key);
                _profileOf[key] = target;
            }
            _members.Remove(other);
            _mergedInto[other] = target;
            merged.Add(other);
        }
        var added = new List<IdentityKey>();
        foreach (var key in candidates.Where(k => !_profileOf.ContainsKey(k)))
        {
            _members[target].Add(key);
            _profileOf[key] = target;
            added.Add(key);
        }

        // A device set aside because two people used it follows the person who signed in on it last.
        var reassigned = new List<(IdentityKey, long)>();
        var signedIn = candidates.Any(k => rules.Find(k.Namespace) is { IsDevice: false });
        foreach (var aside in setAside.Where(a => signedIn && rules.Find(a.Key.Namespace) is { IsDevice: true }))
        {
            var from = ProfileOf(aside.Key);
            var proposed = _members[target].Append(aside.Key).ToHashSet();
            if (from == target || aside.NeverLink || Violation(proposed) is not null)
            {
                continue;
            }
            if (from is { } previous)
            {
                _members[previous].Remove(aside.Key);
            }
            _members[target].Add(aside.Key);
            _profileOf[aside.Key] = target;
            reassigned.Add((aside.Key, from ?? 0));
        }
        return new Resolution(target, created, merged, added, setAside, reassigned);
    }

    /// <summary>Why these identifiers cannot be one profile, or null when they can.</summary>
    private (string Reason, bool NeverLink)? Violation(HashSet<IdentityKey> identities)
    {
        if (identities.Count > rules.MaxIdentitiesPerProfile)
        {
            return ($"a profile holds at most {rules.MaxIdentitiesPerProfile} identities", false);
        }
        foreach (var group in identities.GroupBy(k => k.Namespace))
        {
            if (rules.Find(group.Key) is { Limit: > 0 } rule && group.Count() > rule.Limit)
            {
                return ($"a profile holds at most {rule.Limit} {group.Key} value{(rule.Limit == 1 ? "" : "s")}", false);
            }
        }
        if (_neverLink.Count == 0)
        {
            return null;
        }
        foreach (var a in identities)
        {
            foreach (var b in identities)
            {
                if (_neverLink.Contains((a, b)))
                {
                    return ($"{a} and {b} are marked never to link", true);
                }
            }
        }
        return null;
    }
}
