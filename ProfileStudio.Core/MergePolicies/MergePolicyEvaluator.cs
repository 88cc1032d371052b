using System.Globalization;
using System.Text.Json;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.MergePolicies;

/// <summary>
/// Turns one profile's attribute fragments into the unified view for one merge policy, with the lineage
/// of every attribute. Pure: no storage, no clock; build one per policy and reuse it for many profiles
/// (it is immutable and thread-safe, and it copies the policy, so later edits to the entity do not leak in).
/// </summary>
/// <remarks>
/// <para><b>Per key.</b> Each dotted key (<c>address.city</c>) resolves on its own, under the rule of the
/// most specific override whose key is the key or a key above it, else the policy's own rule.</para>
/// <para><b>Timestamp.</b> The most recent <see cref="ProfileAttribute.EventAt"/> wins. Ties go to the
/// higher message id (the later message in the lake), then to the lower source id, then to the write
/// of the more specific key, then to the ordinally smaller value, so the result never depends on the
/// order of the input.</para>
/// <para><b>Source precedence.</b> The first listed source that has a fragment wins (among that source's
/// fragments, the timestamp order decides); fragments of sources not listed are left out, so the
/// attribute may be <see cref="AttributeOutcome.Excluded"/>.</para>
/// <para><b>Removals and nesting.</b> A null value is a removal: when it wins, the attribute is absent
/// but keeps its lineage. A write to a key also speaks for every key under it (<c>address: null</c>
/// removes <c>address.city</c>; <c>address: "1 Main St"</c> replaces it), so such writes compete for the
/// keys under it too, under those keys' rules. When keys under an attribute keep values, the attribute
/// is the object of those keys and its own winner is reported as <see cref="AttributeOutcome.ReplacedByNestedKeys"/>.</para>
/// <para><b>Stitching off.</b> A policy with <see cref="IdentityStitching.None"/> reads only the data of the
/// identity looked up: pass an <see cref="IdentityScope"/> with the ids of the messages that carried that
/// identity; the profile's other fragments lose with <see cref="LossReason.OutsideIdentity"/>. The stored
/// fragments keep the latest value per source and key, so a value an identity sent and a later message
/// without it overwrote is not among them; a caller that needs it rebuilds the identity's fragments from
/// its lake messages (several fragments per source and key are fine here). With stitching on, the
/// scope is ignored.</para>
/// </remarks>
public sealed class MergePolicyEvaluator
{
    private readonly string _policyName;
    private readonly IdentityStitching _stitching;
    private readonly KeyRule _policyRule;
    private readonly IReadOnlyList<KeyRule> _overrides; // most specific (longest key) first
    private readonly IReadOnlyDictionary<int, string> _sourceNames;

    public MergePolicyEvaluator(MergePolicy policy, IReadOnlyDictionary<int, string>? sourceNames = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policyName = policy.Name;
        _stitching = policy.Stitching;
        _sourceNames = sourceNames is null ? new Dictionary<int, string>() : new Dictionary<int, string>(sourceNames);
        _policyRule = new KeyRule(null, policy.AttributeMerge, policy.SourcePrecedence);
        _overrides = policy.Overrides
            .Select(o => new KeyRule(o.Key, o.Merge, o.SourcePrecedence))
            .GroupBy(o => o.OverrideKey, StringComparer.Ordinal).Select(g => g.First())
            .OrderByDescending(o => o.OverrideKey!.Length)
            .ToList();
    }

    /// <summary>Evaluates <paramref name="fragments"/> once with <paramref name="policy"/>.</summary>
    public static UnifiedView Evaluate(
        IEnumerable<ProfileAttribute> fragments,
        MergePolicy policy,
        IReadOnlyDictionary<int, string>? sourceNames = null,
        IdentityScope? identity = null) =>
        new MergePolicyEvaluator(policy, sourceNames).Evaluate(fragments, identity);

    /// <summary>
    /// The unified view of one profile's fragments. <paramref name="identity"/> is required when the policy
    /// does not stitch identities (see the remarks) and ignored when it does.
    /// </summary>
    public UnifiedView Evaluate(IEnumerable<ProfileAttribute> fragments, IdentityScope? identity = null)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        if (_stitching == IdentityStitching.None && identity is null)
        {
            throw new ArgumentException(
                $"Policy \"{_policyName}\" does not stitch identities: pass the identity whose own data to read.", nameof(identity));
        }
        var scope = _stitching == IdentityStitching.None ? identity : null;

        var byKey = new Dictionary<string, List<AttributeFragment>>(StringComparer.Ordinal);
        foreach (var fragment in fragments.Select(ToFragment).Distinct())
        {
            if (!byKey.TryGetValue(fragment.Key, out var list))
            {
                byKey[fragment.Key] = list = [];
            }
            list.Add(fragment);
        }

