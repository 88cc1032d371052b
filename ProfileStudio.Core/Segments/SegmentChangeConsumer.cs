using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

public sealed class SegmentOptions
{
    public const string Section = "ProfileStudio:Segments";

    /// <summary>How often due clock checks are re-evaluated (people leave "in the last 30 days" with no new event).</summary>
    public int ClockCheckSeconds { get; set; } = 60;

    /// <summary>How often the batch job looks for segments to evaluate in full ("evaluate now" also wakes it).</summary>
    public int BatchPollSeconds { get; set; } = 5;

    /// <summary>Membership history (entries and exits) is kept this many days.</summary>
    public int HistoryDays { get; set; } = 30;
}

/// <summary>
/// Streaming evaluation: reads the change feed after each unification run commits and re-evaluates the changed
/// profiles for the streaming segments that read what changed (from the feed row's kinds: attributes and
/// computed values → segments reading attributes; events → segments reading events; identities → segments
/// reading identities and those that hold for a profile knowing nothing, since a new profile must enter them;
/// a merge or a split → every segment), plus the segments that refer to those. Merged-away and deleted profiles lose their memberships; a rebuild asks for a
/// full evaluation of every active segment, and a computed attribute's backfill ending (one row for every profile) one of the
/// segments that read attributes. Membership changes are written back to the feed
/// (<see cref="ProfileChangeKinds.Segments"/>); on reading them, only segments that refer to other segments
/// are re-evaluated (a batch or clock change of one segment reaches the streaming segments built on it).
/// </summary>
/// <remarks>
/// A consumer rather than a unification stage: evaluating needs each touched profile's whole relevant history
/// (events in windows, every fragment), a read per profile that would sit inside the single writer's
/// transaction and slow every run; here it runs beside unification, batched per feed read, woken by the
/// commit signal (so membership lags acceptance by about one run plus one evaluation), and the clock job and
/// batch job share its write path. Measured in the bench (<c>segments</c>).
/// </remarks>
public sealed class SegmentChangeConsumer(
    SegmentMembershipEvaluator evaluator, SegmentMembershipWriter writer, SegmentStore store, IDbContextFactory<ProfileStudioDbContext> dbFactory, TimeProvider time) : IChangeFeedConsumer
{
    public const string ConsumerName = "segments";

    public string Name => ConsumerName;

    public string Description => "Keeps streaming segment memberships current";

    /// <summary>Activating a segment evaluates it in full, so the consumer needs no history.</summary>
    public bool StartsAtEnd => true;

    public async Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct)
    {
        if (!evaluator.Catalog.IsLoaded)
        {
            // Rows read before the batch job loaded the segments would otherwise pass unevaluated.
            await store.RefreshCatalogAsync(ct);
        }
        var snapshot = evaluator.Catalog.Current;
        if (changes.Any(c => c.Kinds.HasFlag(ProfileChangeKinds.Rebuilt)))
        {
            // The rebuild gave profiles new ids: memberships start empty (sizes 0) before the full evaluation re-enters everyone.
            await writer.ClearAfterRebuildAsync(time.GetUtcNow().UtcDateTime, ct);
            await RequestEvaluationAsync(null, ct);
        }
        else if (changes.Any(c => c.ComputedForEveryProfile))
        {
            // A computed attribute's backfill finished, or a definition's values went: any profile's value may have changed,
            // and the row names none. The segments that read attributes (and those built on them) are evaluated in full.
            var affected = Select(snapshot, ProfileChangeKinds.Computed);
            if (affected.Count > 0)
            {
                await RequestEvaluationAsync(affected.Select(s => s.Id).ToList(), ct);
            }
        }
        var kinds = new Dictionary<long, ProfileChangeKinds>();
        void Add(long profile, ProfileChangeKinds k)
        {
            if (profile != 0 && k != ProfileChangeKinds.None)
            {
                kinds[profile] = kinds.GetValueOrDefault(profile) | k;
            }
        }
        foreach (var c in changes)
        {
            // Membership changes whose referring segments were evaluated with them (the rows this consumer writes) leave
            // nothing to do; the same profile's other rows in the batch still count.
            Add(c.ProfileId, c.Kinds.HasFlag(ProfileChangeKinds.ReferrersEvaluated)
                ? c.Kinds & ~(ProfileChangeKinds.Segments | ProfileChangeKinds.ReferrersEvaluated)
                : c.Kinds);
            if (c.OtherProfileId is { } other)
            {
                // The merged-away profile (gone: its memberships end) or the profile a split part came from (recomputed).
                Add(other, c.Kinds.HasFlag(ProfileChangeKinds.Merged) ? ProfileChangeKinds.Deleted : ProfileChangeKinds.Split);
            }
        }
        if (snapshot.Ordered.Count > 0 && kinds.Count > 0)
        {
            var selections = new Dictionary<ProfileChangeKinds, IReadOnlyList<ActiveSegment>>();
            var wanted = new Dictionary<long, IReadOnlyList<ActiveSegment>>();
            foreach (var (profile, k) in kinds)
            {
                if (!selections.TryGetValue(k, out var selection))
                {
                    selections[k] = selection = Select(snapshot, k);
                }
                // A deleted or merged-away profile is evaluated too: not being live, it loses its memberships.
                if (selection.Count > 0 || k.HasFlag(ProfileChangeKinds.Deleted))
                {
                    wanted[profile] = selection;
                }
            }
            // Every selection holds the referrers of the segments in it (Select), and a row this writes says so.
            await evaluator.EvaluateAsync(wanted.Keys, snapshot, p => wanted[p], ct, selectsReferrers: true);
        }
    }

    /// <summary>Asks the batch job for a full evaluation of these active segments (null: all of them).</summary>
    private async Task RequestEvaluationAsync(IReadOnlyCollection<long>? segments, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var active = db.Segments.Where(s => s.Status == SegmentStatus.Active);
        await (segments is null ? active : active.Where(s => segments.Contains(s.Id)))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EvaluationRequestedAt, now), ct);
        store.RaiseEvaluationRequested();
    }

    /// <summary>The streaming segments to evaluate for a profile whose change had these kinds.</summary>
    public static IReadOnlyList<ActiveSegment> Select(SegmentCatalogSnapshot snapshot, ProfileChangeKinds kinds)
    {
        var everything = (kinds & (ProfileChangeKinds.Merged | ProfileChangeKinds.Split)) != 0;
        var attributes = (kinds & (ProfileChangeKinds.Attributes | ProfileChangeKinds.Computed)) != 0;
        var events = kinds.HasFlag(ProfileChangeKinds.Events);
        var identities = kinds.HasFlag(ProfileChangeKinds.Identities);
        if (everything || attributes || events || identities)
        {
            return snapshot.Affected(attributes, events, identities, everything);
        }
        if (kinds.HasFlag(ProfileChangeKinds.Segments))
        {
            var referring = snapshot.Ordered.Where(s => s.Dependencies.SegmentIds.Count > 0).Select(s => s.Id);
            return SegmentMembershipEvaluator.WithReferrers(snapshot, referring);
        }
        return [];
    }
}
