using ProfileStudio.Bench;

// Benchmarks print their figure and the conditions they ran under; run them in Release:
//   dotnet run -c Release --project ProfileStudio.Bench -- <benchmark> [options]
var name = args.FirstOrDefault();
int Option(string option, int fallback) =>
    Array.IndexOf(args, option) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;

return name switch
{
    "ingest" => await IngestBenchmark.RunAsync(Option("--seconds", 120), Option("--clients", 16), Option("--batch", 100)),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project ProfileStudio.Bench -- <benchmark> [options]

          ingest   [--seconds 120] [--clients 16] [--batch 100]
                   concurrent /v1/batch posts to the real server on 127.0.0.1: messages/s, p50/p99 latency, peak RSS
        """);
    return 2;
}
