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
    [JsonPropertyName("b")]
    public SortedDictionary<long, BucketState> Buckets { get; set; } = [];

    public bool IsEmpty => Buckets.Count == 0;

    public string ToJson() => JsonSerializer.Serialize(this, AggregateStateJson.Default.AggregateState);

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
