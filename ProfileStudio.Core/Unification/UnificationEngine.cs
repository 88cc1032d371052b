using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Core.Unification;

/// <summary>
/// Runs a unification run: the pipeline's stages in order over the run's messages (lake order) and
/// the identity graph, each stage reading the earlier stages' changes and returning its own (see
/// <see cref="UnificationPipeline"/>). No storage and no clock: the same messages give the same changes.
/// A <paramref name="scope"/> limits the run to some identifiers (replaying one profile's component
/// for a split): identifiers outside it are ignored, and messages with none are skipped.
/// </summary>
public sealed class UnificationEngine(IdentityGraph graph, IReadOnlySet<IdentityKey>? scope = null, UnificationPipeline? pipeline = null)
{
    public IdentityGraph Graph => graph;

    public UnificationPipeline Pipeline { get; } = pipeline ?? UnificationPipeline.Default;

    /// <param name="ct">A stop asked for is noticed between stages; the graph may then be part-way through the run (restore it from storage).</param>
    public UnificationChanges Process(IEnumerable<RawMessage> messages, CancellationToken ct = default)
    {
        var list = messages as IReadOnlyList<RawMessage> ?? messages.ToList();
        var changes = new UnificationChanges { Messages = list.Count, LastMessageId = list.Count > 0 ? list[^1].Id : 0 };
        var run = new UnificationRun(list, graph, scope, changes);
        foreach (var stage in Pipeline.Stages)
        {
            ct.ThrowIfCancellationRequested();
            changes.Add(stage.Process(run));
        }
        foreach (var output in changes.Outputs)
        {
            (output as IRunScopedChanges)?.ReleaseRunData();
        }
        return changes;
    }
}