        var keys = byKey.Keys.Order(StringComparer.Ordinal).ToList();
        var resolved = keys.Select(key => Resolve(key, Candidates(key, byKey), scope)).ToList();

        // An attribute with present keys under it is the object of those keys.
        var present = resolved.Where(a => a.IsPresent).Select(a => a.Key).ToList();
        var shadowedBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in present)
        {
            foreach (var ancestor in Ancestors(key))
            {
                shadowedBy.TryAdd(ancestor, key);
            }
        }
        var attributes = resolved.Select(a => a.IsPresent && shadowedBy.TryGetValue(a.Key, out var nested)
            ? a with
            {
                Outcome = AttributeOutcome.ReplacedByNestedKeys,
                Value = null,
                Explanation = $"{nested} keeps a value under its rule, so {a.Key} is the object of the keys under it; " +
                              $"its own value from {a.Winner!.SourceName} ({Time(a.Winner.EventAt)}) is not used.",
            }
            : a).ToList();
        return new UnifiedView(_policyName, attributes);
    }

    /// <summary>The fragments that compete for <paramref name="key"/>: its own and those of every key above it.</summary>
    private static List<AttributeFragment> Candidates(string key, Dictionary<string, List<AttributeFragment>> byKey)
    {
        var candidates = new List<AttributeFragment>(byKey[key]);
        foreach (var ancestor in Ancestors(key))
        {
            if (byKey.TryGetValue(ancestor, out var above))
            {
                candidates.AddRange(above);
            }
        }
        return candidates;
    }

    private AttributeLineage Resolve(string key, List<AttributeFragment> candidates, IdentityScope? scope)
    {
        var rule = RuleFor(key);
        var ruleText = Describe(rule);
        var losers = new List<(AttributeFragment Fragment, LossReason Reason, string Text)>();
        var eligible = new List<AttributeFragment>();
        foreach (var fragment in candidates)
        {
            if (scope is not null && !scope.MessageIds.Contains(fragment.MessageId))
            {
                losers.Add((fragment, LossReason.OutsideIdentity,
                    $"from a message that did not carry {scope.Identity}; policy \"{_policyName}\" does not stitch identities"));
            }
            else if (rule.Merge == AttributeMergeRule.SourcePrecedence && !rule.Ranks.ContainsKey(fragment.SourceId))
            {
                losers.Add((fragment, LossReason.SourceNotListed, $"source {fragment.SourceName} is not listed in {Where(rule)}"));
            }
            else
            {
                eligible.Add(fragment);
            }
        }

        if (eligible.Count == 0)
        {
            return new AttributeLineage(key, AttributeOutcome.Excluded, null, null, ruleText,
                "No value may be used: every fragment is left out (see why below).", Sorted(losers));
        }

        var winner = rule.Merge == AttributeMergeRule.SourcePrecedence
            ? eligible.OrderBy(f => rule.Ranks[f.SourceId]).ThenBy(f => f, RecencyOrder.Instance).First()
            : eligible.Min(RecencyOrder.Instance)!;
        foreach (var fragment in eligible.Where(f => !ReferenceEquals(f, winner)))
        {
            losers.Add(LoseTo(fragment, winner, rule));
        }

        var (outcome, explanation) = (winner.IsRemoval, winner.Key == key) switch
        {
            (true, true) => (AttributeOutcome.Removed, $"Removed (null) by {winner.SourceName} at {Time(winner.EventAt)}."),
            (true, false) => (AttributeOutcome.Removed, $"Removed with {winner.Key} (null) by {winner.SourceName} at {Time(winner.EventAt)}."),
            (false, false) => (AttributeOutcome.Removed,
                $"Replaced when {winner.SourceName} set {winner.Key} to {winner.ValueJson} at {Time(winner.EventAt)}."),
            (false, true) => (AttributeOutcome.Value, $"From {winner.SourceName} at {Time(winner.EventAt)} (message #{winner.MessageId})."),
        };
        return new AttributeLineage(key, outcome, winner, outcome == AttributeOutcome.Value ? ParseValue(winner.ValueJson!) : null,
            ruleText, explanation, Sorted(losers));
    }

    private (AttributeFragment, LossReason, string) LoseTo(AttributeFragment loser, AttributeFragment winner, KeyRule rule)
    {
        var removed = winner.IsRemoval ? $"; {winner.SourceName} removed it (null) at {Time(winner.EventAt)}" : "";
        if (rule.Merge == AttributeMergeRule.SourcePrecedence && loser.SourceId != winner.SourceId)
        {
            return (loser, LossReason.RanksLower, $"source {loser.SourceName} ranks below {winner.SourceName} in {Where(rule)}{removed}");
        }
        var sameSource = rule.Merge == AttributeMergeRule.SourcePrecedence ? " from the same source" : "";
        if (loser.EventAt < winner.EventAt)
        {
            return winner.IsRemoval
                ? (loser, LossReason.Removed, $"removed (null) by {winner.SourceName} at {Time(winner.EventAt)}")
                : (loser, LossReason.Older, $"older than the winner{sameSource} ({Time(winner.EventAt)})");
        }
        var tie = loser.MessageId != winner.MessageId
            ? $"the winner's message #{winner.MessageId} is later than #{loser.MessageId}"
            : loser.SourceId != winner.SourceId
                ? $"same message; {winner.SourceName} has the lower source id"
                : loser.Key != winner.Key
                    ? $"same message; the write to the more specific key {winner.Key} wins"
                    : "same message and source; the ordinally smaller value wins";
        return (loser, LossReason.TieBreak, $"same event time as the winner{sameSource} ({Time(winner.EventAt)}); {tie}{removed}");
    }

    private static List<LosingFragment> Sorted(List<(AttributeFragment Fragment, LossReason Reason, string Text)> losers) =>
        losers.OrderBy(l => l.Fragment, RecencyOrder.Instance).Select(l => new LosingFragment(l.Fragment, l.Reason, l.Text)).ToList();

    private KeyRule RuleFor(string key) =>
        _overrides.FirstOrDefault(o => key == o.OverrideKey || key.StartsWith(o.OverrideKey + ".", StringComparison.Ordinal)) ?? _policyRule;

    private string Where(KeyRule rule) =>
        rule.OverrideKey is null ? $"policy \"{_policyName}\"" : $"policy \"{_policyName}\" (override for {rule.OverrideKey})";

    private string Describe(KeyRule rule)
    {
        var text = rule.Merge == AttributeMergeRule.Timestamp
            ? "most recent event time wins"
            : rule.Order.Count == 0
                ? "source precedence with no source listed"
                : "source precedence: " + string.Join(" › ", rule.Order.Select(SourceName));
        return rule.OverrideKey is null ? text : $"override for {rule.OverrideKey}: {text}";
    }

    private string SourceName(int id) => _sourceNames.TryGetValue(id, out var name) ? name : $"source #{id}";

    private AttributeFragment ToFragment(ProfileAttribute a)
    {
        // A stored JSON null is the same removal as a missing value.
        var value = a.ValueJson is { } json && json.Trim() != "null" ? json : null;
        return new AttributeFragment(a.SourceId, SourceName(a.SourceId), a.Key, value, a.EventAt, a.MessageId);
    }

    /// <summary>The keys above a dotted key, nearest first: <c>a.b.c</c> → <c>a.b</c>, <c>a</c>.</summary>
    internal static IEnumerable<string> Ancestors(string key)
    {
        for (var dot = key.LastIndexOf('.'); dot >= 0; dot = dot == 0 ? -1 : key.LastIndexOf('.', dot - 1))
        {
            yield return key[..dot];
        }
    }

    private static JsonElement ParseValue(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, Ingestion.StoredJson.DocumentOptions);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Ingestion stores valid JSON; anything else is shown as the text it is rather than failing the profile.
            return JsonSerializer.SerializeToElement(json);
        }
    }

    internal static string Time(DateTime at) => Formatting.DisplayFormat.ExactTime(at);

    private sealed class KeyRule
    {
        public KeyRule(string? overrideKey, AttributeMergeRule merge, IEnumerable<int> order)
        {
            OverrideKey = overrideKey;
            Merge = merge;
            Order = order.Distinct().ToList();
            Ranks = Order.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        }

        public string? OverrideKey { get; }
        public AttributeMergeRule Merge { get; }
        public IReadOnlyList<int> Order { get; }
        public IReadOnlyDictionary<int, int> Ranks { get; }
    }

    /// <summary>Most recent first, with the documented tie-breaks; a total order, so results never depend on input order.</summary>
    private sealed class RecencyOrder : IComparer<AttributeFragment>
    {
        public static RecencyOrder Instance { get; } = new();

        public int Compare(AttributeFragment? x, AttributeFragment? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }
            if (x is null || y is null)
            {
                return x is null ? 1 : -1;
            }
            var c = (y.EventAt, y.MessageId, x.SourceId, y.Key.Length).CompareTo((x.EventAt, x.MessageId, y.SourceId, x.Key.Length));
            if (c == 0)
            {
                c = string.CompareOrdinal(x.Key, y.Key);
            }
            return c != 0 ? c : string.CompareOrdinal(x.ValueJson, y.ValueJson);
        }
    }
}
