using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// Runs a rule over all current profiles, exactly (no sampling): the builder's live estimate, the "what
/// would change" preview when editing an active segment, and batch evaluation's matching ids. Answers from
/// the in-memory <see cref="SegmentIndex"/> once it is loaded, from the SQL path (<see cref="SegmentSql"/>)
/// until then; each answer says which. Memberships for "is in segment X" come from
/// <see cref="ISegmentMembershipSource"/>.
/// </summary>
public sealed class SegmentEstimator(
    SegmentIndexHost index,
    IDbContextFactory<ProfileStudioDbContext> dbFactory,
    ISegmentMembershipSource memberships,
    TimeProvider time)
{
    /// <summary>How many sample ids an estimate carries.</summary>
    public const int SampleSize = 20;

    /// <summary>The exact number of current profiles matching, of all current profiles, with <see cref="SampleSize"/> sample ids.</summary>
    /// <param name="waitingForIndex">Called when the answer must wait for the index's first load (a rule on a computed attribute, at start).</param>
    public async Task<SegmentEstimate> EstimateAsync(SegmentRule rule, CancellationToken ct, Action? waitingForIndex = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var clock = Stopwatch.StartNew();
        var now = time.GetUtcNow().UtcDateTime;
        var segments = await MembershipsOfAsync(rule, ct);
        await WaitForIndexWhenReadingComputedAsync(rule, ct, waitingForIndex);
        var fromIndex = await Task.Run(() => index.TryRead(i =>
        {
            var (matching, samples) = i.Estimate(rule, now, segments, SampleSize, ct);
            return new SegmentEstimate(matching, i.Count, samples, now, TimeSpan.Zero) { Path = SegmentEstimatePath.Index };
        }, out var estimate) ? estimate : null, ct);
        if (fromIndex is not null)
        {
            return fromIndex with { Took = clock.Elapsed };
        }
        var (ids, total) = await SqlMatchingAsync(rule, now, segments, withTotal: true, ct);
        return new SegmentEstimate(ids.Count, total, ids.Take(SampleSize).ToList(), now, clock.Elapsed) { Path = SegmentEstimatePath.Sql };
    }

    /// <summary>
    /// How many people would join and how many of <paramref name="currentMembers"/> would leave if the segment's
    /// rule became <paramref name="rule"/>, with samples of each.
    /// </summary>
    public async Task<SegmentChangeEstimate> EstimateChangeAsync(SegmentRule rule, IReadOnlySet<long> currentMembers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(currentMembers);
        var clock = Stopwatch.StartNew();
        var now = time.GetUtcNow().UtcDateTime;
        var (ids, path) = await MatchingAsync(rule, now, ct);
        return Change(ids, currentMembers) with { Path = path, ComputedAt = now, Took = clock.Elapsed };
    }

    /// <summary>
    /// How many people would join a segment with <paramref name="rule"/> and how many of its <paramref name="currentMembers"/>
    /// would leave if nobody were in segment <paramref name="emptied"/> (disabling it empties it): what a segment that refers to
    /// it ("is in", "is not in", at any depth) would gain and lose, with samples of each.
    /// </summary>
    public async Task<SegmentChangeEstimate> EstimateChangeWithoutAsync(SegmentRule rule, IReadOnlySet<long> currentMembers, long emptied, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(currentMembers);
        var clock = Stopwatch.StartNew();
        var now = time.GetUtcNow().UtcDateTime;
        var (ids, path) = await MatchingAsync(rule, now, ct, emptied);
        return Change(ids, currentMembers) with { Path = path, ComputedAt = now, Took = clock.Elapsed };
    }

    /// <summary>Every current profile matching the rule now, in ascending id order (batch evaluation).</summary>
    public async Task<IReadOnlyList<long>> MatchingIdsAsync(SegmentRule rule, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var (ids, _) = await MatchingAsync(rule, time.GetUtcNow().UtcDateTime, ct);
        return ids;
    }

    /// <summary>Every matching id, ascending, from the index when it is loaded, else from SQL.</summary>
    /// <param name="emptied">A segment counted as having nobody in it (null: every segment as it is).</param>
    private async Task<(List<long> Ids, SegmentEstimatePath Path)> MatchingAsync(SegmentRule rule, DateTime now, CancellationToken ct, long? emptied = null)
    {
        var segments = await MembershipsOfAsync(rule, ct, emptied);
        await WaitForIndexWhenReadingComputedAsync(rule, ct);
        var fromIndex = await Task.Run(() => index.TryRead(i => i.MatchingIds(rule, now, segments, ct), out var ids) ? ids : null, ct);
        if (fromIndex is not null)
        {
            return (fromIndex, SegmentEstimatePath.Index);
        }
        var (sql, _) = await SqlMatchingAsync(rule, now, segments, withTotal: false, ct);
        return (sql, SegmentEstimatePath.Sql);
    }

    /// <summary>
    /// The SQL path reads stored traits only: a computed value (an active definition's name) is in the index alone, computed
    /// afresh where its window moved. A rule that reads one waits for the index's first load (seconds at start, under two
    /// minutes at a million profiles) rather than answering from SQL as if nobody had the value: a batch evaluation would
    /// otherwise empty the segment, and the builder show 0.
    /// </summary>
    private async Task WaitForIndexWhenReadingComputedAsync(SegmentRule rule, CancellationToken ct, Action? waiting = null)
    {
        if (index.IsReady)
        {
            return;
        }
        var keys = SegmentDependencies.Of(rule).AttributeKeys.ToList();
        if (keys.Count == 0)
        {
            return;
        }
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (!await db.ComputedAttributeDefinitions.AnyAsync(d => d.Status == ComputedAttributes.ComputedStatus.Active && keys.Contains(d.Name), ct))
            {
                return;
            }
        }
        waiting?.Invoke();
        await index.Loaded.WaitAsync(ct);
    }

    /// <summary>What a person waiting for the index's first load is told (with the last failure, when loading failed and is retried).</summary>
    public string IndexLoadingMessage => index.LastLoadError is { } error
        ? $"This rule reads a computed attribute, which only the segment index holds, and the index could not load yet ({error}). It is tried again every few seconds; the count appears when it loads."
        : "This rule reads a computed attribute, which only the segment index holds. The index is loading (it reads every profile when the app starts); the count appears when it is done.";

    /// <summary>Joining = matching and not a member; leaving = a member that does not match (ids ascending).</summary>
    internal static SegmentChangeEstimate Change(IReadOnlyList<long> matching, IReadOnlySet<long> currentMembers)
    {
        var matchingSet = matching as IReadOnlySet<long> ?? matching.ToHashSet();
        var joining = matching.Where(id => !currentMembers.Contains(id)).ToList();
        var leaving = currentMembers.Where(id => !matchingSet.Contains(id)).Order().ToList();
        return new SegmentChangeEstimate(joining.Count, leaving.Count, joining.Take(SampleSize).ToList(), leaving.Take(SampleSize).ToList());
    }

    /// <summary>The memberships of every segment the rule refers to, by segment id.</summary>
    internal async Task<IReadOnlyDictionary<long, IReadOnlySet<long>>> MembershipsOfAsync(SegmentRule rule, CancellationToken ct, long? emptied = null)
    {
        var result = new Dictionary<long, IReadOnlySet<long>>();
        foreach (var segmentId in SegmentDependencies.Of(rule).SegmentIds)
        {
            result[segmentId] = segmentId == emptied ? new HashSet<long>() : await memberships.MembersAsync(segmentId, ct);
        }
        return result;
    }

    private async Task<(List<long> Ids, long Total)> SqlMatchingAsync(
        SegmentRule rule, DateTime now, IReadOnlyDictionary<long, IReadOnlySet<long>> segments, bool withTotal, CancellationToken ct)
    {
        string connectionString;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            connectionString = db.Database.GetConnectionString()!;
        }
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        if (segments.Count > 0)
        {
            await SegmentSql.LoadMembershipsAsync(connection, segments.SelectMany(s => s.Value.Select(p => (s.Key, p))), ct);
        }
        var ids = await SegmentSql.ProfileIdsAsync(connection, rule, now, cancellationToken: ct);
        long total = 0;
        if (withTotal)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM Profiles WHERE MergedIntoId IS NULL";
            total = Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }
        return (ids, total);
    }
}
