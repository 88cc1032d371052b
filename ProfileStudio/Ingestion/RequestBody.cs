using System.IO.Compression;

namespace ProfileStudio.Ingestion;

/// <summary>Reads a request body, gunzipping when asked, and stops at a size limit (checked after decompression).</summary>
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
        Stream source;
        switch (encoding)
        {
            case "" or "identity":
                source = request.Body;
                break;
            case "gzip":
                source = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
                break;
            case "deflate":
                source = new ZLibStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
                break;
            default:
                return new Result(null, $"Content-Encoding \"{encoding}\" is not supported; send the body as is or gzip it.");
        }
        await using (source.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await source.ReadAsync(chunk, ct)) > 0)
                {
                    buffer.Write(chunk, 0, read);
                    if (buffer.Length > maxBytes)
                    {
                        return new Result(null, TooLarge(maxBytes));
                    }
                }
            }
            catch (InvalidDataException)
            {
                return new Result(null, $"The body is not valid {encoding} data.");
            }
            return new Result(buffer.ToArray(), null);
        }
    }

    private static string TooLarge(int maxBytes) => $"The request is larger than {maxBytes / 1024} KB; send fewer messages per batch.";
}
