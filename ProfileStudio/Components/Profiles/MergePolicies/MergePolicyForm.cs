using ProfileStudio.Core.MergePolicies;

namespace ProfileStudio.Components.Profiles.MergePolicies;

/// <summary>What the policy dialog edits; turned into a <see cref="MergePolicyDraft"/> for the store to check.</summary>
public sealed class MergePolicyForm
{
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public IdentityStitching Stitching { get; set; } = IdentityStitching.Graph;
    public AttributeMergeRule Merge { get; set; } = AttributeMergeRule.Timestamp;
    public IReadOnlyList<int> Sources { get; set; } = [];
    public List<OverrideForm> Overrides { get; } = [];
    public bool IsDefault { get; set; }

    public static MergePolicyForm From(MergePolicy policy)
    {
        var form = new MergePolicyForm
        {
            Name = policy.Name,
            Description = policy.Description,
            Stitching = policy.Stitching,
            Merge = policy.AttributeMerge,
            Sources = [.. policy.SourcePrecedence],
            IsDefault = policy.IsDefault,
        };
        form.Overrides.AddRange(policy.Overrides.Select(o => new OverrideForm { Key = o.Key, Merge = o.Merge, Sources = [.. o.SourcePrecedence] }));
        return form;
    }

    public MergePolicyDraft ToDraft() => new(
        Name,
        Description,
        Stitching,
        Merge,
        [.. Sources],
        Overrides.Select(o => new AttributeOverrideDraft(o.Key ?? "", o.Merge, [.. o.Sources])).ToList(),
        IsDefault);
}

public sealed class OverrideForm
{
    public string? Key { get; set; } = "";
    public AttributeMergeRule Merge { get; set; } = AttributeMergeRule.SourcePrecedence;
    public IReadOnlyList<int> Sources { get; set; } = [];
}
