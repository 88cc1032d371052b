using System.Text.Json;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification;
using ProfileStudio.Core.Unification.Stages;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The computed-attributes stage's changes: per (profile, definition) the state of the run's matching
/// events (a delta the writer folds into the stored state), the definitions the stage knew (id → version),
/// the survivors of the run's merges, and the profiles with events. The writer fills in which values changed.
/// </summary>
public sealed class ComputedChanges : IStageChanges
{
    public Dictionary<(long Profile, int Definition), AggregateState> Deltas { get; } = [];

    /// <summary>The definitions (id → version) the stage computed deltas for.</summary>
    public Dictionary<int, int> Definitions { get; } = [];

    /// <summary>The run's timeline events (the fragment stage's), kept for <see cref="EventNames"/>.</summary>
    public IReadOnlyList<ProfileEvent> Events { get; init; } = [];

    private Dictionary<long, HashSet<string>>? _eventNames;

    /// <summary>
    /// Profiles that received events in the run, with the names of those events. Only the writer's rare path needs it
    /// (a definition the stage did not know), so it is collected then, not for every run: with no definitions a run pays nothing.
    /// </summary>
    public IReadOnlyDictionary<long, HashSet<string>> EventNames => _eventNames ??= CollectEventNames();

    private Dictionary<long, HashSet<string>> CollectEventNames()
    {
        var names = new Dictionary<long, HashSet<string>>();
        foreach (var e in Events)
        {
            if (!names.TryGetValue(e.ProfileId, out var seen))
            {
                names[e.ProfileId] = seen = new HashSet<string>(StringComparer.Ordinal);
            }
            seen.Add(e.Name);
        }
        return names;
    }

    /// <summary>Survivors of the run's merges, with the profiles merged into them.</summary>
    public Dictionary<long, List<long>> Merged { get; } = [];

    /// <summary>Profiles whose computed value the writer changed (the feed marks them <see cref="ProfileChangeKinds.Computed"/>).</summary>
    public HashSet<long> ValueChanged { get; } = [];

    public void Describe(ProfileChangeMarks marks)
    {
        foreach (var profile in ValueChanged)
        {
            marks.Mark(profile, ProfileChangeKinds.Computed);
        }
    }
}

/// <summary>
/// Stage 4: computed attributes. Reads the run's timeline events (from the fragment stage), parses each
/// event's properties once, and folds every event that matches an active definition into a delta state
/// per (profile, definition). Pure: the definitions are a snapshot taken from
/// <see cref="ComputedDefinitionCatalog"/> at the start of the run; the writer checks it against the
/// stored definitions in the run's transaction (a definition activated or edited meanwhile is computed
/// from the timeline there instead).
/// </summary>
public sealed class ComputedAttributeStage(ComputedDefinitionCatalog catalog, int distinctLimit = ComputedAggregator.DefaultDistinctLimit) : IUnificationStage
{
    public IStageChanges Process(UnificationRun run)
    {
        var events = run.Output<FragmentChanges>().Events;
        var changes = new ComputedChanges { Events = events };
        var aggregators = catalog.Active.Select(s => new ComputedAggregator(s, distinctLimit)).ToList();
        foreach (var a in aggregators)
        {
            changes.Definitions[a.Spec.Id] = a.Spec.Version;
        }
        var names = aggregators.SelectMany(a => a.Spec.EventNames).ToHashSet(StringComparer.Ordinal);
        foreach (var e in names.Count == 0 ? [] : events)
        {
            if (!names.Contains(e.Name))
            {
                continue;
            }
            using var document = ComputedComputation.Parse(e.PropertiesJson);
            if (document is null)
            {
                continue;
            }
            foreach (var a in aggregators)
            {
                if (a.Filter.Matches(e.Name, document.RootElement))
                {
                    var slot = (e.ProfileId, a.Spec.Id);
                    if (!changes.Deltas.TryGetValue(slot, out var state))
                    {
                        changes.Deltas[slot] = state = new AggregateState();
                    }
                    a.Add(state, e.EventAt, e.MessageId, document.RootElement);
                }
            }
        }
        foreach (var (from, into) in run.Output<IdentityChanges>().Merges)
        {
            var survivor = run.Graph.Canonical(into);
            if (!changes.Merged.TryGetValue(survivor, out var list))
            {
                changes.Merged[survivor] = list = [];
            }
            list.Add(from);
        }
        return changes;
    }
}

/// <summary>Registers computed attributes in a pipeline: <c>UnificationPipeline.Default.WithComputedAttributes(catalog)</c>.</summary>
public static class ComputedAttributesPipeline
{
    public static UnificationPipeline WithComputedAttributes(this UnificationPipeline pipeline, ComputedDefinitionCatalog catalog,
        int distinctLimit = ComputedAggregator.DefaultDistinctLimit) =>
        pipeline.With(new ComputedAttributeStage(catalog, distinctLimit), new ComputedAttributeWriter(distinctLimit));
}
