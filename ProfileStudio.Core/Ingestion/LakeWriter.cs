using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Ingestion;

public sealed class IngestionOptions
{
    public const string Section = "ProfileStudio:Ingestion";

    /// <summary>Messages waiting for the writer before new requests get 429.</summary>
    public int MaxQueuedMessages { get; set; } = 200_000;

    /// <summary>Most messages written in one transaction (group commit).</summary>
    public int MaxMessagesPerCommit { get; set; } = 20_000;
}

/// <summary>What one write did: new accepted rows, rejected rows, and retries already in the lake.</summary>
public sealed record LakeWriteResult(int Accepted, int Rejected, int Duplicates);

/// <summary>
/// The single writer of the lake. Requests queue their messages; the writer drains the queue and
/// writes everything waiting in one transaction (group commit), then completes each request: a
/// client hears back only after its messages are durable. The queue is bounded by a message count,
/// so an overloaded server answers 429 instead of growing without limit.
/// </summary>
public sealed class LakeWriter(
    ILakeAppend lakeAppend,
    IOptions<IngestionOptions> options,
    LakeNotifications notifications,
    TimeProvider time,
    ILogger<LakeWriter> logger) : BackgroundService
{
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private long _queued;
    private TaskCompletionSource _roomFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Queues messages unless the queue is full; the task completes after the commit.</summary>
    public bool TryWrite(int sourceId, IReadOnlyList<IncomingMessage> messages, long? batchId, out Task<LakeWriteResult> committed)
    {
        if (Interlocked.Add(ref _queued, messages.Count) > options.Value.MaxQueuedMessages && messages.Count > 0)
        {
            Interlocked.Add(ref _queued, -messages.Count);
            committed = Task.FromResult(new LakeWriteResult(0, 0, 0));
            return false;
        }
        var pending = new PendingWrite(sourceId, messages, batchId, time.GetUtcNow().UtcDateTime);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref _queued, -messages.Count);
            committed = Task.FromException<LakeWriteResult>(new InvalidOperationException("The server is shutting down."));
            return false;
        }
        committed = pending.Done.Task;
        return true;
    }

    /// <summary>Queues messages, waiting for room instead of refusing (file uploads apply back-pressure).</summary>
    public async Task<LakeWriteResult> WriteAsync(int sourceId, IReadOnlyList<IncomingMessage> messages, long? batchId, CancellationToken ct)
    {
        var room = Capacity;
        if (messages.Count > room)
        {
            // More than the whole queue holds would never fit: write it in pieces that do.
            int accepted = 0, rejected = 0, duplicates = 0;
            foreach (var piece in messages.Chunk(room))
            {
                var result = await WriteAsync(sourceId, piece, batchId, ct);
                accepted += result.Accepted;
                rejected += result.Rejected;
                duplicates += result.Duplicates;
            }
            return new LakeWriteResult(accepted, rejected, duplicates);
        }
        while (true)
        {
            var freed = RoomFreed; // taken before trying, so room freed in between is not missed
            if (TryWrite(sourceId, messages, batchId, out var committed))
            {
                return await committed;
            }
            await freed.WaitAsync(ct);
        }
    }

    /// <summary>Messages waiting for the writer (accepted by <see cref="TryWrite"/>, not yet committed or failed).</summary>
    public long QueuedMessages => Interlocked.Read(ref _queued);

    /// <summary>
    /// Completes when the writer next takes messages off the queue (after their commit, or its failure):
    /// a writer that found the queue full waits for this instead of polling a clock.
    /// </summary>
    public Task RoomFreed => Volatile.Read(ref _roomFreed).Task;

    /// <summary>The most messages one write can queue; larger writes must be split.</summary>
    public int Capacity => Math.Max(1, options.Value.MaxQueuedMessages);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete(); // drain what was accepted, then stop
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        // Opening the lake is retried until it works (requests wait in the queue meanwhile); a stop before then
        // leaves the queued requests to time out, which their clients retry.
        using var writer = await BackgroundRetry.RunAsync(logger, "Opening the lake for writing", lakeAppend.OpenAsync, stoppingToken);

        var group = new List<PendingWrite>();
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            group.Clear();
            var count = 0;
            while (count < options.Value.MaxMessagesPerCommit && _queue.Reader.TryRead(out var pending))
            {
                group.Add(pending);
                count += pending.Messages.Count;
            }
            try
            {
                var results = writer.Append(group);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Done.TrySetResult(results[i]);
                }
                notifications.Publish(group.Select(g => g.SourceId).Distinct().ToList());
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Writing {Count} messages to the lake failed; their requests get an error.", count);
                foreach (var pending in group)
                {
                    pending.Done.TrySetException(ex);
                }
            }
            finally
            {
                Interlocked.Add(ref _queued, -count);
                Interlocked.Exchange(ref _roomFreed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
    }

    internal sealed record PendingWrite(int SourceId, IReadOnlyList<IncomingMessage> Messages, long? BatchId, DateTime ReceivedAt)
        : LakeAppendGroup(SourceId, Messages, BatchId, ReceivedAt)
    {
        public TaskCompletionSource<LakeWriteResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
