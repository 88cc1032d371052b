using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// Storage port for the lake's one workload of writing: appending accepted and rejected messages with
/// the per-source hourly counters, in one transaction per group of requests (group commit).
/// </summary>
public interface ILakeAppend
{
    /// <summary>Opens the single lake writer's session (its connection and prepared statements).</summary>
    Task<ILakeAppendSession> OpenAsync(CancellationToken ct);
}

/// <summary>One open lake writer: each call is one durable transaction.</summary>
public interface ILakeAppendSession : IDisposable
{
    /// <summary>
    /// Stores every group's messages and counters in one transaction, durable when it returns.
    /// Retries (same source and messageId) and file lines already stored count as duplicates.
    /// </summary>
    LakeWriteResult[] Append(IReadOnlyList<LakeAppendGroup> groups);
}

/// <summary>Messages one request appends: its source, its file batch (if any) and when they were received.</summary>
public record LakeAppendGroup(int SourceId, IReadOnlyList<IncomingMessage> Messages, long? BatchId, DateTime ReceivedAt);
