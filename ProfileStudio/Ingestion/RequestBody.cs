using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace ProfileStudio.Ingestion;

/// <summary>
/// Reads a request body, gunzipping when asked, and stops at a size limit (checked before and after
/// decompression). A compressed body must be whole: its checksum and length at the end must match what it held.
/// </summary>
internal static class RequestBody
{
    public sealed record Result(byte[]? Bytes, string? Error);

    public static async Task<Result> ReadAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            return new Result(null, TooLarge(maxBytes));
        }
        var encoding = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        if (encoding is not ("" or "identity" or "gzip" or "deflate"))
        {
            return new Result(null, $"Content-Encoding \"{encoding}\" is not supported; send the body as is or gzip it.");
        }
        // As sent, compressed or not: a compressed body is never larger than the limit on what it holds (gzip adds
        // 18 bytes and 5 per 64 KB to data it cannot compress).
        if (await ReadAtMostAsync(request.Body, maxBytes, ct) is not { } sent)
        {
            return new Result(null, TooLarge(maxBytes));
        }
        if (encoding is "" or "identity" || sent.Length == 0)
        {
            return new Result(sent, null);
        }
        byte[]? bytes;
        var compressed = new MemoryStream(sent, writable: false);
        await using (Stream source = encoding == "gzip"
            ? new GZipStream(compressed, CompressionMode.Decompress)
            : new ZLibStream(compressed, CompressionMode.Decompress))
        {
            try
            {
                bytes = await ReadAtMostAsync(source, maxBytes, ct);
            }
            catch (InvalidDataException)
            {
                return new Result(null, $"The body is not valid {encoding} data.");
            }
        }
        if (bytes is null)
        {
            return new Result(null, TooLarge(maxBytes));
        }
        // .NET's decompressors end quietly where the data ends, even in the middle of a block: the body's own end is checked here.
        var problem = encoding == "gzip" ? GzipEndProblem(sent, bytes) : ZlibEndProblem(sent, bytes);
        return problem is null ? new Result(bytes, null) : new Result(null, problem);
    }

    /// <summary>The whole stream, or null when it holds more than <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadAtMostAsync(Stream source, int maxBytes, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return null;
            }
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// A gzip body ends with the CRC-32 and the length of what its last member holds (several members may follow one
    /// another, each with its own); null when they match the data read.
    /// </summary>
    internal static string? GzipEndProblem(ReadOnlySpan<byte> sent, ReadOnlySpan<byte> data)
    {
        if (sent.Length >= 18)
        {
            var (crc, size) = (BinaryPrimitives.ReadUInt32LittleEndian(sent[^8..^4]), BinaryPrimitives.ReadUInt32LittleEndian(sent[^4..]));
            if (size <= data.Length && Crc32.HashToUInt32(data[^(int)size..]) == crc)
            {
                return null;
            }
        }
        Span<byte> end = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(end, Crc32.HashToUInt32(data));
        BinaryPrimitives.WriteUInt32LittleEndian(end[4..], (uint)data.Length);
        return EndProblem("gzip", sent, 10, end);
    }

    /// <summary>A zlib ("deflate") body ends with the Adler-32 of what it holds; null when it matches the data read.</summary>
    internal static string? ZlibEndProblem(ReadOnlySpan<byte> sent, ReadOnlySpan<byte> data)
    {
        Span<byte> end = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(end, Adler32(data));
        return sent.Length >= 6 && sent.EndsWith(end) ? null : EndProblem("deflate", sent, 2, end);
    }

    /// <summary>Why a compressed body's end does not match: bytes after the end of its data, or (far more often) cut short.</summary>
    private static string EndProblem(string encoding, ReadOnlySpan<byte> sent, int headerLength, ReadOnlySpan<byte> end)
    {
        var at = sent.Length > headerLength ? sent[headerLength..].LastIndexOf(end) : -1;
        if (at >= 0)
        {
            var extra = sent.Length - headerLength - at - end.Length;
            return $"The {encoding}-compressed body has {extra:N0} {(extra == 1 ? "byte" : "bytes")} after the end of its compressed data; "
                + "send the compressed data alone. Nothing in it was accepted.";
        }
        return $"The {encoding}-compressed body is truncated: it ends before its compressed data does (the checksum and length "
            + $"that end {encoding} data are missing or do not match). Send the whole body again. Nothing in it was accepted.";
    }

    private static uint Adler32(ReadOnlySpan<byte> data)
    {
        const uint Modulus = 65521;
        var (a, b) = (1u, 0u);
        while (data.Length > 0)
        {
            // 5,552 bytes is the most that can be summed before b could pass 2^32.
            var chunk = data[..Math.Min(5552, data.Length)];
            foreach (var value in chunk)
            {
                a += value;
                b += a;
            }
            (a, b) = (a % Modulus, b % Modulus);
            data = data[chunk.Length..];
        }
        return (b << 16) | a;
    }

    private static string TooLarge(int maxBytes) => $"The request is larger than {maxBytes / 1024} KB; send fewer messages per batch.";
}
