using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProfileStudio.Core.MergePolicies;

/// <summary>
/// One attribute fragment as the evaluator saw it: a value (or a removal) of one key from one source,
/// with the event time and message that set it. <see cref="ValueJson"/> is null for a removal.
/// </summary>
public sealed record AttributeFragment(int SourceId, string SourceName, string Key, string? ValueJson, DateTime EventAt, long MessageId)
{
    public bool IsRemoval => ValueJson is null;
}

/// <summary>What became of an attribute under a policy.</summary>
public enum AttributeOutcome
{
    /// <summary>The winner's value is in the profile.</summary>
    Value = 1,

    /// <summary>The winner removed it: an explicit null, or a newer write to a key above it (e.g. <c>address</c> over <c>address.city</c>).</summary>
    Removed = 2,

    /// <summary>No fragment may be used: every source is left out by the policy (or, without stitching, by the identity).</summary>
    Excluded = 3,

    /// <summary>Its own winner lost to keys under it that keep values; the profile holds an object of those keys instead.</summary>
    ReplacedByNestedKeys = 4,
}

/// <summary>Why a fragment did not become the attribute's value.</summary>
public enum LossReason
{
    /// <summary>Its event time is earlier than the winner's.</summary>
    Older = 1,

    /// <summary>The same event time as the winner; lost the documented tie-break (message id, then source id).</summary>
    TieBreak = 2,

    /// <summary>Older than the removal (null) that won.</summary>
    Removed = 3,

    /// <summary>Its source ranks below the winner's in the policy's source list.</summary>
    RanksLower = 4,

    /// <summary>Its source is not in the policy's source list.</summary>
    SourceNotListed = 5,

    /// <summary>Stitching is off and the fragment came from a message that did not carry the identity looked up.</summary>
    OutsideIdentity = 6,
}

public sealed record LosingFragment(AttributeFragment Fragment, LossReason Reason, string Explanation);

/// <summary>
/// Where an attribute's value came from under a policy, and why every other fragment lost.
/// <see cref="Winner"/> is the fragment that decided (for a removal through a key above, that key's
/// fragment); it is null only when the attribute is <see cref="AttributeOutcome.Excluded"/>.
/// </summary>
public sealed record AttributeLineage(
    string Key,
    AttributeOutcome Outcome,
    AttributeFragment? Winner,
    JsonElement? Value,
    string Rule,
    string Explanation,
    IReadOnlyList<LosingFragment> Losers)
{
    public bool IsPresent => Outcome == AttributeOutcome.Value;
}

/// <summary>
/// A profile's attributes read through one policy: the values (flat, by dotted key, and as nested
/// JSON) and the lineage of every key any fragment mentions, including removed and excluded ones.
/// </summary>
public sealed class UnifiedView
{
    private readonly Dictionary<string, AttributeLineage> _byKey;

    internal UnifiedView(string policyName, IReadOnlyList<AttributeLineage> attributes)
    {
        PolicyName = policyName;
        Attributes = attributes;
        _byKey = attributes.ToDictionary(a => a.Key, StringComparer.Ordinal);
        Values = attributes.Where(a => a.IsPresent).ToDictionary(a => a.Key, a => a.Value!.Value, StringComparer.Ordinal);
    }

    public string PolicyName { get; }

    /// <summary>Every key, ordered by key (ordinal), with its outcome and lineage.</summary>
    public IReadOnlyList<AttributeLineage> Attributes { get; }

    /// <summary>The attributes present in the profile, by dotted key. No key here has another key here above it.</summary>
    public IReadOnlyDictionary<string, JsonElement> Values { get; }

    public AttributeLineage? Lineage(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>The present attributes as one JSON object, dotted keys assembled into nested objects (a new object each call).</summary>
    public JsonObject ToJson()
    {
        var root = new JsonObject();
        foreach (var attribute in Attributes.Where(a => a.IsPresent))
        {
            var segments = attribute.Key.Split('.');
            var parent = root;
            foreach (var segment in segments[..^1])
            {
                if (parent[segment] is not JsonObject child)
                {
                    child = new JsonObject();
                    parent[segment] = child;
                }
                parent = child;
            }
            parent[segments[^1]] = JsonSerializer.SerializeToNode(attribute.Value!.Value);
        }
        return root;
    }
}

/// <summary>
/// The identity whose own data a policy without stitching reads: its display form (for the reasons
/// shown to people, e.g. <c>email:ada@example.com</c>) and the ids of the messages that carried it.
/// </summary>
public sealed record IdentityScope(string Identity, IReadOnlySet<long> MessageIds);
