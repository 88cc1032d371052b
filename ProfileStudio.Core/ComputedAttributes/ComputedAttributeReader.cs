using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// One computed value of a profile, with its definition (for the profile page and the Profile API).
/// <see cref="PreviousVersion"/>: the definition was changed and its new backfill has not reached this profile yet, so
/// this is the value the previous version computed at <see cref="ComputedAt"/>, served until the new one replaces it.
/// </summary>
public sealed record ComputedValue(ComputedAttributeDefinition Definition, string? ValueJson, DateTime ComputedAt, bool PreviousVersion = false)
{
    public string Name => Definition.Name;

    /// <summary>The value as a JSON element (undefined when there is none).</summary>
    public JsonElement Value => ValueJson is null ? default : JsonDocument.Parse(ValueJson).RootElement.Clone();
}

/// <summary>A histogram bar: the profiles whose value is in From..To. <see cref="Outliers"/>: the values far outside the rest, in a bar of their own.</summary>
public sealed record HistogramBin(decimal From, decimal To, int Profiles, bool Outliers = false);

public sealed record TopValue(string ValueJson, int Profiles);

public sealed record PreviewExample(long ProfileId, string? ValueJson);

/// <summary>
/// The distribution of a definition's values over profiles: a histogram for numbers, top values for
/// anything else, and example profiles. <see cref="ProfilesScanned"/> is how many profiles it looked at.
/// </summary>
public sealed record ComputedDistribution(
    int ProfilesScanned, int ProfilesWithValue, bool Numeric, IReadOnlyList<HistogramBin> Histogram, IReadOnlyList<TopValue> TopValues, IReadOnlyList<PreviewExample> Examples);

/// <summary>
/// Reads computed values: a profile's values, the distribution of an active definition's stored values,
/// and a preview of a draft over current profiles (computed from their events, nothing stored).
/// </summary>
public sealed class ComputedAttributeReader(IDbContextFactory<ProfileStudioDbContext> dbFactory, TimeProvider time)
{
    /// <summary>How many profiles a preview computes (those with the most recent matching events).</summary>
    public const int PreviewProfiles = 2000;

