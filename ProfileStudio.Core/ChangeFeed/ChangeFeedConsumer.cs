namespace ProfileStudio.Core.ChangeFeed;

/// <summary>
/// A reader of the change feed (dashboard snapshots, the union schema, segments, open studio pages; destinations when they come):
/// handed the rows after its own position, at least once, so handling must be idempotent. A failure
/// is retried with back-off and holds up neither unification nor the other consumers.
/// </summary>
public interface IChangeFeedConsumer
{
    /// <summary>A stable name: the key of its position.</summary>
    string Name { get; }

    /// <summary>What it does, for Identity › Unification.</summary>
    string Description { get; }

    /// <summary>A new consumer starts at the end of the feed (it needs no history), or at its oldest row.</summary>
    bool StartsAtEnd { get; }

    /// <summary>
    /// How soon after a commit its rows must be handled. <see cref="ChangeFeedUrgency.Immediate"/> (the default) for what a person
    /// or a rule waits on: segment memberships, open studio pages. <see cref="ChangeFeedUrgency.Periodic"/> for figures nobody
    /// reads within seconds of an event (the dashboard's, whose snapshot is minutes old by design, and the union schema's counts):
    /// the host then takes their rows every <see cref="ChangeFeedOptions.PeriodicConsumerSeconds"/>, in larger batches.
    /// </summary>
    ChangeFeedUrgency Urgency => ChangeFeedUrgency.Immediate;

    Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct);
}

/// <summary>How soon a consumer handles the rows after they are committed (<see cref="IChangeFeedConsumer.Urgency"/>).</summary>
public enum ChangeFeedUrgency
{
    /// <summary>Woken by every commit.</summary>
    Immediate,

    /// <summary>
    /// Handles what has come at most every <see cref="ChangeFeedOptions.PeriodicConsumerSeconds"/> (at once while it is behind).
    /// Each batch costs a consumer a transaction, a synced commit and a save of its position whatever its size, so under
    /// sustained load fewer, larger batches leave the cores to the immediate consumers.
    /// </summary>
    Periodic,
}

public sealed class ChangeFeedOptions
{
    public const string Section = "ProfileStudio:ChangeFeed";

    /// <summary>The most rows handed to a consumer at once.</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>Rows every consumer has read are kept this long (for looking back), then pruned.</summary>
    public double RetentionHours { get; set; } = 24;

    /// <summary>
    /// How long a <see cref="ChangeFeedUrgency.Periodic"/> consumer waits after handling rows before it reads the next ones (0: as
    /// soon as they come, as the immediate ones).
    /// </summary>
    public double PeriodicConsumerSeconds { get; set; } = 3;

    /// <summary>The longest pause between two attempts of a failing consumer.</summary>
    public double MaxBackoffSeconds { get; set; } = 60;
}

/// <summary>A consumer's place in the feed, for Identity › Unification.</summary>
public sealed record ChangeFeedConsumerStatus(string Name, string Description, long Position, long FeedEnd, DateTime? OldestUnreadAt, int Failures, string? LastError, DateTime? LastErrorAt)
{
    public ChangeFeedUrgency Urgency { get; init; }

    public long RowsBehind => Math.Max(0, FeedEnd - Position);
}

/// <summary>
/// Wakes the consumers when a run commits (a hint: they also look every second of the injected
/// clock, so a lost hint delays but never loses anything).
/// </summary>
public sealed class ChangeFeedSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Notify"/>.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
