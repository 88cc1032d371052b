using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The mergeable state of one computed attribute for one profile: one <see cref="BucketState"/> per
/// time bucket (<see cref="ComputedWindows"/>; a single bucket 0 for all time). Two states of the same
/// definition combine with <see cref="ComputedAggregator.Merge"/>, whatever the order their events came
/// in: that is what lets merges combine profiles and live runs add to a backfilled state.
/// </summary>
public sealed class AggregateState
{
    /// <summary>
    /// By bucket start, ascending. A sorted list, not a sorted dictionary: every write walks the buckets several times (prune,
    /// value, expiry, encoding), which a sorted dictionary's enumerator paid for with an allocation each time. Most states hold
    /// a few buckets; a long window can hold thousands (3,660 days, 87,840 hours), so buckets are added in time order (live
    /// inputs, timelines), long states merged in one pass, and many expired buckets dropped in one copy.
    /// </summary>
    [JsonPropertyName("b")]
    public SortedList<long, BucketState> Buckets { get; set; } = new();

    /// <summary>No bucket (not stored: states written before it was ignored still carry it, and reading skips it).</summary>
    [JsonIgnore]
    public bool IsEmpty => Buckets.Count == 0;

    /// <summary>
    /// The stored JSON, written by hand: the same bytes as the generated serializer (<see cref="ToJsonBySerializer"/>,
    /// which a property test compares it with), at a fraction of the cost. Encoding states was a fifth of a backfill's work.
    /// </summary>
    public string ToJson()
    {
        var writer = ReusedJsonWriter.Start();
        writer.WriteStartObject();
        writer.WriteStartObject("b"u8);
        Span<byte> key = stackalloc byte[20];
        for (var i = 0; i < Buckets.Count; i++)
        {
            var (at, bucket) = (Buckets.GetKeyAtIndex(i), Buckets.GetValueAtIndex(i));
            at.TryFormat(key, out var length, default, CultureInfo.InvariantCulture);
            writer.WriteStartObject(key[..length]);
            writer.WriteNumber("n"u8, bucket.Count);
            writer.WriteNumber("k"u8, bucket.Numbers);
            writer.WriteNumber("s"u8, bucket.Sum);
            if (bucket.Min is { } min)
            {
                writer.WriteNumber("lo"u8, min);
            }
            if (bucket.Max is { } max)
            {
                writer.WriteNumber("hi"u8, max);
            }
            if (bucket.Values is { } values)
            {
                writer.WriteStartObject("v"u8);
                foreach (var (value, count) in values)
                {
                    writer.WriteNumber(value, count);
                }
                writer.WriteEndObject();
            }
            if (bucket.Overflow)
            {
                writer.WriteBoolean("o"u8, true);
            }
            WritePick(writer, "f"u8, bucket.First);
            WritePick(writer, "l"u8, bucket.Last);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
        return ReusedJsonWriter.Finish();
    }

    private static void WritePick(Utf8JsonWriter writer, ReadOnlySpan<byte> name, Pick? pick)
    {
        if (pick is null)
        {
            return;
        }
        writer.WriteStartObject(name);
        writer.WriteNumber("t"u8, pick.At);
        writer.WriteNumber("m"u8, pick.MessageId);
        writer.WriteString("v"u8, pick.ValueJson);
        writer.WriteEndObject();
    }

    /// <summary>The generated serializer's JSON for this state: what <see cref="ToJson"/> must equal.</summary>
    public string ToJsonBySerializer() => JsonSerializer.Serialize(this, AggregateStateJson.Default.AggregateState);

    public static AggregateState FromJson(string json) =>
        string.IsNullOrEmpty(json) ? new() : JsonSerializer.Deserialize(json, AggregateStateJson.Default.AggregateState) ?? new();
}

/// <summary>
/// What one bucket holds; only the parts the function needs are filled. Distinct values are bounded
/// (see <see cref="ComputedAggregator.DistinctLimit"/>): the values with the smallest hashes are kept
/// with their exact counts, and <see cref="Overflow"/> says some were left out.
/// </summary>
public sealed class BucketState
{
    /// <summary>Matching events.</summary>
    [JsonPropertyName("n")]
    public long Count { get; set; }

    /// <summary>Events with a usable number (sum, avg).</summary>
    [JsonPropertyName("k")]
    public long Numbers { get; set; }

    [JsonPropertyName("s")]
    public decimal Sum { get; set; }

    [JsonPropertyName("lo")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Min { get; set; }

    [JsonPropertyName("hi")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Max { get; set; }

    /// <summary>Value key (<see cref="EventProperties.Key"/>) → events with it.</summary>
    [JsonPropertyName("v")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, long>? Values { get; set; }

    [JsonPropertyName("o")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Overflow { get; set; }

    [JsonPropertyName("f")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Pick? First { get; set; }

    [JsonPropertyName("l")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Pick? Last { get; set; }
}

/// <summary>A value with the event it came from, ordered by event time then message id (first / last).</summary>
public sealed record Pick(
    [property: JsonPropertyName("t")] long At,
    [property: JsonPropertyName("m")] long MessageId,
    [property: JsonPropertyName("v")] string ValueJson)
{
    public bool Before(Pick other) => At < other.At || (At == other.At && MessageId < other.MessageId);
}

[JsonSerializable(typeof(AggregateState))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal sealed partial class AggregateStateJson : JsonSerializerContext;
