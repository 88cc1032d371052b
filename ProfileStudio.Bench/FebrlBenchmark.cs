using System.Text.Json.Nodes;
using CsvHelper;
using CsvHelper.Configuration;
using ProfileStudio.Core.Identity;

namespace ProfileStudio.Bench;

/// <summary>
/// Identity-resolution quality on the FEBRL synthetic person records (../shared/data/febrl), with
/// deterministic rules only: each record is an identify message whose soc_sec_id is an identifier
/// (custom namespace, exact after trimming, at most one per profile). Ground truth: rec-N-org and
/// rec-N-dup-k are person N. Prints pair precision, recall and F1 per data set.
/// </summary>
internal static class FebrlBenchmark
{
    public static int Run()
    {
        var folder = Locate();
        if (folder is null)
        {
            Console.WriteLine("febrl: ../shared/data/febrl was not found beside the repository.");
            return 1;
        }
        var rules = new IdentityRules(
            [.. IdentityRules.Default.Namespaces, new IdentityNamespaceRule("soc_sec_id", Normalization.Trim, 2, 1, IdentityRules.DefaultBlockedValues, IdentityRules.DefaultBlockedPatterns)],
            IdentityRulesStore.MaxIdentitiesPerProfile);
        Console.WriteLine("febrl: deterministic rules only (exact soc_sec_id), pairs of records put in one profile vs the ground truth");
        foreach (var files in new[] { new[] { "dataset1.csv" }, ["dataset2.csv"], ["dataset3.csv"], ["dataset4a.csv", "dataset4b.csv"] })
        {
            var records = files.SelectMany(f => Read(Path.Combine(folder, f))).ToList();
            var graph = new IdentityGraph(rules);
            var profileOf = new Dictionary<string, long?>();
            foreach (var (recId, ssn) in records)
            {
                var message = new JsonObject
                {
                    ["type"] = "identify",
                    ["context"] = new JsonObject { ["externalIds"] = new JsonArray(new JsonObject { ["id"] = ssn, ["type"] = "soc_sec_id" }) },
                };
                var keys = IdentityExtractor.Extract(message, rules).Where(e => e.Key is not null).Select(e => e.Key!.Value).ToList();
                profileOf[recId] = keys.Count == 0 ? null : graph.Resolve(keys).ProfileId;
            }
            // A record without a usable identifier stays on its own.
            var predicted = Pairs(records.GroupBy(r => profileOf[r.RecId] is { } p ? graph.Canonical(p).ToString() : r.RecId));
            var truth = Pairs(records.GroupBy(r => r.RecId.Split('-')[1]));
            var truePositives = predicted.Intersect(truth).Count();
            var precision = predicted.Count == 0 ? 1 : (double)truePositives / predicted.Count;
            var recall = truth.Count == 0 ? 1 : (double)truePositives / truth.Count;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            Console.WriteLine($"  {string.Join(" + ", files),-28} {records.Count,6:N0} records: {predicted.Count,5:N0} pairs merged, {truth.Count,5:N0} true; precision {precision:P1}, recall {recall:P1}, F1 {f1:P1}");
        }
        return 0;
    }

    private static HashSet<(string, string)> Pairs(IEnumerable<IGrouping<string, (string RecId, string Ssn)>> groups)
    {
        var pairs = new HashSet<(string, string)>();
        foreach (var group in groups)
        {
            var ids = group.Select(r => r.RecId).Order(StringComparer.Ordinal).ToList();
            for (var i = 0; i < ids.Count; i++)
            {
                for (var j = i + 1; j < ids.Count; j++)
                {
                    pairs.Add((ids[i], ids[j]));
                }
            }
        }
        return pairs;
    }

    private static IEnumerable<(string RecId, string Ssn)> Read(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, new CsvConfiguration(System.Globalization.CultureInfo.InvariantCulture) { TrimOptions = TrimOptions.Trim, MissingFieldFound = null, BadDataFound = null });
        csv.Read();
        csv.ReadHeader();
        while (csv.Read())
        {
            yield return (csv.GetField("rec_id")!.Trim(), csv.GetField("soc_sec_id")?.Trim() ?? "");
        }
    }

    private static string? Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "febrl");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
