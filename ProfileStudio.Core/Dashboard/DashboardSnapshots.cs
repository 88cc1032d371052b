using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Dashboard;

/// <summary>
/// Keeps the dashboard's figures: the daily profile history (<see cref="DashboardDay"/>) and the current
/// snapshot (<see cref="DashboardFigures"/>). Everything is counted from stored data on a connection of
/// its own (a WAL reader never blocks the unification writer); the results are written in one short
/// transaction. One computation at a time: the change-feed consumer, the periodic job and the refresh
/// button take turns.
/// </summary>
public sealed class DashboardSnapshots(
    IDbContextFactory<ProfileStudioDbContext> dbFactory,
    ComputedAttributeReader computed,
    Segments.SegmentStore segmentStore,
    TimeProvider time,
    ILogger<DashboardSnapshots> logger)
{
    /// <summary>How far back the ingestion and insight series go (the longest trend range).</summary>
    public const int HistoryDays = 365;

    /// <summary>Namespaces beyond this many are counted by namespace but left out of the overlap (a 64-bit set per profile).</summary>
    public const int MaxOverlapNamespaces = 64;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>History writes take turns under it: the change-feed consumer's updates and a refresh's write.</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>One refresh at a time (the periodic job, the button, a catch-up).</summary>
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    /// <summary>
    /// Under <see cref="_gate"/>: whether a refresh is scanning; the earliest day the consumer left to it meanwhile; the
    /// earliest day a failed refresh handed back to the consumer's next update (MinValue: every day).
    /// </summary>
    private bool _scanning;
    private DateTime? _updatedDuringScan;
    private DateTime? _pendingFrom;

    /// <summary>Under <see cref="_gate"/>: the scan is over; days left to a refresh that did not write go back to the consumer.</summary>
    private void EndScan(bool written)
    {
        _counted = null; // whatever the scan wrote (or the consumer meanwhile), the next update counts afresh
        if (!written && _updatedDuringScan is { } since)
        {
            _pendingFrom = Earliest(_pendingFrom, since);
        }
        (_scanning, _updatedDuringScan) = (false, null);
    }

    private static DateTime Earliest(DateTime? a, DateTime b) => a is { } x && x < b ? x : b;

    /// <summary>
    /// Under <see cref="_gate"/>: the consumer's last count from a day on, read in one statement with the feed's end. Every
    /// stored day from <c>From</c> on holds that count, plus one per profile created by a feed row after <c>FeedEnd</c>
    /// (<see cref="ChangeFeed.ProfileChangeKinds.Created"/>), which no count saw. Null when the days were last written from a scan in
    /// short statements (a refresh, a split or delete), which reads no one moment: the next update counts again.
    /// </summary>
    private (DateTime From, long FeedEnd)? _counted;

    /// <summary>Tests: runs between a refresh's scan and its write.</summary>
    internal Action? AfterScan { get; set; }

    private const long NotRead = -1;

    /// <summary>The live profiles the stored figures counted; <see cref="NotRead"/> until read or computed.</summary>
    private long _storedProfiles = NotRead;

    /// <summary>Before this time (ticks, UTC) the profiles outgrowing the figures do not start a refresh (<see cref="CatchUpPause"/>).</summary>
    private long _catchUpAfter;

    /// <summary>Raised after a refresh stored new figures (open dashboards reload).</summary>
    public event Action? Refreshed;

    /// <summary>Whether figures were ever computed (false on the first start after an upgrade).</summary>
    public async Task<bool> HasSnapshotAsync(CancellationToken ct = default)
    {
        await using var db = await Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(dbFactory, ct); // the history and figures are in the consumers' file
        return await db.DashboardSnapshots.AnyAsync(ct);
    }

    /// <summary>
    /// Recomputes everything from stored data: both histories from their first day, and the current figures.
    /// This is the back-fill on the first start, the periodic refresh and the refresh button.
    /// </summary>
    public async Task<DateTime> RefreshAsync(CancellationToken ct = default) => (await RefreshAsync(onlyWhenOutgrownBy: null, ct))!.Value;

    private readonly Lock _pressed = new();
    private Task<DateTime>? _pressedRefresh;

    /// <summary>
    /// The Refresh button's refresh: while one it started is running, a press (from any page, any user) joins it rather
    /// than queueing another full computation behind it (seconds each at a million profiles).
    /// </summary>
    public Task<DateTime> RefreshOrJoinAsync()
    {
        lock (_pressed)
        {
            if (_pressedRefresh is { IsCompleted: false } running)
            {
                return running;
            }
            // On a pool thread: its SQLite calls run synchronously (a wait for the write lock included), never on the page's.
            return _pressedRefresh = Task.Run(() => RefreshAsync(CancellationToken.None));
        }
    }

    /// <summary>
    /// The refresh; with <paramref name="onlyWhenOutgrownBy"/> (live profiles), nothing when figures counting at least half
    /// of them were stored meanwhile.
    /// </summary>
    private async Task<DateTime?> RefreshAsync(long? onlyWhenOutgrownBy, CancellationToken ct)
    {
        await _refreshing.WaitAsync(ct);
        DateTime computedAt;
        try
        {
            if (onlyWhenOutgrownBy is { } live && !Outgrown(Interlocked.Read(ref _storedProfiles), live))
            {
                return null; // another refresh (the periodic job, the button) counted them while this one waited
            }
            var stopwatch = Stopwatch.StartNew();
            computedAt = time.GetUtcNow().UtcDateTime;
            await using var connection = await OpenAsync(ct);
            // The change-feed consumer does not wait for the scan: it leaves the days it would have counted meanwhile to this
            // refresh, which counts them again under the gate before it writes (the scan's count of them may be older).
            await _gate.WaitAsync(ct);
            (_scanning, _updatedDuringScan) = (true, null);
            _gate.Release();
            // Seconds of scans at a million profiles: at a lower CPU priority, so they take what ingestion and unification leave.
            // Scans in short statements, pausing between two when unification's log should start over (LongReads).
            (List<(DateTime Day, long Count)> stitched, List<(DateTime Day, long Count)> unstitched, DashboardFigures figures) scanned;
            string json;
            var longReads = Storage.Sqlite.LongReads.For(connection.ConnectionString);
            try
            {
                using (longReads.Begin())
                {
                    scanned = await Hosting.LowPriorityWork.RunAsync("dashboard refresh", () =>
                        (CountNewByDay(connection, IdentityStitching.Graph, null, ScanChunk), CountNewByDay(connection, IdentityStitching.None, null, ScanChunk),
                            ComputeFiguresAsync(connection, computedAt, ct).GetAwaiter().GetResult()));
                }
                AfterScan?.Invoke();
                json = JsonSerializer.Serialize(scanned.figures, Json);
            }
            catch
            {
                // The consumer counts again itself, from the earliest day it left to this refresh on (its next update).
                await _gate.WaitAsync(CancellationToken.None);
                EndScan(written: false);
                _gate.Release();
                throw;
            }
            var (stitched, unstitched, figures) = scanned;
            await _gate.WaitAsync(CancellationToken.None); // not cancelled between here and EndScan: the consumer's days are handed back either way
            var written = false;
            try
            {
                if (_updatedDuringScan is { } since)
                {
                    var from = since == DateTime.MinValue ? (DateTime?)null : since;
                    using (from is null ? longReads.Begin() : null)
                    {
                        stitched = [.. stitched.Where(d => from is { } f && d.Day < f), .. CountNewByDay(connection, IdentityStitching.Graph, from, ScanChunk)];
                    }
                }
                using var turn = await Storage.Sqlite.SqliteConsumerTables.TakeTurnAsync(connection, CancellationToken.None);
                using var transaction = Storage.Sqlite.SqliteConsumerTables.BeginWrite(connection);
                Execute(connection, transaction,
                    "INSERT INTO DashboardDailyFigures (Day, UnsegmentedProfiles, LiveProfiles) VALUES ($day, $unsegmented, $live) " +
                    "ON CONFLICT (Day) DO UPDATE SET UnsegmentedProfiles = excluded.UnsegmentedProfiles, LiveProfiles = excluded.LiveProfiles",
                    ("$day", computedAt.Date), ("$unsegmented", figures.Audiences.Unsegmented), ("$live", figures.Audiences.LiveProfiles));
                WriteHistory(connection, transaction, IdentityStitching.Graph, null, stitched);
                WriteHistory(connection, transaction, IdentityStitching.None, null, unstitched);
                Execute(connection, transaction,
                    "INSERT INTO DashboardSnapshots (Id, ComputedAt, ComputeSeconds, FiguresJson) VALUES ($id, $at, $seconds, $json) " +
                    "ON CONFLICT (Id) DO UPDATE SET ComputedAt = excluded.ComputedAt, ComputeSeconds = excluded.ComputeSeconds, FiguresJson = excluded.FiguresJson",
                    ("$id", DashboardSnapshot.CurrentId), ("$at", computedAt), ("$seconds", stopwatch.Elapsed.TotalSeconds), ("$json", json));
                transaction.Commit();
                written = true;
            }
            finally
            {
                EndScan(written);
                _gate.Release();
            }
            Interlocked.Exchange(ref _storedProfiles, figures.Audiences.LiveProfiles);
            Interlocked.Exchange(ref _catchUpAfter, (time.GetUtcNow().UtcDateTime + CatchUpPause).Ticks);
            logger.LogInformation("Dashboard figures computed in {Seconds:N1} s ({Profiles} profiles).", stopwatch.Elapsed.TotalSeconds, figures.Stitched.Profiles);
        }
        finally
        {
            _refreshing.Release();
        }
        Refreshed?.Invoke();
        return computedAt;
    }

    /// <summary>How soon after a refresh the figures may be computed again because the profiles outgrew them.</summary>
    public static readonly TimeSpan CatchUpPause = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Refreshes now when the stored figures counted fewer than half the <paramref name="liveProfiles"/> there are now
    /// (none at all, on a new install whose back-fill ran on an empty store: then at once), else at most once per <see cref="CatchUpPause"/>:
    /// while a new install or the demo fills up, every card would otherwise say "no data yet", or count a fraction of the
    /// profiles, beside a live profile count until the periodic refresh. A store that only grows by a fraction between two
    /// periodic refreshes (a million profiles and a day's new ones) never triggers it; that refresh takes seconds.
    /// </summary>
    public async Task<bool> RefreshIfOutgrownAsync(long liveProfiles, CancellationToken ct = default)
    {
        var counted = Interlocked.Read(ref _storedProfiles);
        if (counted == NotRead)
        {
            await using var db = await Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
            var snapshot = await db.DashboardSnapshots.AsNoTracking().FirstOrDefaultAsync(s => s.Id == DashboardSnapshot.CurrentId, ct);
            if (snapshot is null)
            {
                return false; // the back-fill computes the first figures
            }
            var figures = JsonSerializer.Deserialize<DashboardFigures>(snapshot.FiguresJson, Json) ?? DashboardFigures.Empty;
            // Unless a refresh stored its own count meanwhile: then that one.
            var before = Interlocked.CompareExchange(ref _storedProfiles, figures.Audiences.LiveProfiles, NotRead);
            counted = before == NotRead ? figures.Audiences.LiveProfiles : before;
        }
        // Figures that counted nobody are computed again at once; others not twice within the pause.
        if (!Outgrown(counted, liveProfiles) || (counted > 0 && time.GetUtcNow().UtcDateTime < new DateTime(Interlocked.Read(ref _catchUpAfter), DateTimeKind.Utc)))
        {
            return false;
        }
        return await RefreshAsync(onlyWhenOutgrownBy: liveProfiles, ct) is not null;
    }

    private static bool Outgrown(long counted, long live) => live > 0 && live > 2 * counted;

    /// <summary>
    /// The change-feed consumer's step: the stitched history from the earliest first-seen day of the given
    /// profiles on (every day when <paramref name="everything"/>: a split or delete can move a profile's day
    /// either way). A profile's first seen only ever moves earlier while it lives, and a merged profile keeps
    /// its row, so every day whose count changed is at or after that day. While a refresh scans, the days are left to
    /// it (it counts them again before it writes). <paramref name="created"/> (feed row, profile), when the batch's only
    /// first-seen changes are new profiles: they are added to their days rather than the days counted again, once a count
    /// from one moment says which of them it saw (<see cref="AddCreatedAsync"/>). Returns the live (stitched) profiles the
    /// history now ends with, or null when nothing was written.
    /// </summary>
    public async Task<long?> UpdateHistoryAsync(IReadOnlyCollection<long> profileIds, bool everything, CancellationToken ct = default,
        IReadOnlyList<(long FeedId, long ProfileId)>? created = null)
    {
        if (!everything && profileIds.Count == 0)
        {
            return null;
        }
        await _gate.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            if (created is not null && !everything && !_scanning && _pendingFrom is null && _counted is { } counted
                && await AddCreatedAsync(connection, counted, created, ct) is { } added)
            {
                return added.Written ? added.Live : null;
            }
            DateTime? from = everything ? null : EarliestDay(connection, profileIds);
            if (!everything && from is null && _pendingFrom is null)
            {
                return null; // none of them exists any more and none was deleted: nothing was counted
            }
            if (_pendingFrom is { } pending)
            {
                // Days a failed refresh was to count: counted now.
                var earliest = Earliest(pending, everything ? DateTime.MinValue : from ?? pending);
                from = earliest == DateTime.MinValue ? null : earliest;
            }
            if (_scanning)
            {
                // A refresh is scanning: it counts these days again when it writes, in a moment (seconds at a million
                // profiles). Counting them now too would only take CPU and the write lock from unification meanwhile.
                _updatedDuringScan = Earliest(_updatedDuringScan, from ?? DateTime.MinValue);
                _pendingFrom = null;
                return null;
            }
            List<(DateTime Day, long Count)> days;
            long? feedEnd = null;
            if (from is { } since)
            {
                (days, feedEnd) = CountNewSince(connection, since);
            }
            else
            {
                // Every day (a split, delete or rebuild): a scan of every profile, in short statements like a refresh's.
                using (Storage.Sqlite.LongReads.For(connection.ConnectionString).Begin())
                {
                    days = CountNewByDay(connection, IdentityStitching.Graph, null, ScanChunk);
                }
            }
            using var turn = await Storage.Sqlite.SqliteConsumerTables.TakeTurnAsync(connection, ct);
            using var transaction = Storage.Sqlite.SqliteConsumerTables.BeginWrite(connection);
            var total = WriteHistory(connection, transaction, IdentityStitching.Graph, from, days);
            transaction.Commit();
            _pendingFrom = null;
            _counted = from is { } f && feedEnd is { } end ? (f, end) : null;
            return total;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The dashboard for one stitching and trend range: the stored figures and the history (a few hundred rows).</summary>
    public async Task<DashboardView> ViewAsync(IdentityStitching stitching, int trendDays, CancellationToken ct = default)
    {
        await using var db = await Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var snapshot = await db.DashboardSnapshots.AsNoTracking().FirstOrDefaultAsync(s => s.Id == DashboardSnapshot.CurrentId, ct);
        var figures = snapshot is null ? DashboardFigures.Empty : JsonSerializer.Deserialize<DashboardFigures>(snapshot.FiguresJson, Json) ?? DashboardFigures.Empty;
        var today = time.GetUtcNow().UtcDateTime.Date;
        var first = today.AddDays(-Math.Max(trendDays, 31) + 1);
        var rows = await db.DashboardDays.AsNoTracking().Where(d => d.Stitching == stitching && d.Day >= first).OrderBy(d => d.Day).ToListAsync(ct);
        var unsegmented = await db.DashboardDailyFigures.AsNoTracking().Where(d => d.Day > today.AddDays(-trendDays)).OrderBy(d => d.Day)
            .Select(d => new UnsegmentedPoint(d.Day, d.UnsegmentedProfiles, d.LiveProfiles)).ToListAsync(ct);
        var before = await db.DashboardDays.AsNoTracking().Where(d => d.Stitching == stitching && d.Day < first)
            .OrderByDescending(d => d.Day).Select(d => (long?)d.TotalProfiles).FirstOrDefaultAsync(ct) ?? 0;
        var series = Series(rows, before, first, today);
        long TotalAt(DateTime day) => day < first ? before : series.LastOrDefault(p => p.Day <= day)?.TotalProfiles ?? before;
        // Profiles first seen in the future (a client's clock ahead) count in the total, not in a day shown.
        var total = rows.Count > 0 ? Math.Max(rows[^1].TotalProfiles, TotalAt(today)) : before;
        var trend = series.Where(p => p.Day > today.AddDays(-trendDays)).ToList();
        return new DashboardView(figures, stitching, total, total - TotalAt(today.AddDays(-1)), total - TotalAt(today.AddDays(-7)),
            total - TotalAt(today.AddDays(-30)), trend, snapshot?.ComputedAt, snapshot?.ComputeSeconds ?? 0, unsegmented);
    }

    /// <summary>Every day from <paramref name="first"/> to <paramref name="last"/>, a day without a row carrying the total before it.</summary>
    internal static List<TrendPoint> Series(IReadOnlyList<DashboardDay> rows, long totalBefore, DateTime first, DateTime last)
    {
        var byDay = rows.ToDictionary(r => r.Day);
        var points = new List<TrendPoint>();
        var total = totalBefore;
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            if (byDay.TryGetValue(day, out var row))
            {
                total = row.TotalProfiles;
                points.Add(new TrendPoint(day, row.NewProfiles, total));
            }
            else
            {
                points.Add(new TrendPoint(day, 0, total));
            }
        }
        return points;
    }

    /// <summary>The stored history of one stitching, every row (for tests and the bench: incremental equals from scratch).</summary>
    public async Task<IReadOnlyList<DashboardDay>> HistoryAsync(IdentityStitching stitching, CancellationToken ct = default)
    {
        await using var db = await Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        return await db.DashboardDays.AsNoTracking().Where(d => d.Stitching == stitching).OrderBy(d => d.Day).ToListAsync(ct);
    }

    /// <summary>
    /// Profiles first seen per day from <paramref name="from"/> on (every day when null): live profiles by their
    /// first seen with stitching; without stitching every identifier is a profile of its own, by its first seen.
    /// </summary>
    private static List<(DateTime Day, long Count)> CountNewByDay(SqliteConnection connection, IdentityStitching stitching, DateTime? from, long chunk = DefaultScanChunk)
    {
        var byDay = new SortedDictionary<DateTime, long>();
        if (from is { } f)
        {
            // The consumer's count from a day on (today, mostly): one range on the first-seen index. The bound only when
            // there is one: "$from IS NULL OR …" keeps SQLite off the index, and it would scan every profile per batch.
            var sql = stitching == IdentityStitching.None
                ? "SELECT substr(FirstSeenAt, 1, 10) AS Day, count(*) FROM Identities WHERE FirstSeenAt >= $from GROUP BY Day"
                : "SELECT substr(CreatedAt, 1, 10) AS Day, count(*) FROM Profiles WHERE MergedIntoId IS NULL AND CreatedAt >= $from GROUP BY Day";
            using var command = Command(connection, sql, ("$from", SqliteStatementText(f)));
            AddDays(command, byDay);
        }
        else
        {
            // Every day: a scan, in short statements (LongReads).
            var (table, sql) = stitching == IdentityStitching.None
                ? ("Identities", "SELECT substr(FirstSeenAt, 1, 10) AS Day, count(*) FROM Identities WHERE Id > $after AND Id <= $upTo GROUP BY Day")
                : ("Profiles", "SELECT substr(CreatedAt, 1, 10) AS Day, count(*) FROM Profiles WHERE MergedIntoId IS NULL AND Id > $after AND Id <= $upTo GROUP BY Day");
            foreach (var (after, upTo) in IdRanges(connection, $"SELECT max(Id) FROM {table}", chunk))
            {
                using var command = Command(connection, sql, ("$after", after), ("$upTo", upTo));
                AddDays(command, byDay);
            }
        }
        return byDay.Select(d => (d.Key, d.Value)).ToList();
    }

    private static void AddDays(SqliteCommand command, SortedDictionary<DateTime, long> byDay)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var day = ParseDay(reader.GetString(0));
            byDay[day] = byDay.GetValueOrDefault(day) + reader.GetInt64(1);
        }
    }

    /// <summary>Ids per statement of a full scan: a few hundredths of a second each on an idle machine.</summary>
    internal const long DefaultScanChunk = 50_000;

    /// <summary>Ids per statement of a full scan (tests make it small, so that scans take several statements).</summary>
    internal long ScanChunk { get; set; } = DefaultScanChunk;

    /// <summary>
    /// The id ranges (after, up to] that cover the ids <paramref name="maxSql"/> gives, <see cref="ScanChunk"/> at a time, for
    /// a scan in short statements: between two of them (the caller's reader closed) the scan pauses when the log should
    /// start over (<see cref="Storage.Sqlite.LongReads.Pause"/>). The largest id is read again at the end, for the rows
    /// added during the scan.
    /// </summary>
    private static IEnumerable<(long After, long UpTo)> IdRanges(SqliteConnection connection, string maxSql, long chunk)
    {
        var longReads = Storage.Sqlite.LongReads.For(connection.ConnectionString);
        long Max()
        {
            using var command = Command(connection, maxSql);
            return command.ExecuteScalar() is long max ? max : 0;
        }
        var last = Max();
        for (var after = 0L; after < last;)
        {
            var upTo = Math.Min(after + chunk, last);
            yield return (after, upTo);
            after = upTo;
            longReads.Pause();
            if (after >= last)
            {
                last = Max();
            }
        }
    }

    /// <summary>Replaces the history from <paramref name="from"/> on; totals continue from the day before it.</summary>
    /// <summary>Writes the history from <paramref name="from"/> on (all of it when null); returns the running total at its end: the live profiles.</summary>
    private static long WriteHistory(SqliteConnection connection, SqliteTransaction transaction, IdentityStitching stitching, DateTime? from, List<(DateTime Day, long Count)> days)
    {
        var total = 0L;
        if (from is { } start)
        {
            using var before = Command(connection, "SELECT TotalProfiles FROM DashboardDays WHERE Stitching = $s AND Day < $from ORDER BY Day DESC LIMIT 1",
                ("$s", (int)stitching), ("$from", SqliteStatementText(start)));
            before.Transaction = transaction;
            total = before.ExecuteScalar() is long t ? t : 0;
        }
        Execute(connection, transaction, "DELETE FROM DashboardDays WHERE Stitching = $s AND ($from IS NULL OR Day >= $from)",
            ("$s", (int)stitching), ("$from", from is { } f ? SqliteStatementText(f) : DBNull.Value));
        using var insert = Command(connection, "INSERT INTO DashboardDays (Stitching, Day, NewProfiles, TotalProfiles) VALUES ($s, $day, $new, $total)",
            ("$s", (int)stitching), ("$day", ""), ("$new", 0L), ("$total", 0L));
        insert.Transaction = transaction;
        insert.Prepare();
        foreach (var (day, count) in days)
        {
            total += count;
            insert.Parameters["$day"].Value = SqliteStatementText(day);
            insert.Parameters["$new"].Value = count;
            insert.Parameters["$total"].Value = total;
            insert.ExecuteNonQuery();
        }
        return total;
    }

    /// <summary>
    /// The consumer's step for a batch whose only first-seen changes are new profiles (most batches: a merge, a moved
    /// first-seen time, a split or delete go the counting way): each new profile no count has seen (its feed row after
    /// <paramref name="counted"/>'s end, so no earlier count saw it either) adds one to its first-seen day and to the totals
    /// from that day on, instead of counting every profile first seen since that day again per batch (today's, which grow
    /// all day). A new profile the last count saw is in the days it wrote, unless its day is before them: then null, and
    /// the caller counts from its day.
    /// </summary>
    private async Task<(bool Written, long Live)?> AddCreatedAsync(SqliteConnection connection, (DateTime From, long FeedEnd) counted,
        IReadOnlyList<(long FeedId, long ProfileId)> created, CancellationToken ct)
    {
        var seen = created.Where(c => c.FeedId <= counted.FeedEnd).Select(c => c.ProfileId).ToList();
        if (EarliestDay(connection, seen) is { } earliestSeen && earliestSeen < counted.From)
        {
            return null; // counted, but only in days before the count's first: not in the stored days
        }
        var byDay = new SortedDictionary<DateTime, long>();
        foreach (var chunk in created.Where(c => c.FeedId > counted.FeedEnd).Select(c => c.ProfileId).Chunk(500))
        {
            // A profile merged away or deleted since still counts here: the feed row of that comes later, and counts again.
            using var command = Command(connection, $"SELECT substr(CreatedAt, 1, 10) AS Day, count(*) FROM Profiles WHERE Id IN ({string.Join(',', chunk)}) GROUP BY Day");
            AddDays(command, byDay);
        }
        if (byDay.Count == 0)
        {
            return (false, 0);
        }
        const int graph = (int)IdentityStitching.Graph;
        using var turn = await Storage.Sqlite.SqliteConsumerTables.TakeTurnAsync(connection, ct);
        using var transaction = Storage.Sqlite.SqliteConsumerTables.BeginWrite(connection);
        foreach (var (day, count) in byDay)
        {
            var text = SqliteStatementText(day);
            Execute(connection, transaction, """
                INSERT INTO DashboardDays (Stitching, Day, NewProfiles, TotalProfiles)
                VALUES ($s, $day, 0, coalesce((SELECT TotalProfiles FROM DashboardDays WHERE Stitching = $s AND Day < $day ORDER BY Day DESC LIMIT 1), 0))
                ON CONFLICT (Stitching, Day) DO NOTHING
                """, ("$s", graph), ("$day", text));
            Execute(connection, transaction, "UPDATE DashboardDays SET NewProfiles = NewProfiles + $n WHERE Stitching = $s AND Day = $day",
                ("$s", graph), ("$day", text), ("$n", count));
            Execute(connection, transaction, "UPDATE DashboardDays SET TotalProfiles = TotalProfiles + $n WHERE Stitching = $s AND Day >= $day",
                ("$s", graph), ("$day", text), ("$n", count));
        }
        using var last = Command(connection, "SELECT TotalProfiles FROM DashboardDays WHERE Stitching = $s ORDER BY Day DESC LIMIT 1", ("$s", graph));
        last.Transaction = transaction;
        var live = last.ExecuteScalar() is long t ? t : 0;
        transaction.Commit();
        return (true, live);
    }

    /// <summary>
    /// Live profiles first seen per day from <paramref name="from"/> on, and the change feed's end, in one statement: one
    /// moment of the store, so the feed rows after that end are exactly the changes the count did not see.
    /// </summary>
    private static (List<(DateTime Day, long Count)> Days, long FeedEnd) CountNewSince(SqliteConnection connection, DateTime from)
    {
        // The bound only when there is one (see CountNewByDay); the first row carries the feed's end.
        using var command = Command(connection, """
            SELECT NULL, 0, (SELECT coalesce(max(Id), 0) FROM ProfileChanges)
            UNION ALL
            SELECT substr(CreatedAt, 1, 10), count(*), NULL FROM Profiles WHERE MergedIntoId IS NULL AND CreatedAt >= $from GROUP BY 1
            """, ("$from", SqliteStatementText(from)));
        using var reader = command.ExecuteReader();
        var days = new List<(DateTime, long)>();
        var feedEnd = 0L;
        while (reader.Read())
        {
            if (reader.IsDBNull(0))
            {
                feedEnd = reader.GetInt64(2);
            }
            else
            {
                days.Add((ParseDay(reader.GetString(0)), reader.GetInt64(1)));
            }
        }
        return (days, feedEnd);
    }

    private static DateTime? EarliestDay(SqliteConnection connection, IReadOnlyCollection<long> ids)
    {
        DateTime? earliest = null;
        foreach (var chunk in ids.Chunk(500))
        {
            using var command = Command(connection, $"SELECT min(CreatedAt) FROM Profiles WHERE Id IN ({string.Join(',', chunk)})");
            if (command.ExecuteScalar() is string text)
            {
                var day = ParseDay(text);
                earliest = earliest is { } e && e < day ? e : day;
            }
        }
        return earliest;
    }

    private async Task<DashboardFigures> ComputeFiguresAsync(SqliteConnection connection, DateTime now, CancellationToken ct)
    {
        var since = SqliteStatementText(now.Date.AddDays(-HistoryDays));
        var namespaces = new List<string>();
        using (var command = Command(connection, "SELECT Name FROM IdentityNamespaces ORDER BY Priority DESC, Name"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                namespaces.Add(reader.GetString(0));
            }
        }
        var (stitched, unstitched) = CountIdentities(connection, namespaces, ScanChunk, ct);

        var sources = new List<DashboardSource>();
        using (var command = Command(connection, "SELECT Id, Name FROM Sources ORDER BY Name"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                sources.Add(new DashboardSource(reader.GetInt32(0), reader.GetString(1)));
            }
        }
        var ingestion = new List<SourceDay>();
        using (var command = Command(connection,
                   "SELECT substr(Hour, 1, 10) AS Day, SourceId, sum(Received), sum(Accepted), sum(Rejected) FROM SourceHourlyStats WHERE Hour >= $since GROUP BY Day, SourceId ORDER BY Day, SourceId",
                   ("$since", since)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                ingestion.Add(new SourceDay(ParseDay(reader.GetString(0)), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }
        var insights = new SortedDictionary<DateTime, (long Merged, long Refused, long Blocked)>();
        using (var command = Command(connection,
                   "SELECT substr(At, 1, 10) AS Day, Kind, count(*) FROM IdentityInsights WHERE At >= $since AND Kind IN ($merged, $refused, $blocked) GROUP BY Day, Kind",
                   ("$since", since), ("$merged", InsightKinds.Merged), ("$refused", InsightKinds.Refused), ("$blocked", InsightKinds.Blocked)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var day = ParseDay(reader.GetString(0));
                var (m, r, b) = insights.GetValueOrDefault(day);
                var n = reader.GetInt64(2);
                insights[day] = reader.GetString(1) switch
                {
                    InsightKinds.Merged => (m + n, r, b),
                    InsightKinds.Refused => (m, r + n, b),
                    _ => (m, r, b + n),
                };
            }
        }

        var computedFigures = (await computed.ActiveDistributionsAsync(ct)).Select(d => new ComputedFigure(d.Id, d.Name, d.Distribution)).ToList();
        return new DashboardFigures(now, namespaces, stitched, unstitched, sources, ingestion,
            insights.Select(i => new InsightDay(i.Key, i.Value.Merged, i.Value.Refused, i.Value.Blocked)).ToList(), computedFigures,
            await CountAudiencesAsync(connection, now, ct));
    }

    /// <summary>
    /// Active segments with their sizes (kept by the membership writer) and last day's entries and exits, the live
    /// profiles in none of them (one pass over profiles, a key seek each: the membership key leads with the profile),
    /// and the overlap of the largest ones.
    /// </summary>
    private async Task<AudienceFigures> CountAudiencesAsync(SqliteConnection connection, DateTime now, CancellationToken ct)
    {
        // Statuses and kinds are stored as their names (the segments' EF configuration).
        var active = Segments.SegmentStatus.Active.ToString();
        var segments = new List<AudienceFigure>();
        using (var command = Command(connection,
                   "SELECT s.Id, s.Name, s.MemberCount, " +
                   // Entries and exits, as the segment page and its size chart count them (someone who left and came back counts twice).
                   "(SELECT count(*) FROM SegmentMembershipChanges c WHERE c.SegmentId = s.Id AND c.At >= $since AND c.Kind = $realized), " +
                   "(SELECT count(*) FROM SegmentMembershipChanges c WHERE c.SegmentId = s.Id AND c.At >= $since AND c.Kind = $exited) " +
                   "FROM Segments s WHERE s.Status = $active ORDER BY s.MemberCount DESC, s.Name",
                   ("$since", now.AddHours(-24)), ("$realized", Segments.SegmentMembershipChangeKind.Realized.ToString()),
                   ("$exited", Segments.SegmentMembershipChangeKind.Exited.ToString()), ("$active", active)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                segments.Add(new AudienceFigure(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }
        long live = 0, unsegmented = 0;
        foreach (var (after, upTo) in IdRanges(connection, "SELECT max(Id) FROM Profiles", ScanChunk))
        {
            using var command = Command(connection,
                "SELECT count(*), coalesce(sum(NOT EXISTS (SELECT 1 FROM SegmentMemberships m JOIN Segments s ON s.Id = m.SegmentId " +
                "WHERE m.ProfileId = p.Id AND s.Status = $active)), 0) FROM Profiles p WHERE p.MergedIntoId IS NULL AND p.Id > $after AND p.Id <= $upTo",
                ("$active", active), ("$after", after), ("$upTo", upTo));
            using var reader = command.ExecuteReader();
            reader.Read();
            live += reader.GetInt64(0);
            unsegmented += reader.GetInt64(1);
        }
        var overlapIds = segments.Take(AudienceFigures.DefaultOverlap).Select(s => s.Id).ToList();
        var overlap = overlapIds.Count == 0 ? [] : await segmentStore.OverlapAsync(overlapIds, ct);
        return new AudienceFigures(live, unsegmented, segments, overlapIds, overlap);
    }

    /// <summary>
    /// One pass over the identities in profile order: each profile's set of namespaces gives the counts by
    /// namespace, the pair overlaps and the single-identity profiles. Without stitching every identifier is
    /// its own profile: the counts by namespace are the identifiers, no pair overlaps, every profile single.
    /// </summary>
    private static (IdentityFigures Stitched, IdentityFigures Unstitched) CountIdentities(SqliteConnection connection, List<string> namespaces, long chunk, CancellationToken ct)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < namespaces.Count; i++)
        {
            index[namespaces[i]] = i;
        }
        var having = new List<long>();
        var identifiers = new List<long>();
        var single = new List<long>();
        var pairs = new Dictionary<(int, int), long>();
        long profiles = 0, singles = 0, rows = 0;
        long current = -1;
        var mask = 0UL;
        var extra = new HashSet<int>();
        var count = 0;
        var lastNs = -1;

        void Grow(int n)
        {
            while (having.Count < n) { having.Add(0); identifiers.Add(0); single.Add(0); }
        }
        void Flush()
        {
            if (current < 0)
            {
                return;
            }
            profiles++;
            var members = new List<int>();
            for (var i = 0; i < Math.Min(MaxOverlapNamespaces, having.Count); i++)
            {
                if ((mask & (1UL << i)) != 0)
                {
                    members.Add(i);
                }
            }
            members.AddRange(extra);
            foreach (var a in members)
            {
                having[a]++;
                foreach (var b in members)
                {
                    if (a < b && a < MaxOverlapNamespaces && b < MaxOverlapNamespaces)
                    {
                        pairs[(a, b)] = pairs.GetValueOrDefault((a, b)) + 1;
                    }
                }
            }
            if (count == 1)
            {
                single[lastNs]++;
                singles++;
            }
        }

        Grow(namespaces.Count);
        // In profile order, a range of profiles per statement (a profile's identities are all in one).
        foreach (var (after, upTo) in IdRanges(connection, "SELECT max(ProfileId) FROM Identities", chunk))
        {
            using var command = Command(connection, "SELECT ProfileId, Namespace FROM Identities WHERE ProfileId > $after AND ProfileId <= $upTo ORDER BY ProfileId",
                ("$after", after), ("$upTo", upTo));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if ((++rows & 0xFFFF) == 0)
                {
                    ct.ThrowIfCancellationRequested();
                }
                var profile = reader.GetInt64(0);
                var ns = reader.GetString(1);
                if (!index.TryGetValue(ns, out var n))
                {
                    n = index[ns] = namespaces.Count;
                    namespaces.Add(ns); // a namespace since removed from the rules still has identifiers
                    Grow(namespaces.Count);
                }
                if (profile != current)
                {
                    Flush();
                    (current, mask, count) = (profile, 0UL, 0);
                    extra.Clear();
                }
                identifiers[n]++;
                count++;
                lastNs = n;
                if (n < MaxOverlapNamespaces)
                {
                    mask |= 1UL << n;
                }
                else
                {
                    extra.Add(n);
                }
            }
        }
        Flush();

        // Identifiers by namespace (every identifier a profile, without stitching) in a pass of their own, by identity id:
        // that key never moves, where a merge during the pass above can move identifiers from a profile not yet read to
        // one already read. The explorer lists these identifiers, so the bars must count them exactly.
        for (var i = 0; i < identifiers.Count; i++)
        {
            identifiers[i] = 0;
        }
        foreach (var (after, upTo) in IdRanges(connection, "SELECT max(Id) FROM Identities", chunk))
        {
            using var command = Command(connection, "SELECT Namespace, count(*) FROM Identities WHERE Id > $after AND Id <= $upTo GROUP BY Namespace",
                ("$after", after), ("$upTo", upTo));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var ns = reader.GetString(0);
                if (!index.TryGetValue(ns, out var n))
                {
                    n = index[ns] = namespaces.Count;
                    namespaces.Add(ns);
                    Grow(namespaces.Count);
                }
                identifiers[n] += reader.GetInt64(1);
            }
        }

        var size = namespaces.Count;
        var overlap = new List<IReadOnlyList<long>>();
        var none = new List<IReadOnlyList<long>>();
        for (var a = 0; a < size; a++)
        {
            var row = new long[size];
            var noneRow = new long[size];
            for (var b = 0; b < size; b++)
            {
                row[b] = a == b ? having[a] : pairs.GetValueOrDefault((Math.Min(a, b), Math.Max(a, b)));
            }
            noneRow[a] = identifiers[a];
            overlap.Add(row);
            none.Add(noneRow);
        }
        var total = identifiers.Sum();
        return (new IdentityFigures(profiles, having, overlap, single, singles),
            new IdentityFigures(total, identifiers, none, identifiers, total));
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        string connectionString;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            connectionString = db.Database.GetConnectionString()!;
        }
        // The history and the figures are in the consumers' file, written under its own lock (never the runs').
        return await Storage.Sqlite.SqliteConsumerTables.OpenAsync(connectionString, ct);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value is DateTime d ? SqliteStatementText(d) : value);
        }
        return command;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private static string SqliteStatementText(DateTime value) => Storage.Sqlite.SqliteStatement.Text(value);

    private static DateTime ParseDay(string text) =>
        DateTime.SpecifyKind(DateTime.ParseExact(text[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture), DateTimeKind.Utc);
}
