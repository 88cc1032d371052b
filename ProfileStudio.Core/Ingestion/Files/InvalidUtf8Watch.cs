using System.Text;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>
/// A UTF-8 decoding for files read as text (CSV through CsvHelper's reader) that notes when it meets bytes
/// that are not UTF-8. They still become U+FFFD, as any decoder makes them; the reader then rejects the rows
/// holding U+FFFD once <see cref="Seen"/> is set, instead of storing altered values. The decoder runs ahead
/// of the parser, so the flag is set before the row with the bad bytes is read. A file whose bytes are all
/// UTF-8 never sets it, so a U+FFFD written in the file on purpose is kept.
/// </summary>
public sealed class InvalidUtf8Watch : DecoderFallback
{
    public InvalidUtf8Watch()
    {
        var encoding = (Encoding)new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).Clone();
        encoding.DecoderFallback = this;
        Encoding = encoding;
    }

    /// <summary>UTF-8 decoding through this fallback.</summary>
    public Encoding Encoding { get; }

    /// <summary>Whether bytes that are not UTF-8 were met since the reading started.</summary>
    public bool Seen { get; private set; }

    public const string Problem = "holds bytes that are not UTF-8 text (shown as �); save the file as UTF-8 and upload it again";

    public override int MaxCharCount => 1;

    public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

    private sealed class Buffer(InvalidUtf8Watch watch) : DecoderFallbackBuffer
    {
        private int _left;

        public override int Remaining => _left;

        public override bool Fallback(byte[] bytesUnknown, int index)
        {
            watch.Seen = true;
            _left = 1;
            return true;
        }

        public override char GetNextChar()
        {
            if (_left == 0)
            {
                return '\0';
            }
            _left--;
            return '\uFFFD';
        }

        public override bool MovePrevious()
        {
            if (_left == 1)
            {
                return false;
            }
            _left++;
            return true;
        }

        public override void Reset() => _left = 0;
    }
}