    /// <summary>
    /// The profile's values of active definitions, by name. A windowed value whose oldest bucket has left the window
    /// since it was stored is computed afresh from its state, so a read never shows an event that is out of the window
    /// even before the expiry job comes by. A definition changed since (a new version) whose backfill has not reached
    /// the profile yet still has its previous version's entry: that value is served as it was stored, marked
    /// <see cref="ComputedValue.PreviousVersion"/>, rather than no value at all until the backfill comes by
    /// (the backfill and the live writer replace such an entry as soon as they reach the profile).
    /// </summary>
    public async Task<IReadOnlyList<ComputedValue>> ValuesOfProfileAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.ComputedProfileStates.AsNoTracking().Where(s => s.ProfileId == profileId).Select(s => s.Entries).FirstOrDefaultAsync(ct);
        if (stored is null)
        {
            return [];
        }
        var entries = ComputedEntries.Decode(stored);
        var ids = entries.Select(e => e.DefinitionId).ToList();
        var definitions = await db.ComputedAttributeDefinitions.AsNoTracking()
            .Where(d => ids.Contains(d.Id) && d.Status == ComputedStatus.Active && d.Function != ComputedFunction.Expression).ToDictionaryAsync(d => d.Id, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var values = new List<ComputedValue>();
        foreach (var entry in entries)
        {
            if (!definitions.TryGetValue(entry.DefinitionId, out var definition) || entry.Version > definition.Version)
            {
                continue;
            }
            if (entry.Version < definition.Version)
            {
                // Its state is the previous version's, which the current aggregator cannot read: the stored value stands, until
                // its oldest bucket leaves the previous window (then it would count events out of it: no value until recomputed).
                if (entry.NextExpiryAt is not { } due || due > now)
                {
                    values.Add(new(definition, entry.ValueJson, entry.ComputedAt, PreviousVersion: true));
                }
            }
            else if (entry.NextExpiryAt is { } expiry && expiry <= now)
            {
                var aggregator = new ComputedAggregator(definition.ToSpec());
                values.Add(new(definition, aggregator.Value(AggregateState.Decode(entry.State.Span), now), now));
            }
            else
            {
                values.Add(new(definition, entry.ValueJson, entry.ComputedAt));
            }
        }
        return values.OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The distribution of an active definition's stored values (at most <paramref name="take"/> profiles read).</summary>
    public async Task<ComputedDistribution> DistributionAsync(int definitionId, int take = 100_000, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var definition = await db.ComputedAttributeDefinitions.AsNoTracking().FirstOrDefaultAsync(d => d.Id == definitionId, ct);
        if (definition is null)
        {
            return Distribution([], false);
        }
        var values = new List<(long, string?)>();
        await foreach (var (profile, entries) in Rows(db).WithCancellation(ct))
        {
            if (ComputedEntries.Find(entries, definitionId) is { } entry && entry.Version == definition.Version)
            {
                values.Add((profile, entry.ValueJson));
                if (values.Count == take)
                {
                    break;
                }
            }
        }
        return Distribution(values, IsNumeric(definition.Function));
    }

    /// <summary>
    /// The distributions of every active definition's stored values (all of them), by name, in one pass over the profiles' rows in
    /// profile order (each row holds every definition's entry). The dashboard's snapshot draws them.
    /// </summary>
    public async Task<IReadOnlyList<(int Id, string Name, ComputedDistribution Distribution)>> ActiveDistributionsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var definitions = await db.ComputedAttributeDefinitions.AsNoTracking().Where(d => d.Status == ComputedStatus.Active)
            .OrderBy(d => d.Name).Select(d => new { d.Id, d.Name, d.Version, d.Function }).ToListAsync(ct);
        if (definitions.Count == 0)
        {
            return [];
        }
        var values = definitions.ToDictionary(d => d.Id, d => (d.Version, Values: new List<(long, string?)>()));
        await foreach (var (profile, entries) in Rows(db).WithCancellation(ct))
        {
            foreach (var entry in ComputedEntries.Decode(entries))
            {
                if (values.TryGetValue(entry.DefinitionId, out var of) && of.Version == entry.Version)
                {
                    of.Values.Add((profile, entry.ValueJson));
                }
            }
        }
        return definitions.Select(d =>
        {
            var list = values[d.Id].Values; // in profile order, as DistributionAsync reads them (its examples come first to last)
            return (d.Id, d.Name, Distribution(list, IsNumeric(d.Function)));
        }).ToList();
    }

    /// <summary>Every profile's stored row, in profile order (the row id's: a walk along the table, no sort).</summary>
    private static IAsyncEnumerable<(long ProfileId, byte[] Entries)> Rows(ProfileStudioDbContext db) => RowsQuery(db).AsAsyncEnumerable();

    internal static IQueryable<(long ProfileId, byte[] Entries)> RowsQuery(ProfileStudioDbContext db) =>
        db.ComputedProfileStates.AsNoTracking().OrderBy(s => s.ProfileId).Select(s => new ValueTuple<long, byte[]>(s.ProfileId, s.Entries));

