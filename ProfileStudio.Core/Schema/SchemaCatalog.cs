using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Core.Schema;

/// <summary>A source and how many values (or events) it sent for a path.</summary>
public sealed record SourceShare(int SourceId, string Name, long Count);

/// <summary>A type and how many values have it.</summary>
public sealed record TypeShare(string Type, long Count);

/// <summary>One path of the union schema as the studio shows it.</summary>
public sealed record AttributeSummary(
    string Path, IReadOnlyList<TypeShare> Types, IReadOnlyList<SourceShare> Sources, long ProfileCount, long LiveProfiles,
    IReadOnlyList<string> Examples, DateTime FirstSeenAt, DateTime LastSeenAt)
{
    /// <summary>The type most values have (several types are shown with counts).</summary>
    public string Type => Types.Count > 0 ? Types[0].Type : SchemaTypes.Text;

    /// <summary>
    /// For an active computed attribute offered beside the sent traits (<see cref="SchemaCatalog.ComputedAttributesAsync"/>): what it
    /// computes ("sum of revenue over Order Completed"); null for a sent trait.
    /// </summary>
    public string? ComputedAs { get; init; }

    /// <summary>Share of live profiles that have the path, 0..1.</summary>
    public double FillRate => LiveProfiles == 0 ? 0 : Math.Min(1, (double)ProfileCount / LiveProfiles);

    /// <summary>The examples as people read values (dates, numbers, yes/no): <see cref="SchemaValues.ForPeople"/>.</summary>
    public IEnumerable<string> ExamplesForPeople => Examples.Select(e => SchemaValues.ForPeople(e, Types));
}

/// <summary>A property path of an event entry.</summary>
public sealed record EventPropertySummary(string Path, IReadOnlyList<TypeShare> Types, long Count, IReadOnlyList<string> Examples)
{
    public string Type => Types.Count > 0 ? Types[0].Type : SchemaTypes.Text;

    /// <summary>The examples as people read values (dates, numbers, yes/no): <see cref="SchemaValues.ForPeople"/>.</summary>
    public IEnumerable<string> ExamplesForPeople => Examples.Select(e => SchemaValues.ForPeople(e, Types));
}

/// <summary>One entry of the event catalog as the studio shows it.</summary>
public sealed record EventSummary(
    string Key, string Type, string Name, long Count, IReadOnlyList<long> Volume, IReadOnlyList<SourceShare> Sources,
    DateTime FirstSeenAt, DateTime LastSeenAt, IReadOnlyList<(string Name, long Count)> Names, long OtherNames,
    IReadOnlyList<EventPropertySummary> Properties)
{
    /// <summary>The name the timeline stores for a track event; null for an entry that groups pages, screens or group calls.</summary>
    public string? EventName => Type == "track" ? Name : null;

    public long VolumeLast30Days => Volume.Sum();
}

/// <summary>What a table asks for: a search, filters, a sort and a page.</summary>
public sealed record SchemaQuery(string? Search = null, string? Type = null, int? SourceId = null, string? SortBy = null, bool Descending = false, int Page = 0, int PageSize = 25);

public sealed record SchemaPage<T>(IReadOnlyList<T> Items, int Total);

/// <summary>Sort keys of the schema tables.</summary>
public static class SchemaSort
{
    public const string Path = "path";
    public const string Type = "type";
    public const string FillRate = "fill";
    public const string Volume = "volume";
    public const string Count = "count";
    public const string LastSeen = "last";
    public const string FirstSeen = "first";
}

