using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>Why a profile is (or is not) in one segment: its rule evaluated on the profile's stored facts now.</summary>
public sealed record SegmentWhy(long SegmentId, string Name, SegmentStatus Status, bool IsMember, DateTime? Since, SegmentEvaluation Evaluation, DateTime EvaluatedAt);

/// <summary>
/// The profile page's "why": loads one profile's facts as streaming evaluation does (attributes under the
/// segments' attribute rule, the events the rule reads, identities, computed values, current memberships) and runs
/// <see cref="SegmentEvaluator.Evaluate"/> on them, so each condition is marked with the values that decided it.
/// </summary>
public sealed class SegmentExplainer(IDbContextFactory<ProfileStudioDbContext> dbFactory, SegmentStore segments, TimeProvider time)
{
    /// <summary>The segments the profile is in, each explained, by name.</summary>
    public async Task<IReadOnlyList<SegmentWhy>> MembershipsAsync(long profileId, CancellationToken ct = default)
    {
        var memberships = await segments.MembershipsOfProfileAsync(profileId, ct);
        var result = new List<SegmentWhy>();
        foreach (var membership in memberships)
        {
            if (await ExplainAsync(profileId, membership.SegmentId, ct) is { } why)
            {
                result.Add(why);
            }
        }
        return result;
    }

    /// <summary>One segment's rule on the profile now, or null when the segment does not exist or its rule cannot be read.</summary>
    public async Task<SegmentWhy?> ExplainAsync(long profileId, long segmentId, CancellationToken ct = default)
    {
        if (await segments.GetAsync(segmentId, ct) is not { Rule: { } rule } details)
        {
            return null;
        }
        var memberships = await segments.MembershipsOfProfileAsync(profileId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var facts = await FactsAsync(profileId, details.Segment, rule, now, ct);
        var names = await segments.NamesAsync(ct);
        var evaluation = SegmentEvaluator.Evaluate(rule, facts, now, id => names.GetValueOrDefault(id));
        var membership = memberships.FirstOrDefault(m => m.SegmentId == segmentId);
        return new SegmentWhy(segmentId, details.Segment.Name, details.Segment.Status, membership is not null, membership?.Since, evaluation, now);
    }

    // The facts streaming evaluation reads (SegmentFactsLoader), limited to what this rule reads, so the reason
    // shown is computed exactly as the membership was.
    private async Task<SegmentProfileFacts> FactsAsync(long profileId, Segment segment, SegmentRule rule, DateTime now, CancellationToken ct)
    {
        var only = SegmentCatalogSnapshot.Of([new ActiveSegment(segment.Id, segment.Name, segment.Version, segment.Evaluation, rule, SegmentDependencies.Of(rule))]);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var facts = await SegmentFactsLoader.LoadAsync(db, [profileId], only, now, ct);
        return facts.GetValueOrDefault(profileId)
            ?? new SegmentProfileFacts(profileId, new Dictionary<string, System.Text.Json.JsonElement>(), [], new Dictionary<string, IReadOnlyList<string>>(), new HashSet<long>());
    }
}
