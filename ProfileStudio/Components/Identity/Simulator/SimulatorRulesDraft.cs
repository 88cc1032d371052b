using ProfileStudio.Core.Identity;

namespace ProfileStudio.Components.Identity.Simulator;

/// <summary>
/// The rules as edited on the simulator page: copies of the saved namespaces, held in memory only
/// (never handed to <see cref="IdentityRulesStore"/>), and what differs from the saved ones.
/// </summary>
public sealed class SimulatorRulesDraft
{
    private readonly IReadOnlyList<IdentityNamespace> _saved;

    public SimulatorRulesDraft(IReadOnlyList<IdentityNamespace> saved, int savedCap)
    {
        _saved = saved;
        SavedCap = savedCap;
        Rows = [];
        Reset();
    }

    public List<NamespaceDraft> Rows { get; private set; }

    public int Cap { get; set; }

    public int SavedCap { get; }

    public bool IsEdited => Cap != SavedCap || Rows.Any(r => r.IsEdited);

    public void Reset()
    {
        Rows = _saved.OrderBy(n => n.Priority).ThenBy(n => n.Name, StringComparer.Ordinal).Select(n => new NamespaceDraft(n)).ToList();
        Cap = SavedCap;
    }

    /// <summary>The edited rules, or the problems to fix first (checked as Identity › Namespaces checks them).</summary>
    public (IdentityRules? Rules, IReadOnlyList<string> Problems) Build() =>
        RuleSimulator.BuildRules(Rows.Select(r => r.ToNamespace()), Cap);
}

/// <summary>One namespace's editable rules; blocked values and patterns one per line, as in the namespace dialog.</summary>
public sealed class NamespaceDraft(IdentityNamespace saved)
{
    public IdentityNamespace Saved { get; } = saved;

    public string Name => Saved.Name;

    public int Priority { get; set; } = saved.Priority;

    public int Limit { get; set; } = saved.Limit;

    public string BlockedValues { get; set; } = string.Join("\n", Lines(saved.BlockedValues));

    public string BlockedPatterns { get; set; } = string.Join("\n", Lines(saved.BlockedPatterns));

    public IReadOnlyList<string> BlockedValueList => Lines(BlockedValues.Split('\n'));

    public IReadOnlyList<string> BlockedPatternList => Lines(BlockedPatterns.Split('\n'));

    public bool IsEdited => Priority != Saved.Priority || Limit != Saved.Limit
        || !BlockedValueList.SequenceEqual(Lines(Saved.BlockedValues))
        || !BlockedPatternList.SequenceEqual(Lines(Saved.BlockedPatterns));

    public IdentityNamespace ToNamespace() => new()
    {
        Id = Saved.Id, Name = Saved.Name, Normalization = Saved.Normalization, Priority = Priority, Limit = Limit,
        BlockedValues = [.. BlockedValueList], BlockedPatterns = [.. BlockedPatternList],
        DefaultCountry = Saved.DefaultCountry, IsDevice = Saved.IsDevice, TraitKeys = [.. Saved.TraitKeys], BuiltIn = Saved.BuiltIn,
    };

    private static List<string> Lines(IEnumerable<string> values) =>
        values.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct().ToList();
}