    /// <summary>
    /// What a draft would give over current profiles, before it is saved or activated: computed from the
    /// timeline of the <see cref="PreviewProfiles"/> profiles with the most recent matching events. The name plays no part
    /// (it may be missing or not a key yet); a draft whose computation has problems gives an empty distribution.
    /// </summary>
    public async Task<ComputedDistribution> PreviewAsync(ComputedAttributeDraft draft, CancellationToken ct = default)
    {
        if (ComputedAttributeValidator.ValidateComputation(draft).Count > 0)
        {
            return Distribution([], false);
        }
        var spec = new ComputedAttributeSpec(0, 0, draft.Name, draft.Function, draft.EventNames, draft.PropertyPath, draft.Conditions, draft.Window);
        var aggregator = new ComputedAggregator(spec);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var profiles = await ComputedEventSamples.RecentProfilesAsync(db, draft.EventNames, PreviewProfiles, ct);
        var events = await ComputedEventSamples.EventsOfAsync(db, profiles, draft.EventNames, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var values = new List<(long, string?)>();
        foreach (var profile in profiles)
        {
            var state = ComputedComputation.FromEvents(aggregator, events.GetValueOrDefault(profile) ?? []);
            if (state is not null)
            {
                values.Add((profile, aggregator.Value(state, now)));
            }
        }
        return Distribution(values, IsNumeric(draft.Function));
    }

    private static bool IsNumeric(ComputedFunction f) => f is not (ComputedFunction.MostFrequent or ComputedFunction.Distinct or ComputedFunction.First or ComputedFunction.Last);

    internal static ComputedDistribution Distribution(List<(long Profile, string? Value)> values, bool numeric)
    {
        var present = values.Where(v => v.Value is not null and not "null").ToList();
        // Profiles with a value first: ten "—" in a row said nothing about what the definition gives (those without one follow if fewer have one).
        var examples = present.Concat(values.Where(v => v.Value is null or "null")).Take(10).Select(v => new PreviewExample(v.Profile, v.Value)).ToList();
        var numbers = numeric
            ? present.Select(v => decimal.TryParse(v.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? (decimal?)n : null).Where(n => n is not null).Select(n => n!.Value).ToList()
            : [];
        var top = present.GroupBy(v => v.Value!).Select(g => new TopValue(g.Key, g.Count()))
            .OrderByDescending(t => t.Profiles).ThenBy(t => t.ValueJson, ValueKeyOrder.Instance).Take(20).ToList();
        return new(values.Count, present.Count, numeric && numbers.Count > 0, Histogram(numbers), top, examples);
    }

    /// <summary>
    /// Up to 20 equal bins of a round width (1, 2 or 5 times a power of ten) on multiples of that width, so the
    /// edges read as "60–80" rather than "64.42–104.38". When every value is whole the width is whole (at least 1)
    /// and a bin's <see cref="HistogramBin.To"/> is its last whole number ("0–4", "5–9"; a bin of one number has
    /// From == To); otherwise bins are [From, To), the last one closed. Values far outside the rest (<see cref="Outlying"/>)
    /// get a bar of their own at either end, so the bins cover the others.
    /// </summary>
    private static List<HistogramBin> Histogram(List<decimal> numbers)
    {
        if (numbers.Count == 0)
        {
            return [];
        }
        if (Outlying(numbers) is ({ } below, { } inner, { } above))
        {
            // One lifetime value of 250,000 among values of 10 to 80 put every other profile in the first of 20 bins 12,500 wide.
            return
            [
                .. below.Count > 0 ? [new HistogramBin(below.Min(), below.Max(), below.Count, Outliers: true)] : Array.Empty<HistogramBin>(),
                .. Bins(inner),
                .. above.Count > 0 ? [new HistogramBin(above.Min(), above.Max(), above.Count, Outliers: true)] : Array.Empty<HistogramBin>(),
            ];
        }
        return Bins(numbers);
    }

    /// <summary>The round bins of <see cref="Histogram"/> over all of <paramref name="numbers"/> (at least one).</summary>
    private static List<HistogramBin> Bins(List<decimal> numbers)
    {
        var (min, max) = (numbers.Min(), numbers.Max());
        if (min == max)
        {
            return [new HistogramBin(min, max, numbers.Count)];
        }
        try
        {
            var whole = numbers.All(n => n == decimal.Truncate(n));
            var (start, width, bins) = RoundBins(min, max, whole);
            var counts = new int[bins];
            foreach (var n in numbers)
            {
                counts[Math.Min(bins - 1, (int)((n - start) / width))]++;
            }
            return counts.Select((c, i) => new HistogramBin(start + i * width, start + (i + 1) * width - (whole ? 1 : 0), c)).ToList();
        }
        catch (OverflowException)
        {
            // Values near decimal's limits (sent in events, e.g. ±3.9e28, or two 20-digit numbers a hair apart) leave no
            // round bins to compute: one bin from min to max, rather than no chart.
            return [new HistogramBin(min, max, numbers.Count)];
        }
    }

    /// <summary>
    /// Splits off the values far outside the rest (beyond 3 interquartile ranges from the quartiles, Tukey's "far out"), when there
    /// are at least 10 values and they stretch the chart's range more than 5 times: null when there is nothing to split off, so a
    /// count of orders (mostly 0, a few 1 to 6) keeps a bar per number.
    /// </summary>
    private static (List<decimal> Below, List<decimal> Inner, List<decimal> Above)? Outlying(List<decimal> numbers)
    {
        if (numbers.Count < 10)
        {
            return null;
        }
        var sorted = numbers.Order().ToList();
        try
        {
            var (q1, q3) = (sorted[(sorted.Count - 1) / 4], sorted[3 * (sorted.Count - 1) / 4]);
            var iqr = q3 - q1;
            if (iqr == 0)
            {
                return null;
            }
            var (low, high) = (q1 - 3 * iqr, q3 + 3 * iqr);
            var inner = sorted.Where(n => n >= low && n <= high).ToList();
            if (inner.Count == sorted.Count || sorted[^1] - sorted[0] <= 5 * (inner[^1] - inner[0]))
            {
                return null;
            }
            return (sorted.Where(n => n < low).ToList(), inner, sorted.Where(n => n > high).ToList());
        }
        catch (OverflowException)
        {
            return null; // values near decimal's limits: one plain histogram
        }
    }

    // The smallest width of 1, 2 or 5 × 10^k (at least 1 for whole numbers) that covers min..max in at most 20 bins starting on a multiple of it.
    private static (decimal Start, decimal Width, int Bins) RoundBins(decimal min, decimal max, bool whole)
    {
        var power = Math.Max(0.0000000001m, (decimal)Math.Pow(10, Math.Floor(Math.Log10((double)(max - min) / 20))));
        if (whole && power < 1)
        {
            power = 1;
        }
        (decimal, decimal, int) bins = default;
        foreach (var step in (decimal[])[1, 2, 5, 10, 20, 50, 100])
        {
            var width = step * power;
            var start = Math.Floor(min / width) * width;
            // Whole values fill whole numbers up to max; other values end at max, which belongs to the last bin.
            bins = (start, width, (int)Math.Max(1, whole ? Math.Floor((max - start) / width) + 1 : Math.Ceiling((max - start) / width)));
            if (bins.Item3 <= 20)
            {
                break;
            }
        }
        return bins;
    }
}

/// <summary>Computes a state from scratch from a profile's events (backfill, recompute, preview).</summary>
public static class ComputedComputation
{
    /// <summary>The state of the matching events (null: none matched, so the profile has no value).</summary>
    public static AggregateState? FromEvents(ComputedAggregator aggregator, IEnumerable<ComputedEvent> events)
    {
        AggregateState? state = null;
        foreach (var e in events)
        {
            if (!aggregator.Filter.MatchesName(e.Name))
            {
                continue;
            }
            using var document = Parse(e.Properties);
            if (document is null || !aggregator.Filter.Matches(e.Name, document.RootElement))
            {
                continue;
            }
            state ??= new AggregateState();
            aggregator.Add(state, e.EventAt, e.MessageId, document.RootElement);
        }
        return state;
    }

    /// <summary>The states of several definitions over the same events, each event's properties parsed once (the backfill's inner loop).</summary>
    public static AggregateState?[] FromEvents(IReadOnlyList<ComputedAggregator> aggregators, IEnumerable<ComputedEvent> events)
    {
        var states = new AggregateState?[aggregators.Count];
        foreach (var e in events)
        {
            JsonDocument? document = null;
            try
            {
                for (var a = 0; a < aggregators.Count; a++)
                {
                    var aggregator = aggregators[a];
                    if (!aggregator.Filter.MatchesName(e.Name))
                    {
                        continue;
                    }
                    document ??= Parse(e.Properties);
                    if (document is null || !aggregator.Filter.Matches(e.Name, document.RootElement))
                    {
                        continue;
                    }
                    aggregator.Add(states[a] ??= new AggregateState(), e.EventAt, e.MessageId, document.RootElement);
                }
            }
            finally
            {
                document?.Dispose();
            }
        }
        return states;
    }

    public static JsonDocument? Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static JsonDocument? Parse(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            return JsonDocument.Parse(utf8);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
