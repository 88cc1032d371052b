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

    Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct);
}

public sealed class ChangeFeedOptions
{
    public const string Section = "ProfileStudio:ChangeFeed";

    /// <summary>The most rows handed to a consumer at once.</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>Rows every consumer has read are kept this long (for looking back), then pruned.</summary>
    public double RetentionHours { get; set; } = 24;

    /// <summary>The longest pause between two attempts of a failing consumer.</summary>
    public double MaxBackoffSeconds { get; set; } = 60;
}

/// <summary>A consumer's place in the feed, for Identity › Unification.</summary>
public sealed record ChangeFeedConsumerStatus(string Name, string Description, long Position, long FeedEnd, DateTime? OldestUnreadAt, int Failures, string? LastError, DateTime? LastErrorAt)
{
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
