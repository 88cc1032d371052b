using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>Why a profile is (or is not) in one segment: its rule evaluated on the profile's stored facts now.</summary>
public sealed record SegmentWhy(long SegmentId, string Name, SegmentStatus Status, bool IsMember, DateTime? Since, SegmentEvaluation Evaluation, DateTime EvaluatedAt);

/// <summary>
/// The profile page's "why": loads one profile's facts (attributes under the segments' attribute rule, the
/// events the rule reads, identities, computed values, current memberships) and runs
/// <see cref="SegmentEvaluator.Evaluate"/> on them, so each condition is marked with the values that decided it.
/// </summary>
public sealed class SegmentExplainer(
    IDbContextFactory<ProfileStudioDbContext> dbFactory, SegmentStore segments, ComputedAttributeReader computed, TimeProvider time)
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
        var facts = await FactsAsync(profileId, rule, memberships.Select(m => m.SegmentId), ct);
        var names = await segments.NamesAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var evaluation = SegmentEvaluator.Evaluate(rule, facts, now, id => names.GetValueOrDefault(id));
        var membership = memberships.FirstOrDefault(m => m.SegmentId == segmentId);
        return new SegmentWhy(segmentId, details.Segment.Name, details.Segment.Status, membership is not null, membership?.Since, evaluation, now);
    }

    private async Task<SegmentProfileFacts> FactsAsync(long profileId, SegmentRule rule, IEnumerable<long> memberOf, CancellationToken ct)
    {
        var dependencies = SegmentDependencies.Of(rule);
        var eventNames = dependencies.EventNames.ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var attributes = await db.ProfileAttributes.AsNoTracking().Where(a => a.ProfileId == profileId).ToListAsync(ct);
        // Only the events the rule counts: a busy profile has many others.
        var events = eventNames.Count == 0 ? [] : await db.ProfileEvents.AsNoTracking().Where(e => e.ProfileId == profileId && eventNames.Contains(e.Name)).ToListAsync(ct);
        var identities = await db.Identities.AsNoTracking().Where(i => i.ProfileId == profileId).ToListAsync(ct);
        var values = (await computed.ValuesOfProfileAsync(profileId, ct))
            .Where(v => v.ValueJson is not null && v.ValueJson != "null")
            .ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return SegmentProfileFacts.FromStored(profileId, attributes, events, identities, memberOf, values);
    }
}
