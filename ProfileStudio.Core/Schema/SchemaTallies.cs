using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProfileStudio.Core.Schema;

/// <summary>
/// The figures of one attribute path. Types and sources count fragments (a value of one profile from one
/// source), so "email from 2 sources on 10 profiles" reads text 20, Web 10, CRM 10, profiles 10.
/// </summary>
public sealed class AttributeTally
{
    public long ProfileCount { get; set; }
    public Dictionary<string, long> Types { get; init; } = new(StringComparer.Ordinal);
    public Dictionary<int, long> Sources { get; init; } = [];
    /// <summary>Stored in <see cref="SchemaExample"/> rows (with the profile each came from), not in the detail.</summary>
    public List<string> Examples { get; init; } = [];
    public DateTime FirstSeenAt { get; set; } = DateTime.MaxValue;
    public DateTime LastSeenAt { get; set; } = DateTime.MinValue;

    public bool IsEmpty => ProfileCount == 0 && Types.Count == 0 && Sources.Count == 0;

    /// <summary>Seen at <paramref name="at"/>; true when <paramref name="example"/> is a new example to store.</summary>
    public bool Seen(DateTime at, string example)
    {
        FirstSeenAt = at < FirstSeenAt ? at : FirstSeenAt;
        LastSeenAt = at > LastSeenAt ? at : LastSeenAt;
        return SchemaTally.AddExample(Examples, example);
    }

    internal sealed record Detail(Dictionary<string, long> Types, Dictionary<int, long> Sources);

    public string DetailJson() => JsonSerializer.Serialize(new Detail(Types, Sources), SchemaTally.Json);

    public static AttributeTally From(SchemaAttribute row)
    {
        var detail = JsonSerializer.Deserialize<Detail>(row.DetailJson, SchemaTally.Json) ?? new Detail([], []);
        return new AttributeTally
        {
            ProfileCount = row.ProfileCount, FirstSeenAt = row.FirstSeenAt, LastSeenAt = row.LastSeenAt,
            Types = new(detail.Types, StringComparer.Ordinal), Sources = detail.Sources,
        };
    }
}

/// <summary>The figures of one property path of an event: how many events carry it, by type, and examples.</summary>
public sealed class PropertyTally
{
    public long Count { get; set; }
    public Dictionary<string, long> Types { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Stored in <see cref="SchemaEventExample"/> rows, not in the detail.</summary>
    [JsonIgnore]
    public List<string> Examples { get; init; } = [];
}

/// <summary>The figures of one event-catalog entry.</summary>
public sealed class EventTally
{
    /// <summary>Distinct names kept for a grouped entry (pages, screens, groups); others count as <see cref="OtherNames"/>.</summary>
    public const int MaxNames = 100;

    /// <summary>Property paths kept per entry; a payload with ever new keys (ids as keys) stops adding here.</summary>
    public const int MaxProperties = 300;

    /// <summary>Days of volume kept (the page shows the last 30).</summary>
    public const int VolumeDays = 90;

    public string Type { get; init; } = "";
    public string Name { get; init; } = "";
    public long Count { get; set; }
    public DateTime FirstSeenAt { get; set; } = DateTime.MaxValue;
    public DateTime LastSeenAt { get; set; } = DateTime.MinValue;
    public Dictionary<int, long> Sources { get; init; } = [];

