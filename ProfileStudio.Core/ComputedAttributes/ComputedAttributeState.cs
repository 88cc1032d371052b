namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// A profile's computed attributes: one row per profile (its id is the row id) holding every definition's
/// <see cref="ComputedEntry"/> in <see cref="Entries"/> (<see cref="ComputedEntries"/>'s bytes). One row rather than one
/// per definition: a touched profile costs the live writer one row read and one row written, whatever the number of
/// definitions (five rows per profile were half of what five computed attributes cost unification).
/// </summary>
public sealed class ComputedProfileState
{
    public const string Table = "ComputedProfileStates";

    public long ProfileId { get; set; }

    /// <summary>The entries, one per definition that has a state for the profile, in definition order.</summary>
    public byte[] Entries { get; set; } = [];

    /// <summary>The earliest of the entries' <see cref="ComputedEntry.NextExpiryAt"/>: the expiry job's index seek.</summary>
    public DateTime? NextExpiryAt { get; set; }

    /// <summary>A profile's row holding <paramref name="entries"/> (put in definition order).</summary>
    public static ComputedProfileState Of(long profileId, params IEnumerable<ComputedEntry> entries)
    {
        var ordered = entries.OrderBy(e => e.DefinitionId).ToList();
        return new() { ProfileId = profileId, Entries = ComputedEntries.Encode(ordered), NextExpiryAt = ComputedEntries.NextExpiry(ordered) };
    }

    /// <summary>The row's entries.</summary>
    public List<ComputedEntry> Decode() => ComputedEntries.Decode(Entries);
}

/// <summary>
/// The entries a merge brought to a survivor (the merged profile's row, under the survivor's id with <see cref="MergedFromId"/>
/// set): the computed-attributes writer combines them with the survivor's in the same transaction and removes them, so readers
/// never see one.
/// </summary>
public sealed class ComputedStatePart
{
    public const string Table = "ComputedStateParts";

    public long ProfileId { get; set; }

    /// <summary>The merged profile's id.</summary>
    public long MergedFromId { get; set; }

    public byte[] Entries { get; set; } = [];
}
