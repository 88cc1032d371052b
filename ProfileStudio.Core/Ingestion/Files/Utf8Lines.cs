namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>The lines of a stream as raw bytes, split on <c>\n</c> (a <c>\r</c> before it is left to the caller).</summary>
public static class Utf8Lines
{
    /// <summary>
    /// Each line without its <c>\n</c>; the last one even without a final line break. A yielded line is valid until
    /// the next one is asked for (the buffer is reused), and a line longer than the buffer grows it.
    /// </summary>
    /// <summary><see cref="Read"/> for a stream read asynchronously (a request body).</summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct,
        int bufferSize = 64 * 1024)
    {
        var buffer = new byte[bufferSize];
        int start = 0, scanned = 0, end = 0;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', scanned, end - scanned);
            if (newline >= 0)
            {
                yield return buffer.AsMemory(start, newline - start);
                start = scanned = newline + 1;
                continue;
            }
            scanned = end;
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                scanned -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var read = await stream.ReadAsync(buffer.AsMemory(end), ct);
            if (read == 0)
            {
                if (end > start)
                {
                    yield return buffer.AsMemory(start, end - start);
                }
                yield break;
            }
            end += read;
        }
    }

    public static IEnumerable<ReadOnlyMemory<byte>> Read(Stream stream, int bufferSize = 64 * 1024)
    {
        var buffer = new byte[bufferSize];
        int start = 0, scanned = 0, end = 0;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', scanned, end - scanned);
            if (newline >= 0)
            {
                yield return buffer.AsMemory(start, newline - start);
                start = scanned = newline + 1;
                continue;
            }
            scanned = end; // what is buffered holds no line break: only new bytes are searched
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                scanned -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var read = stream.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > start)
                {
                    yield return buffer.AsMemory(start, end - start);
                }
                yield break;
            }
            end += read;
        }
    }
}
