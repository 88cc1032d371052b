using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Bench;

/// <summary>
/// Prototype of the in-memory alternative to the SQL path: every live profile's facts, loaded once and
/// limited to what the rule reads (<see cref="SegmentDependencies"/>), then the rule run by the one-profile
/// evaluator's <see cref="SegmentEvaluator.Matches"/> over all of them (the same semantics by construction).
/// A real index would be kept current by the pipeline rather than loaded per estimate; this measures the
/// evaluation and the memory it needs.
/// </summary>
internal static class SegmentsMemoryPrototype
{
    public static long Run(SqliteConnection connection, SegmentRule rule, DateTime now)
    {
        var dependencies = SegmentDependencies.Of(rule);
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var load = Stopwatch.StartNew();
        var facts = Load(connection, dependencies);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"  in-memory prototype: {facts.Length:N0} profiles' facts loaded in {load.Elapsed.TotalSeconds:N1} s, {(after - before) / 1_048_576.0:N0} MB managed");

        long count = 0;
        var timings = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            count = facts.Count(f => SegmentEvaluator.Matches(rule, f, now));
            timings.Add(clock.Elapsed.TotalMilliseconds);
        }
        var parallel = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            var n = facts.AsParallel().Count(f => SegmentEvaluator.Matches(rule, f, now));
            parallel.Add(clock.Elapsed.TotalMilliseconds);
            if (n != count)
            {
                throw new InvalidOperationException("parallel count differs");
            }
        }
        timings.Sort();
        parallel.Sort();
        Console.WriteLine($"  in-memory count: {count:N0}; one thread {string.Join(" / ", timings.Select(t => $"{t:N0} ms"))} (median {timings[1]:N0} ms); " +
                          $"{Environment.ProcessorCount} threads {string.Join(" / ", parallel.Select(t => $"{t:N0} ms"))} (median {parallel[1]:N0} ms)");
        GC.KeepAlive(facts);
        return count;
    }

    private static SegmentProfileFacts[] Load(SqliteConnection connection, SegmentDependencies dependencies)
    {
        var ids = new List<long>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT Id FROM Profiles WHERE MergedIntoId IS NULL ORDER BY Id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                ids.Add(reader.GetInt64(0));
            }
        }
        var index = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var attributes = new List<ProfileAttribute>?[ids.Count];
        var events = new List<SegmentEventFact>?[ids.Count];
        var identities = new List<IdentityRecord>?[ids.Count];

        // Attribute rows of the keys read, the keys above them and the keys under them (they decide the winner).
        bool Relevant(string key) => dependencies.AttributeKeys.Any(k =>
            key == k || key.StartsWith(k + ".", StringComparison.Ordinal) || k.StartsWith(key + ".", StringComparison.Ordinal));
        var relevant = new Dictionary<string, bool>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT ProfileId, SourceId, Key, ValueJson, EventAt, MessageId FROM ProfileAttributes";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = reader.GetString(2);
                if (!relevant.TryGetValue(key, out var keep))
                {
                    relevant[key] = keep = Relevant(key);
                }
                if (!keep || !index.TryGetValue(reader.GetInt64(0), out var i))
                {
                    continue;
                }
                (attributes[i] ??= []).Add(new ProfileAttribute
                {
                    ProfileId = reader.GetInt64(0), SourceId = reader.GetInt32(1), Key = key,
                    ValueJson = reader.IsDBNull(3) ? null : reader.GetString(3),
                    EventAt = DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc), MessageId = reader.GetInt64(5),
                });
            }
        }

        // Event properties repeat a lot; parse each distinct text once.
        var properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var names = dependencies.EventNames.ToDictionary(n => n, n => n, StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT ProfileId, Name, EventAt, PropertiesJson FROM ProfileEvents";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (!names.TryGetValue(reader.GetString(1), out var name) || !index.TryGetValue(reader.GetInt64(0), out var i))
                {
                    continue;
                }
                var json = reader.GetString(3);
                if (!properties.TryGetValue(json, out var element))
                {
                    properties[json] = element = SegmentProfileFacts.Properties(json);
                }
                (events[i] ??= []).Add(new SegmentEventFact(name, DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc), element));
            }
        }

        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT ProfileId, Namespace, Value FROM Identities";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (dependencies.IdentityNamespaces.Contains(reader.GetString(1)) && index.TryGetValue(reader.GetInt64(0), out var i))
                {
                    (identities[i] ??= []).Add(new IdentityRecord { ProfileId = reader.GetInt64(0), Namespace = reader.GetString(1), Value = reader.GetString(2) });
                }
            }
        }

        var facts = new SegmentProfileFacts[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            var stored = SegmentProfileFacts.FromStored(ids[i], attributes[i] ?? [], [], identities[i] ?? []);
            facts[i] = stored with { Events = (IReadOnlyList<SegmentEventFact>?)events[i] ?? [] };
            attributes[i] = null;
        }
        return facts;
    }
}
