using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>Which segments to evaluate for one profile (in the snapshot's evaluation order).</summary>
public delegate IReadOnlyList<ActiveSegment> SegmentSelection(long profileId);

/// <summary>
/// Evaluates profiles against active segments with <see cref="SegmentEvaluator"/> on their stored facts and
/// writes the outcome through <see cref="SegmentMembershipWriter"/>: the one evaluation behind streaming
/// (<see cref="SegmentChangeConsumer"/>), clock re-checks (<see cref="SegmentClockJob"/>) and full evaluations
/// (<see cref="SegmentBatchJob"/>), so all three give the same memberships for the same data. A profile's
/// segments are evaluated in the catalog's order, each seeing the memberships decided before it, and for
/// time-dependent rules the next instant the result may change by the clock is stored as a clock check.
/// One evaluation at a time (load, evaluate, write): a streaming change and a batch chunk never interleave
/// between reading a profile and writing its result.
/// </summary>
public sealed class SegmentMembershipEvaluator(
    IDbContextFactory<ProfileStudioDbContext> dbFactory, SegmentCatalog catalog, SegmentMembershipWriter writer, TimeProvider time,
    ILogger<SegmentMembershipEvaluator>? logger = null)
{
    /// <summary>Profiles whose outcomes are written in one transaction (their facts are read <see cref="SegmentFactsLoader.Chunk"/> at a time).</summary>
    public const int WriteGroup = 5_000;

    private readonly SemaphoreSlim _one = new(1, 1);

    public SegmentCatalog Catalog => catalog;

    /// <summary>The write path every evaluation goes through.</summary>
    public SegmentMembershipWriter Writer => writer;

    /// <summary>
    /// Evaluates <paramref name="profileIds"/> for the segments <paramref name="select"/> picks from
    /// <paramref name="snapshot"/>; profiles that are not live lose every membership (exits recorded).
    /// <paramref name="selectsReferrers"/>: every selection includes the streaming segments that refer to the segments in it
    /// (<see cref="SegmentCatalogSnapshot.Affected"/>, <see cref="WithReferrers"/>), so the changes written need no further
    /// evaluation (<see cref="ProfileChangeKinds.ReferrersEvaluated"/>).
    /// </summary>
    public async Task<SegmentWriteResult> EvaluateAsync(
        IReadOnlyCollection<long> profileIds, SegmentCatalogSnapshot snapshot, SegmentSelection select, CancellationToken ct = default,
        bool selectsReferrers = false)
    {
        var outcomes = new List<SegmentOutcome>();
        var gone = new List<long>();
        var bySegment = new Dictionary<long, (long Entered, long Exited)>();
        var changedProfiles = 0;
        // Facts are read per chunk (bounded memory), outcomes written per group of chunks: each write waits for
        // the single write lock, which unification runs hold in turn, so one write per group rather than per
        // chunk spares most of those waits.
        foreach (var group in profileIds.Distinct().Chunk(WriteGroup))
        {
            await _one.WaitAsync(ct);
            try
            {
                var now = time.GetUtcNow().UtcDateTime;
                outcomes.Clear();
                gone.Clear();
                // One connection per group (a new one per chunk cost its open, pragmas, functions and attached files each time).
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                foreach (var chunk in group.Chunk(SegmentFactsLoader.Chunk))
                {
                    var facts = await SegmentFactsLoader.LoadAsync(db, chunk, snapshot, now, ct);
                    foreach (var id in chunk)
                    {
                        if (!facts.TryGetValue(id, out var f))
                        {
                            gone.Add(id);
                            continue;
                        }
                        try
                        {
                            outcomes.AddRange(Decide(f, select(id), now));
                        }
                        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or InvalidOperationException)
                        {
                            // A value no test foresaw: this profile keeps its memberships until its data changes; the
                            // others go on (a throw here failed the batch, and the consumer retried it for ever).
                            logger?.LogWarning(ex, "Segment evaluation skipped profile {Profile}: its data could not be evaluated.", id);
                        }
                    }
                }
                var result = await writer.ApplyAsync(outcomes, gone, now, ct, selectsReferrers);
                changedProfiles += result.ProfilesChanged;
                foreach (var (segment, (e, x)) in result.BySegment)
                {
                    var (pe, px) = bySegment.GetValueOrDefault(segment);
                    bySegment[segment] = (pe + e, px + x);
                }
            }
            finally
            {
                _one.Release();
            }
        }
        return new(bySegment, changedProfiles);
    }

    /// <summary>
    /// The outcome of each segment for one profile, in order: each segment sees the memberships decided
    /// before it in the same pass (a segment that refers to another comes after it).
    /// </summary>
    public static IEnumerable<SegmentOutcome> Decide(SegmentProfileFacts facts, IReadOnlyList<ActiveSegment> segments, DateTime now)
    {
        var memberships = facts.Segments.ToHashSet();
        var current = facts with { Segments = memberships };
        var outcomes = new List<SegmentOutcome>(segments.Count);
        foreach (var segment in segments)
        {
            var member = SegmentEvaluator.Matches(segment.Rule, current, now);
            if (member)
            {
                memberships.Add(segment.Id);
            }
            else
            {
                memberships.Remove(segment.Id);
            }
            // Batch segments change only when evaluated in full: they keep no clock checks.
            var next = segment.Evaluation == SegmentEvaluationMode.Streaming && segment.Dependencies.IsTimeDependent ? SegmentDependencies.NextClockChange(segment.Rule, current, now) : null;
            outcomes.Add(new SegmentOutcome(segment.Id, facts.ProfileId, member, next));
        }
        return outcomes;
    }

    /// <summary>
    /// Re-evaluates every (profile, segment) whose clock check is due (and the segments referring to those),
    /// at most <paramref name="limit"/> checks per round until none is due; returns the memberships that changed.
    /// Checks of segments that are no longer active are dropped.
    /// </summary>
    public async Task<long> CheckDueAsync(int limit = 5_000, CancellationToken ct = default)
    {
        long changed = 0;
        var snapshot = catalog.Current;
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            List<SegmentClockCheck> due;
            await using (var db = await Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(dbFactory, ct))
            {
                due = await db.SegmentClockChecks.AsNoTracking().Where(c => c.DueAt <= now).OrderBy(c => c.DueAt).Take(limit).ToListAsync(ct);
            }
            var inactive = due.Where(c => snapshot.Find(c.SegmentId) is null).ToList();
            if (inactive.Count > 0)
            {
                await writer.DropClockChecksAsync(inactive.Select(c => (c.ProfileId, c.SegmentId)).ToList(), ct);
                due.RemoveAll(inactive.Contains);
            }
            if (due.Count == 0)
            {
                break;
            }
            var byProfile = due.GroupBy(c => c.ProfileId).ToDictionary(g => g.Key, g => g.Select(c => c.SegmentId).ToHashSet());
            var result = await EvaluateAsync(byProfile.Keys, snapshot, p => WithReferrers(snapshot, byProfile[p]), ct, selectsReferrers: true);
            changed += result.Entered + result.Exited;
            if (due.Count < limit)
            {
                break;
            }
        }
        return changed;
    }

    /// <summary>The given streaming segments and (transitively) the streaming segments that refer to them, in evaluation order.</summary>
    public static IReadOnlyList<ActiveSegment> WithReferrers(SegmentCatalogSnapshot snapshot, IEnumerable<long> segmentIds)
    {
        var hit = segmentIds.ToHashSet();
        foreach (var s in snapshot.Ordered)
        {
            if (s.Dependencies.SegmentIds.Any(hit.Contains))
            {
                hit.Add(s.Id);
            }
        }
        return snapshot.Ordered.Where(s => hit.Contains(s.Id) && s.Evaluation == SegmentEvaluationMode.Streaming).ToList();
    }
}
