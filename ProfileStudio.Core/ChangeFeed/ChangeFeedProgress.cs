using System.Collections.Concurrent;

namespace ProfileStudio.Core.ChangeFeed;

/// <summary>
/// The last feed row each consumer of this process has handled, kept in memory by <see cref="ChangeFeedHost"/>.
/// A consumer saves its position (ChangeFeedCheckpoints) at most every <see cref="ChangeFeedHost.SaveInterval"/>,
/// and a save waits for the database's write lock, so the saved position trails what was handled by up to a
/// second or more under load. Lag figures (Identity › Unification, <c>/metrics</c>) use the later of the two:
/// the saved one says where a restart resumes, the handled one how current the consumer is.
/// </summary>
public sealed class ChangeFeedProgress
{
    private readonly ConcurrentDictionary<string, long> _handled = new(StringComparer.Ordinal);

    /// <summary>The consumer has handled every row up to <paramref name="position"/> (positions only grow).</summary>
    public void Handled(string consumer, long position) =>
        _handled.AddOrUpdate(consumer, position, (_, old) => Math.Max(old, position));

    /// <summary>The consumer's position as handled: the later of its saved one and what this process has handled since.</summary>
    public long Position(string consumer, long saved) =>
        _handled.TryGetValue(consumer, out var handled) && handled > saved ? handled : saved;

    /// <summary>Every consumer's handled position in this process (consumers that have handled nothing yet are absent).</summary>
    public IReadOnlyDictionary<string, long> Handled() => new Dictionary<string, long>(_handled, StringComparer.Ordinal);
}
