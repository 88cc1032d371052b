namespace ProfileStudio.Core.MergePolicies;

/// <summary>Whether a profile combines the data of every identity stitched to it.</summary>
public enum IdentityStitching
{
    /// <summary>Use the identity graph: every identity resolved to the profile contributes.</summary>
    Graph = 1,

    /// <summary>Each identity's own data only: the messages that carried the identity looked up.</summary>
    None = 2,
}

/// <summary>How conflicting values of one attribute from several sources resolve.</summary>
public enum AttributeMergeRule
{
    /// <summary>The value with the most recent event time wins.</summary>
    Timestamp = 1,

    /// <summary>The first listed source that has a value wins; sources not listed are left out.</summary>
    SourcePrecedence = 2,
}

/// <summary>
/// How a profile is read: stitching on or off, and how attribute conflicts resolve, with optional
/// per-attribute overrides. Exactly one policy is the default. <see cref="MergePolicyEvaluator"/>
/// applies a policy to a profile's fragments; <see cref="MergePolicyStore"/> keeps them.
/// </summary>
public sealed class MergePolicy
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 2000;
    public const string DefaultName = "Most recent";

    public int Id { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public IdentityStitching Stitching { get; set; } = IdentityStitching.Graph;
    public AttributeMergeRule AttributeMerge { get; set; } = AttributeMergeRule.Timestamp;

    /// <summary>Source ids, strongest first, read when <see cref="AttributeMerge"/> is source precedence.</summary>
    public List<int> SourcePrecedence { get; set; } = [];

    /// <summary>Rules for single attributes (a key and the keys under it), instead of the policy's own.</summary>
    public List<AttributeOverride> Overrides { get; set; } = [];

    public bool IsDefault { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// The rule for one attribute key and every key under it: <c>address</c> covers <c>address</c>,
/// <c>address.city</c> and <c>address.geo.lat</c>, not <c>addressLine</c>. The most specific override applies.
/// </summary>
public sealed class AttributeOverride
{
    public const int MaxKeyLength = 200;

    public string Key { get; set; } = "";
    public AttributeMergeRule Merge { get; set; } = AttributeMergeRule.Timestamp;

    /// <summary>Source ids, strongest first, read when <see cref="Merge"/> is source precedence.</summary>
    public List<int> SourcePrecedence { get; set; } = [];
}