/// <summary>
/// Reads the union schema and the event catalog for Data › Schema and the pickers of the editors. It
/// reads only the maintained tables (one row per path or entry, never the profiles), so a page load
/// costs the same whatever the number of profiles.
/// </summary>
public sealed class SchemaCatalog(IDbContextFactory<ProfileStudioDbContext> dbFactory, TimeProvider time)
{
    /// <summary>Whether anything was counted (an empty schema on a new install shows the way to connect a source).</summary>
    public async Task<(int Attributes, int Events, long LiveProfiles)> TotalsAsync(CancellationToken ct = default)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var live = await db.SchemaStates.Where(s => s.Id == 1).Select(s => (long?)s.LiveProfiles).FirstOrDefaultAsync(ct) ?? 0;
        return (await db.SchemaAttributes.CountAsync(ct), await db.SchemaEvents.CountAsync(ct), live);
    }

    /// <summary>Attribute paths for a picker: those containing <paramref name="search"/> (any case), the fullest first.</summary>
    public async Task<IReadOnlyList<AttributeSummary>> AttributesAsync(string? search, int take = 20, CancellationToken ct = default) =>
        (await AttributePageAsync(new SchemaQuery(search, SortBy: SchemaSort.FillRate, Descending: true, PageSize: take), ct)).Items;

    /// <summary>
    /// Active aggregate computed attributes for a picker, by name containing <paramref name="search"/> (any case): segments and
    /// exports read them by name as they read traits. Their type follows the function (a count is a number, distinct values a
    /// list; the most frequent, first or last value has the type the event catalog saw for the property), with how many
    /// profiles it is computed for (counted at most every 5 minutes). Expression attributes are left out: they are evaluated only when a profile is shown.
    /// </summary>
    public async Task<IReadOnlyList<AttributeSummary>> ComputedAttributesAsync(string? search, int take = 20, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var definitions = (await db.ComputedAttributeDefinitions.AsNoTracking()
                .Where(d => d.Status == ComputedAttributes.ComputedStatus.Active && d.Function != ComputedAttributes.ComputedFunction.Expression).ToListAsync(ct))
            .Where(d => Matches(d.Name, search)).OrderBy(d => d.Name, StringComparer.Ordinal).Take(take).ToList();
        if (definitions.Count == 0)
        {
            return [];
        }
        // Profiles each is computed for: one pass over the rows for all stale definitions (entry headers only, no value read), kept a few
        // minutes, since the picker asks on every keystroke.
        var stale = definitions.Where(d => !_computedCounts.TryGetValue(d.Id, out var c) || c.Version != d.Version || Environment.TickCount64 - c.At > ComputedCountMs)
            .Select(d => d.Id).ToList();
        if (stale.Count > 0)
        {
            var counted = stale.ToDictionary(id => id, _ => 0L);
            await foreach (var entries in db.ComputedProfileStates.AsNoTracking().Select(s => s.Entries).AsAsyncEnumerable().WithCancellation(ct))
            {
                foreach (var (definition, _) in ComputedAttributes.ComputedEntries.Definitions(entries))
                {
                    if (counted.TryGetValue(definition, out var n))
                    {
                        counted[definition] = n + 1;
                    }
                }
            }
            foreach (var d in definitions.Where(d => stale.Contains(d.Id)))
            {
                _computedCounts[d.Id] = (d.Version, counted.GetValueOrDefault(d.Id), Environment.TickCount64);
            }
        }
        var computedFor = definitions.ToDictionary(d => d.Id, d => _computedCounts.TryGetValue(d.Id, out var c) ? c.Count : 0);
        var live = (await TotalsAsync(ct)).LiveProfiles; // as the sent traits' fill rates count them
        var summaries = new List<AttributeSummary>();
        foreach (var d in definitions)
        {
            var type = d.Function switch
            {
                ComputedAttributes.ComputedFunction.Distinct => SchemaTypes.List,
                ComputedAttributes.ComputedFunction.MostFrequent or ComputedAttributes.ComputedFunction.First or ComputedAttributes.ComputedFunction.Last
                    => (await EventPropertiesAsync(d.EventNames.Select(n => SchemaTally.EventKey("track", n)).ToList(), d.PropertyPath, ct))
                        .FirstOrDefault(p => p.Path == d.PropertyPath)?.Type ?? SchemaTypes.Text,
                _ => SchemaTypes.Number,
            };
            var count = computedFor.GetValueOrDefault(d.Id);
            var over = $"{ComputedAttributes.ComputedFunctions.Describe(d.Function, d.PropertyPath)} over {string.Join(", ", d.EventNames)}";
            summaries.Add(new AttributeSummary(d.Name, [new TypeShare(type, count)], [], count, live, [], d.CreatedAt, d.UpdatedAt) { ComputedAs = over });
        }
        return summaries;
    }

    private const long ComputedCountMs = 5 * 60 * 1000; // operational: real time, whatever the app's clock
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, (int Version, long Count, long At)> _computedCounts = new();

    /// <summary>Event entries for a picker: those containing <paramref name="search"/>, the busiest first.</summary>
    public async Task<IReadOnlyList<EventSummary>> EventsAsync(string? search, int take = 20, CancellationToken ct = default) =>
        (await EventPageAsync(new SchemaQuery(search, SortBy: SchemaSort.Count, Descending: true, PageSize: take), ct)).Items;

    /// <summary>
    /// The property paths of the chosen entries (<see cref="EventSummary.Key"/>s), merged across them:
    /// types and counts added up, examples pooled.
    /// </summary>
    public async Task<IReadOnlyList<EventPropertySummary>> EventPropertiesAsync(IReadOnlyCollection<string> eventKeys, string? search = null, CancellationToken ct = default)
    {
        if (eventKeys.Count == 0)
        {
            return [];
        }
        var keys = eventKeys.ToList();
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var rows = await db.SchemaEvents.AsNoTracking().Where(e => keys.Contains(e.Key)).ToListAsync(ct);
        var examples = await EventExamplesAsync(db, keys, ct);
        var merged = new Dictionary<string, PropertyTally>(StringComparer.Ordinal);
        foreach (var tally in rows.Select(r => EventTally.From(r, examples)))
        {
            foreach (var (path, property) in tally.Properties)
            {
                if (!merged.TryGetValue(path, out var into))
                {
                    merged[path] = into = new PropertyTally();
                }
                into.Count += property.Count;
                foreach (var (type, count) in property.Types)
                {
                    into.Types[type] = into.Types.GetValueOrDefault(type) + count;
                }
                foreach (var example in property.Examples)
                {
                    SchemaTally.AddExample(into.Examples, example);
                }
            }
        }
        return [.. merged.Where(p => Matches(p.Key, search)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Property(p.Key, p.Value))];
    }

    public async Task<SchemaPage<AttributeSummary>> AttributePageAsync(SchemaQuery query, CancellationToken ct = default)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var live = await db.SchemaStates.Where(s => s.Id == 1).Select(s => (long?)s.LiveProfiles).FirstOrDefaultAsync(ct) ?? 0;
        var names = await SourceNamesAsync(db, ct);
        var rows = await db.SchemaAttributes.AsNoTracking().ToListAsync(ct);
        var examples = await AttributeExamplesAsync(db, null, ct);
        var all = rows.Select(r => Attribute(r, live, names, examples))
            .Where(a => Matches(a.Path, query.Search))
            .Where(a => query.Type is null || a.Types.Any(t => t.Type == query.Type))
            .Where(a => query.SourceId is null || a.Sources.Any(s => s.SourceId == query.SourceId));
        var sorted = (query.SortBy switch
        {
            SchemaSort.FillRate => Order(all, a => a.ProfileCount, query.Descending),
            SchemaSort.Type => Order(all, a => a.Type, query.Descending),
            SchemaSort.LastSeen => Order(all, a => a.LastSeenAt, query.Descending),
            SchemaSort.FirstSeen => Order(all, a => a.FirstSeenAt, query.Descending),
            _ => Order(all, a => a.Path, query.Descending),
        }).ThenBy(a => a.Path, StringComparer.Ordinal).ToList();
        return new SchemaPage<AttributeSummary>([.. sorted.Skip(query.Page * query.PageSize).Take(query.PageSize)], sorted.Count);
    }

    public async Task<AttributeSummary?> AttributeAsync(string path, CancellationToken ct = default)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var row = await db.SchemaAttributes.AsNoTracking().FirstOrDefaultAsync(a => a.Path == path, ct);
        if (row is null)
        {
            return null;
        }
        var live = await db.SchemaStates.Where(s => s.Id == 1).Select(s => (long?)s.LiveProfiles).FirstOrDefaultAsync(ct) ?? 0;
        return Attribute(row, live, await SourceNamesAsync(db, ct), await AttributeExamplesAsync(db, path, ct));
    }

    public async Task<SchemaPage<EventSummary>> EventPageAsync(SchemaQuery query, CancellationToken ct = default)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var names = await SourceNamesAsync(db, ct);
        var rows = await db.SchemaEvents.AsNoTracking().ToListAsync(ct);
        var examples = await EventExamplesAsync(db, null, ct);
        var today = time.GetUtcNow().UtcDateTime;
        var all = rows.Select(r => Event(r, names, today, examples))
            .Where(e => Matches(e.Name, query.Search) || e.Names.Any(n => Matches(n.Name, query.Search)))
            .Where(e => query.Type is null || e.Type == query.Type)
            .Where(e => query.SourceId is null || e.Sources.Any(s => s.SourceId == query.SourceId));
        var sorted = (query.SortBy switch
        {
            SchemaSort.Count => Order(all, e => e.Count, query.Descending),
            SchemaSort.Volume => Order(all, e => e.VolumeLast30Days, query.Descending),
            SchemaSort.Type => Order(all, e => e.Type, query.Descending),
            SchemaSort.LastSeen => Order(all, e => e.LastSeenAt, query.Descending),
            SchemaSort.FirstSeen => Order(all, e => e.FirstSeenAt, query.Descending),
            _ => Order(all, e => e.Name, query.Descending),
        }).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
        return new SchemaPage<EventSummary>([.. sorted.Skip(query.Page * query.PageSize).Take(query.PageSize)], sorted.Count);
    }

    public async Task<EventSummary?> EventAsync(string key, CancellationToken ct = default)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var row = await db.SchemaEvents.AsNoTracking().FirstOrDefaultAsync(e => e.Key == key, ct);
        return row is null ? null : Event(row, await SourceNamesAsync(db, ct), time.GetUtcNow().UtcDateTime, await EventExamplesAsync(db, [key], ct));
    }

    /// <summary>
    /// The attribute path <paramref name="key"/> and the paths under it (<c>key.…</c>) that sources sent, each with the
    /// number of profiles that have it, in path order (for names made in the studio that may take a sent trait's place).
    /// </summary>
    public async Task<IReadOnlyList<(string Path, long Profiles)>> PathsAtAsync(string key, CancellationToken ct = default)
    {
        var under = key + ".";
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var rows = await db.SchemaAttributes.AsNoTracking().Where(a => a.Path == key || a.Path.StartsWith(under))
            .Select(a => new { a.Path, a.ProfileCount }).ToListAsync(ct);
        // SQLite's LIKE, which StartsWith becomes, ignores ASCII case; keys do not.
        return [.. rows.Where(r => r.Path == key || r.Path.StartsWith(under, StringComparison.Ordinal))
            .OrderBy(r => r.Path, StringComparer.Ordinal).Select(r => (r.Path, r.ProfileCount))];
    }

    /// <summary>The sources that sent anything the schema lists (for the source filter).</summary>
    public async Task<IReadOnlyList<(int Id, string Name)>> SourcesAsync(CancellationToken ct = default)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        return [.. (await SourceNamesAsync(db, ct)).OrderBy(s => s.Value, StringComparer.OrdinalIgnoreCase).Select(s => (s.Key, s.Value))];
    }

    private static bool Matches(string text, string? search) =>
        string.IsNullOrWhiteSpace(search) || text.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase);

    private static IOrderedEnumerable<T> Order<T, TKey>(IEnumerable<T> items, Func<T, TKey> key, bool descending) =>
        descending ? items.OrderByDescending(key) : items.OrderBy(key);

    private static async Task<Dictionary<int, string>> SourceNamesAsync(ProfileStudioDbContext db, CancellationToken ct) =>
        await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);

    private static IReadOnlyList<TypeShare> Types(Dictionary<string, long> types) =>
        [.. types.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).Select(t => new TypeShare(t.Key, t.Value))];

    private static IReadOnlyList<SourceShare> Sources(Dictionary<int, long> sources, IReadOnlyDictionary<int, string> names) =>
        [.. sources.OrderByDescending(s => s.Value).ThenBy(s => s.Key).Select(s => new SourceShare(s.Key, names.GetValueOrDefault(s.Key) ?? $"source {s.Key}", s.Value))];

    /// <summary>Example values by path (a few per path), in the order they were found.</summary>
    private static async Task<ILookup<string, string>> AttributeExamplesAsync(ProfileStudioDbContext db, string? path, CancellationToken ct) =>
        (await db.SchemaExamples.AsNoTracking().Where(e => path == null || e.Path == path).OrderBy(e => e.Value)
            .Select(e => new { e.Path, e.Value }).ToListAsync(ct)).ToLookup(e => e.Path, e => e.Value, StringComparer.Ordinal);

    /// <summary>Example values by (event key, property path).</summary>
    private static async Task<ILookup<(string, string), string>> EventExamplesAsync(ProfileStudioDbContext db, IReadOnlyCollection<string>? keys, CancellationToken ct) =>
        (await db.SchemaEventExamples.AsNoTracking().Where(e => keys == null || keys.Contains(e.EventKey)).OrderBy(e => e.Value)
            .Select(e => new { e.EventKey, e.Path, e.Value }).ToListAsync(ct)).ToLookup(e => (e.EventKey, e.Path), e => e.Value);

    private static AttributeSummary Attribute(SchemaAttribute row, long live, IReadOnlyDictionary<int, string> names, ILookup<string, string> examples)
    {
        var tally = AttributeTally.From(row);
        return new AttributeSummary(row.Path, Types(tally.Types), Sources(tally.Sources, names), row.ProfileCount, live, [.. examples[row.Path]], row.FirstSeenAt, row.LastSeenAt);
    }

    private static EventPropertySummary Property(string path, PropertyTally tally) => new(path, Types(tally.Types), tally.Count, tally.Examples);

    private static EventSummary Event(SchemaEvent row, IReadOnlyDictionary<int, string> names, DateTime today, ILookup<(string, string), string> examples)
    {
        var tally = EventTally.From(row, examples);
        return new EventSummary(row.Key, row.Type, row.Name, row.Count, tally.Volume(today), Sources(tally.Sources, names), row.FirstSeenAt, row.LastSeenAt,
            [.. tally.Names.OrderByDescending(n => n.Value).ThenBy(n => n.Key, StringComparer.Ordinal).Select(n => (n.Key, n.Value))], tally.OtherNames,
            [.. tally.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Property(p.Key, p.Value))]);
    }
}