    /// <summary>Events per day of their event time (yyyy-MM-dd, UTC).</summary>
    public SortedDictionary<string, long> Daily { get; init; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> Names { get; init; } = new(StringComparer.Ordinal);
    public long OtherNames { get; set; }
    public Dictionary<string, PropertyTally> Properties { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Whether the entry stands for many names (pages, screens, group calls) rather than one track event.</summary>
    public bool Grouped => Type != "track";

    /// <summary>Counts one event; returns the property examples new to the entry (to store with the profile).</summary>
    public List<(string Path, string Example)> Add(int sourceId, string name, DateTime at, string propertiesJson, DateTime now)
    {
        var examples = new List<(string, string)>();
        Count++;
        FirstSeenAt = at < FirstSeenAt ? at : FirstSeenAt;
        LastSeenAt = at > LastSeenAt ? at : LastSeenAt;
        Sources[sourceId] = Sources.GetValueOrDefault(sourceId) + 1;
        if (at >= now.Date.AddDays(-VolumeDays + 1) && at < now.Date.AddDays(2))
        {
            var day = Day(at);
            Daily[day] = Daily.GetValueOrDefault(day) + 1;
        }
        if (Grouped)
        {
            if (Names.ContainsKey(name) || Names.Count < MaxNames)
            {
                Names[name] = Names.GetValueOrDefault(name) + 1;
            }
            else
            {
                OtherNames++;
            }
        }
        foreach (var (path, type, example) in SchemaValues.Properties(propertiesJson))
        {
            if (!Properties.TryGetValue(path, out var property))
            {
                if (Properties.Count >= MaxProperties)
                {
                    continue;
                }
                Properties[path] = property = new PropertyTally();
            }
            property.Count++;
            property.Types[type] = property.Types.GetValueOrDefault(type) + 1;
            if (SchemaTally.AddExample(property.Examples, example))
            {
                examples.Add((path, example));
            }
        }
        return examples;
    }

    [ThreadStatic] private static (DateTime Date, string Text) _lastDay;

    /// <summary>yyyy-MM-dd of a time (events come in runs of the same day, so the last one is kept).</summary>
    private static string Day(DateTime at)
    {
        if (_lastDay.Text is null || _lastDay.Date != at.Date)
        {
            _lastDay = (at.Date, at.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        }
        return _lastDay.Text;
    }

    /// <summary>Drops the days that left the kept window.</summary>
    public void Prune(DateTime now)
    {
        var oldest = now.Date.AddDays(-VolumeDays + 1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var day in Daily.Keys.Where(d => string.CompareOrdinal(d, oldest) < 0).ToList())
        {
            Daily.Remove(day);
        }
    }

    /// <summary>The last <paramref name="days"/> days' counts up to <paramref name="today"/>, oldest first (zero where none).</summary>
    public IReadOnlyList<long> Volume(DateTime today, int days = 30) =>
        [.. Enumerable.Range(0, days).Select(i => Daily.GetValueOrDefault(today.Date.AddDays(i - days + 1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)))];

    internal sealed record Detail(Dictionary<int, long> Sources, SortedDictionary<string, long> Daily, Dictionary<string, long> Names, long OtherNames, Dictionary<string, PropertyTally> Properties);

    public string DetailJson() => JsonSerializer.Serialize(new Detail(Sources, Daily, Names, OtherNames, Properties), SchemaTally.Json);

    /// <summary>An entry from its row, with stored examples when given (keyed by entry key and property path).</summary>
    public static EventTally From(SchemaEvent row, ILookup<(string, string), string>? examples = null)
    {
        var detail = JsonSerializer.Deserialize<Detail>(row.DetailJson, SchemaTally.Json) ?? new Detail([], [], [], 0, []);
        if (examples is not null)
        {
            foreach (var (path, property) in detail.Properties)
            {
                property.Examples.AddRange(examples[(row.Key, path)]);
            }
        }
        return new EventTally
        {
            Type = row.Type, Name = row.Name, Count = row.Count, FirstSeenAt = row.FirstSeenAt, LastSeenAt = row.LastSeenAt,
            Sources = detail.Sources, Daily = new(detail.Daily, StringComparer.Ordinal), Names = new(detail.Names, StringComparer.Ordinal),
            OtherNames = detail.OtherNames, Properties = new(detail.Properties, StringComparer.Ordinal),
        };
    }
}

/// <summary>What one live profile adds to the union schema: its (path, source, type) fragments.</summary>
public sealed record ProfileContribution(IReadOnlyList<ContributionEntry> Entries)
{
    public static ProfileContribution None { get; } = new([]);

    public string ToJson() => JsonSerializer.Serialize(Entries.Select(e => new object[] { e.Path, e.SourceId, e.Type }), SchemaTally.Json);

    public static ProfileContribution FromJson(string json)
    {
        var rows = JsonSerializer.Deserialize<JsonElement[][]>(json) ?? [];
        return new([.. rows.Select(r => new ContributionEntry(r[0].GetString()!, r[1].GetInt32(), r[2].GetString()!))]);
    }

    public IEnumerable<string> Paths => Entries.Select(e => e.Path).Distinct(StringComparer.Ordinal);
}

public sealed record ContributionEntry(string Path, int SourceId, string Type);

/// <summary>One stored fragment of a profile, as the schema reads it.</summary>
public sealed record SchemaFragment(int SourceId, string Key, string? ValueJson, DateTime EventAt);

/// <summary>
/// The union schema and the event catalog in memory, changed by the difference a profile makes (its old
/// contribution against its stored fragments now) and by new timeline events. The incremental consumer
/// and the recount both go through here, so they agree by construction of the counts.
/// </summary>
public sealed class SchemaTally
{
    internal static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public Dictionary<string, AttributeTally> Attributes { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, EventTally> Events { get; } = new(StringComparer.Ordinal);
    public long LiveProfiles { get; set; }

    /// <summary>Examples found since the last save, each with the profile it came from (a save stores them while that profile lives).</summary>
    public List<(string Path, string Value, long ProfileId)> NewExamples { get; } = [];
    public List<(string EventKey, string Path, string Value, long ProfileId)> NewEventExamples { get; } = [];

    /// <summary>Paths and event keys changed since the last <see cref="ClearChanged"/> (what a save writes).</summary>
    public HashSet<string> ChangedPaths { get; } = new(StringComparer.Ordinal);
    public HashSet<string> ChangedEvents { get; } = new(StringComparer.Ordinal);

    public void ClearChanged()
    {
        ChangedPaths.Clear();
        ChangedEvents.Clear();
        NewExamples.Clear();
        NewEventExamples.Clear();
    }

    /// <summary>The catalog key of an event: track events by name; pages, screens and group calls each under one entry.</summary>
    public static string EventKey(string type, string name) => type == "track" ? $"track:{name}" : type;

    /// <summary>What the catalog calls an entry.</summary>
    public static string EventLabel(string type, string name) => type switch
    {
        "track" => name,
        "page" => "Page viewed",
        "screen" => "Screen viewed",
        "group" => "Group joined",
        _ => name,
    };

    /// <summary>
    /// Replaces a profile's contribution: <paramref name="fragments"/> are its stored fragments now, or
    /// null when it no longer exists as a live profile (merged away, deleted). Returns the new contribution.
    /// </summary>
    public ProfileContribution ApplyProfile(long profileId, ProfileContribution? old, IReadOnlyList<SchemaFragment>? fragments)
    {
        var now = fragments is null ? null : Contribution(fragments, out _);
        var before = old?.Entries ?? [];
        var after = now?.Entries ?? [];
        var beforeSet = before.ToHashSet();
        var afterSet = after.ToHashSet();
        foreach (var gone in before.Where(e => !afterSet.Contains(e)))
        {
            var tally = Attribute(gone.Path);
            Decrement(tally.Types, gone.Type);
            Decrement(tally.Sources, gone.SourceId);
        }
        foreach (var added in after.Where(e => !beforeSet.Contains(e)))
        {
            var tally = Attribute(added.Path);
            tally.Types[added.Type] = tally.Types.GetValueOrDefault(added.Type) + 1;
            tally.Sources[added.SourceId] = tally.Sources.GetValueOrDefault(added.SourceId) + 1;
        }
        var pathsBefore = (old?.Paths ?? []).ToHashSet(StringComparer.Ordinal);
        var pathsAfter = (now?.Paths ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var path in pathsBefore.Where(p => !pathsAfter.Contains(p)))
        {
            Attribute(path).ProfileCount--;
        }
        foreach (var path in pathsAfter.Where(p => !pathsBefore.Contains(p)))
        {
            Attribute(path).ProfileCount++;
        }
        LiveProfiles += (now is null ? 0 : 1) - (old is null ? 0 : 1);
        if (fragments is not null)
        {
            foreach (var fragment in fragments)
            {
                if (SchemaValues.Read(fragment.ValueJson) is { } value && Attribute(fragment.Key).Seen(fragment.EventAt, value.Example))
                {
                    NewExamples.Add((fragment.Key, value.Example, profileId));
                }
            }
        }
        foreach (var path in pathsBefore.Concat(pathsAfter))
        {
            if (Attributes.TryGetValue(path, out var tally) && tally.IsEmpty)
            {
                Attributes.Remove(path);
            }
        }
        return now ?? ProfileContribution.None;
    }

    /// <summary>A profile's contribution from its fragments: one entry per (path, source) that holds a value.</summary>
    public static ProfileContribution Contribution(IReadOnlyList<SchemaFragment> fragments, out int values)
    {
        var entries = new List<ContributionEntry>(fragments.Count);
        foreach (var fragment in fragments)
        {
            if (SchemaValues.Read(fragment.ValueJson) is { } value)
            {
                entries.Add(new ContributionEntry(fragment.Key, fragment.SourceId, value.Type));
            }
        }
        entries.Sort((a, b) => (string.CompareOrdinal(a.Path, b.Path), a.SourceId.CompareTo(b.SourceId)) switch
        {
            (0, var s) => s,
            (var p, _) => p,
        });
        values = entries.Count;
        return new ProfileContribution(entries);
    }

    /// <summary>Counts one timeline event into its catalog entry.</summary>
    public void AddEvent(long profileId, int sourceId, string type, string name, DateTime at, string propertiesJson, DateTime now)
    {
        var key = EventKey(type, name);
        if (!Events.TryGetValue(key, out var tally))
        {
            Events[key] = tally = new EventTally { Type = type, Name = EventLabel(type, name) };
        }
        foreach (var (path, example) in tally.Add(sourceId, name, at, propertiesJson, now))
        {
            NewEventExamples.Add((key, path, example, profileId));
        }
        ChangedEvents.Add(key);
    }

    /// <summary>Adds an example unless the list is full or has it; true when added.</summary>
    internal static bool AddExample(List<string> examples, string example)
    {
        if (examples.Count < SchemaValues.MaxExamples && !examples.Contains(example, StringComparer.Ordinal))
        {
            examples.Add(example);
            return true;
        }
        return false;
    }

    private AttributeTally Attribute(string path)
    {
        ChangedPaths.Add(path);
        if (!Attributes.TryGetValue(path, out var tally))
        {
            Attributes[path] = tally = new AttributeTally();
        }
        return tally;
    }

    private static void Decrement<TKey>(Dictionary<TKey, long> counts, TKey key) where TKey : notnull
    {
        var left = counts.GetValueOrDefault(key) - 1;
        if (left <= 0)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = left;
        }
    }
}
