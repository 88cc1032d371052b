using System.Buffers;
using System.Text;
using System.Text.Json;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// A JSON writer and its buffer kept per thread, for texts written millions of times (stored states, value keys):
/// <see cref="Start"/> hands the thread's writer emptied, <see cref="Finish"/> returns what was written. Default
/// writer options: the escaping is System.Text.Json's serializer's.
/// </summary>
internal static class ReusedJsonWriter
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    public static Utf8JsonWriter Start()
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>The text the thread's writer wrote since <see cref="Start"/>.</summary>
    public static string Finish()
    {
        _writer!.Flush();
        return Encoding.UTF8.GetString(_buffer!.WrittenSpan);
    }
}
