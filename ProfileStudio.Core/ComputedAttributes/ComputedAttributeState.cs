namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The mergeable state and current value of one computed attribute for one profile. A profile has one
/// row per definition (<see cref="MergedFromId"/> 0); a merge moves the merged profile's rows to the
/// survivor with <see cref="MergedFromId"/> set, and the computed-attributes writer combines them in the
/// same transaction (<see cref="ComputedAttributeWriter"/>), so readers only ever see the combined row.
/// </summary>
public sealed class ComputedAttributeState
{
    public long ProfileId { get; set; }
    public int DefinitionId { get; set; }

    /// <summary>0 for the profile's own row; the merged profile's id for a row a merge brought that is not combined yet.</summary>
    public long MergedFromId { get; set; }

    /// <summary>
    /// The definition version the state was computed for. An older version's row (a profile the new backfill has not reached)
    /// is read for its stored value only; its state is never combined with the current version's.
    /// </summary>
    public int Version { get; set; }

    /// <summary>
    /// The aggregate state: <see cref="AggregateState.Encode"/>'s bytes (rows last written before states were binary hold their JSON
    /// text, which <see cref="AggregateState.Decode"/> reads too). Empty: an empty state.
    /// </summary>
    public byte[] State { get; set; } = [];

    /// <summary>The value at <see cref="ComputedAt"/> as JSON (null: no value, e.g. no events in the window).</summary>
    public string? ValueJson { get; set; }

    public DateTime ComputedAt { get; set; }

    /// <summary>When the oldest time bucket leaves the window (windowed definitions): the expiry job's index seek.</summary>
    public DateTime? NextExpiryAt { get; set; }
}
