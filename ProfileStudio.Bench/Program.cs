using ProfileStudio.Bench;

// Benchmarks print their figure and the conditions they ran under; run them in Release:
//   dotnet run -c Release --project ProfileStudio.Bench -- <benchmark> [options]
var name = args.FirstOrDefault();
int Option(string option, int fallback) =>
    Array.IndexOf(args, option) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;

string? TextOption(string option) => Array.IndexOf(args, option) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

return name switch
{
    "ingest" => await IngestBenchmark.RunAsync(Option("--seconds", 120), Option("--clients", 16), Option("--batch", 100)),
    "batch" => await BatchBenchmark.RunAsync(Option("--rows", 1_000_000)),
    "unify" => await UnifyBenchmark.RunAsync(Option("--messages", 1_000_000), Option("--people", 300_000), rebuild: false, computed: args.Contains("--computed"), schema: args.Contains("--schema"),
        runSize: Option("--run-size", ProfileStudio.Core.Unification.UnificationWorker.RunSize), otherCommitsMs: Option("--other-commits-ms", 0), pairs: Option("--pairs", 1),
        interleave: Option("--interleave", 0)),
    "segments-streaming" => await UnifyBenchmark.RunAsync(Option("--messages", 200_000), Option("--people", 60_000), rebuild: false, segments: Option("--segments", 20), pairs: Option("--pairs", 1)),
    "computed" => await ComputedBenchmark.RunAsync(Option("--profiles", 1_000_000), Option("--events", 10_000_000), Option("--chunk", 20_000)),
    "rebuild" => await UnifyBenchmark.RunAsync(Option("--messages", 1_000_000), Option("--people", 300_000), rebuild: true),
    "lag" => await LagBenchmark.RunAsync(Option("--seconds", 60), Option("--rate", 5_000), TextOption("--dashboard"), Option("--refresh-seconds", 10), args.Contains("--computed")),
    "feed" => await FeedBenchmark.RunAsync(Option("--seconds", 60), Option("--rate", 5_000), Option("--segments", 0)),
    "lookup" => await LookupBenchmark.RunAsync(Option("--profiles", 1_000_000), Option("--events", 10_000_000), Option("--seconds", 60), Option("--clients", 16)),
    "febrl" => FebrlBenchmark.Run(),
    "dashboard" => await DashboardBenchmark.RunAsync(Option("--profiles", 1_000_000), TextOption("--keep")),
    "segments" => await SegmentsBenchmark.RunAsync(Option("--profiles", 1_000_000), TextOption("--keep"), Option("--runs", 5), args.Contains("--sql")),
    "segments-sql" => await SegmentsSqlBenchmark.RunAsync(Option("--profiles", 100_000), TextOption("--keep"), args.Contains("--memory"), args.Contains("--conditions")),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project ProfileStudio.Bench -- <benchmark> [options]

          ingest   [--seconds 120] [--clients 16] [--batch 100]
                   concurrent /v1/batch posts to the real server on 127.0.0.1: messages/s, p50/p99 latency, peak RSS
          batch    [--rows 1000000]
                   a CSV of profile records uploaded to the real server and processed end to end: rows/s, peak RSS
          unify    [--messages 1000000] [--people 300000] [--computed [--pairs 1 | --interleave N]] [--schema] [--run-size 100000] [--other-commits-ms 0]
                   the lake unified into profiles by the worker's engine and store, in runs: messages/s;
                   --computed: the same run without, then with 5 active computed attributes, back to back, and the loss;
                   --pairs N: N such pairs, alternating which goes first, each pair's loss and the loss over all of them;
                   --interleave N: the lake copied into both stores N messages at a time, each slice unified by both in turn
                   (alternating which goes first), so the machine's drift weighs on both alike; the loss over the sums;
                   --schema runs the union-schema consumer on the change feed meanwhile, as the app does;
                   --run-size: messages per run (live traffic makes runs of a few thousand), with or without --computed;
                   --other-commits-ms N: another connection commits a one-row write every N ms meanwhile, as the lake's appender does
          segments-streaming [--messages 200000] [--people 60000] [--segments 20] [--pairs 1]
                   after a small warm-up, the lake unified twice per pair, back to back: without segments, then with N active streaming segments of
                   mixed rules evaluated by the segments consumer on the change feed meanwhile (as the app does); the
                   unify loss, and the time from each run's commit to its memberships being recorded (p50/p95)
          computed [--profiles 1000000] [--events 10000000] [--chunk 20000]
                   backfill of 5 computed attributes (one per kind of window) over a bulk-loaded store: seconds, peak memory
          rebuild  [--messages 1000000] [--people 300000]
                   the whole profile store rebuilt from the same lake: seconds, peak memory
          lag      [--seconds 60] [--rate 5000] [--dashboard DIR] [--refresh-seconds 10] [--computed]
                   sustained tracking traffic with the worker on: lag from accepted to visible in the profile (p50/p95/p99);
                   --dashboard DIR: on a copy of the database kept by `dashboard --keep DIR`, with the dashboard's full
                   snapshot refresh every N s, and the lag of the samples taken while a refresh ran;
                   --computed: with the 5 computed attributes of `unify --computed` active from the start
          feed     [--seconds 60] [--rate 5000] [--segments 0]
                   the same load, watched from the change feed: each consumer's lag behind the feed in ms and rows (p50/p95/p99);
                   and each message accepted → its run handled by each consumer (p50/p95/p99, with the legs: lake, unified, handled);
                   --segments N: N active streaming segments of mixed rules created before the server starts (the "segments" consumer)
          lookup   [--profiles 1000000] [--events 10000000] [--seconds 60] [--clients 16]
                   Profile API GET .../traits by random user_id on a bulk-loaded store: p50/p95/p99 and requests/s
          segments-sql [--profiles 100000] [--keep DIR] [--memory] [--conditions]
                   N profiles / 10N events bulk-loaded into SQLite, a 10-condition segment counted by the SQL path:
                   ms per count and the query plan (--conditions: each condition alone; --keep DIR reuses / keeps the database);
                   --memory also times the in-memory prototype (all facts loaded, SegmentEvaluator.Matches)
          dashboard [--profiles 1000000] [--keep DIR]
                   N profiles with identities, computed values, segments, insights and a year of source counts bulk-loaded:
                   a full snapshot refresh (s), the page's data load (ms), and small write transactions' wait during a refresh
          segments [--profiles 1000000] [--keep DIR] [--runs 5] [--sql]
                   the same store as segments-sql; the in-memory segment index loaded (seconds, memory), the 10-condition
                   segment estimated and batch-evaluated through SegmentEstimator (ms per run), each condition alone, a
                   5,000-profile change-feed batch applied; --sql also counts with the SQL path and checks they agree
          febrl    identity-resolution precision and recall on ../shared/data/febrl (deterministic rules)
        """);
    return 2;
}
