using ProfileStudio.Core.Formatting;

namespace ProfileStudio.Core.Auditing;

/// <summary>
/// A change refused because someone saved the object after the editor making it loaded it: saving anyway would silently
/// undo theirs. <see cref="SavedBy"/> and <see cref="SavedAt"/> are the last change the store recorded on the object.
/// </summary>
public sealed record EditConflict(string SavedBy, DateTime SavedAt)
{
    /// <summary>The refusal as a person reads it; <paramref name="what"/> names the object ("this segment").</summary>
    public string Describe(string what) =>
        $"{SavedBy} saved {what} at {DisplayFormat.TimeUtc(SavedAt)}, after you opened it. Reload to see their change (your edits are not saved).";
}
