using System.Runtime.InteropServices;
using System.Text.Json;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification;
using ProfileStudio.Core.Unification.Stages;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The computed-attributes stage's changes: the run's matching (event, definition) inputs per profile (the writer folds them
/// into the stored states), the definitions the stage knew (id → version), the survivors of the run's merges, and the
/// profiles with events. The writer fills in which values changed.
/// </summary>
public sealed class ComputedChanges : IStageChanges
{
    /// <summary>Per profile, what its matching events bring to each definition the stage knew.</summary>
    public ComputedInputs Inputs { get; } = new();

    /// <summary>The definitions (id → version) the stage read inputs for.</summary>
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
        foreach (var e in Events.Where(e => TrackEvents.Is(e.Type)))
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
/// A run's matching (event, definition) inputs, kept per profile as values in blocks of structs rather than as a state object per
/// (profile, definition): a run of 100,000 events brings half a million of them, and they live until the writer, so objects would
/// be promoted and traced by every collection in between (that was most of the stage's cost, and a third of the writer's).
/// Each input links to the profile's next one, so a profile's inputs are folded in the order the events came (as the stage
/// used to add them: the same sums to the last digit, and buckets appended in time order rather than inserted at the front).
/// </summary>
public sealed class ComputedInputs
{
    private const int BlockSize = 1024; // 56 KB blocks: under the large object heap's threshold

    private record struct Entry(int Definition, int Next, ComputedInput Input);

    private readonly List<Entry[]> _blocks = [];
    private readonly Dictionary<long, (int First, int Last)> _profiles = [];
    private int _count;

    /// <summary>The profiles with at least one input.</summary>
    public IEnumerable<long> Profiles => _profiles.Keys;

    public void Add(long profile, int definition, in ComputedInput input)
    {
        if (_count % BlockSize == 0)
        {
            _blocks.Add(new Entry[BlockSize]);
        }
        _blocks[_count / BlockSize][_count % BlockSize] = new(definition, -1, input);
        ref var chain = ref CollectionsMarshal.GetValueRefOrAddDefault(_profiles, profile, out var exists);
        if (exists)
        {
            _blocks[chain.Last / BlockSize][chain.Last % BlockSize].Next = _count;
            chain.Last = _count;
        }
        else
        {
            chain = (_count, _count);
        }
        _count++;
    }

    /// <summary>Sets <paramref name="touched"/>[i] when the profile has an input for <paramref name="aggregators"/>[i] (false for a null one).</summary>
    public void Touched(long profile, ComputedAggregator?[] aggregators, bool[] touched)
    {
        Array.Clear(touched);
        if (!_profiles.TryGetValue(profile, out var chain))
        {
            return;
        }
        for (var at = chain.First; at >= 0;)
        {
            ref readonly var entry = ref _blocks[at / BlockSize][at % BlockSize];
            for (var i = 0; i < aggregators.Length; i++)
            {
                touched[i] |= aggregators[i] is { } aggregator && aggregator.Spec.Id == entry.Definition;
            }
            at = entry.Next;
        }
    }

    /// <summary>
    /// Adds the profile's inputs, in the order they came, for each definition with an aggregator in <paramref name="aggregators"/> to its
    /// state in <paramref name="states"/> (created when the first input comes); inputs of the others are skipped.
    /// </summary>
    public void Fold(long profile, ComputedAggregator?[] aggregators, AggregateState?[] states)
    {
        if (!_profiles.TryGetValue(profile, out var chain))
        {
            return;
        }
        for (var at = chain.First; at >= 0;)
        {
            ref readonly var entry = ref _blocks[at / BlockSize][at % BlockSize];
            for (var i = 0; i < aggregators.Length; i++)
            {
                if (aggregators[i] is { } aggregator && aggregator.Spec.Id == entry.Definition)
                {
                    aggregator.Add(states[i] ??= new AggregateState(), entry.Input);
                }
            }
            at = entry.Next;
        }
    }
}

/// <summary>
/// Stage 4: computed attributes. Reads the run's timeline events (from the fragment stage), parses each
/// event's properties once, and reads what every event that matches an active definition brings to it
/// (<see cref="ComputedInputs"/>). Pure: the definitions are a snapshot taken from
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
        // One string per distinct value key in the run, not one per event: the inputs keep them until the writer.
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in names.Count == 0 ? [] : events)
        {
            if (!TrackEvents.Is(e.Type) || !names.Contains(e.Name))
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
                    var input = a.Read(e.EventAt, e.MessageId, document.RootElement);
                    if (input.Key is { } key)
                    {
                        ref var kept = ref CollectionsMarshal.GetValueRefOrAddDefault(keys, key, out var seen);
                        if (!seen)
                        {
                            kept = key;
                        }
                        input = input with { Key = kept };
                    }
                    changes.Inputs.Add(e.ProfileId, a.Spec.Id, input);
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
