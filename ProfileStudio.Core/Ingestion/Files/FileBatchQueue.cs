using System.Threading.Channels;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>Batches waiting for the processor, one at a time in upload order.</summary>
public sealed class FileBatchQueue
{
    private readonly Channel<long> _channel = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(long batchId) => _channel.Writer.TryWrite(batchId);

    public ChannelReader<long> Reader => _channel.Reader;
}
