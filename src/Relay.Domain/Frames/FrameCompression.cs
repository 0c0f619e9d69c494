using System.IO.Compression;

namespace Relay.Domain.Frames;

/// <summary>
/// How frames are compressed for connections that negotiated `permessage-deflate` (RFC 7692) without context
/// takeover: each payload of at least <see cref="MinBytes"/> bytes on its own, as raw DEFLATE ended by a sync flush
/// whose trailing `00 00 FF FF` is removed (RFC 7692 7.2.1). Stateless and thread-safe; one per server.
/// <see cref="OutboundFrame.WireMemoryFor"/> uses it at most once per frame, whatever the number of recipients.
/// </summary>
public sealed class FrameCompression
{
    /// <summary>The end of every sync flush, which RFC 7692 7.2.1 has the sender remove.</summary>
    private static ReadOnlySpan<byte> SyncFlushTail => [0x00, 0x00, 0xFF, 0xFF];

    private readonly ZLibCompressionOptions _zlib;

    /// <param name="minBytes">Payloads shorter than this stay plain.</param>
    /// <param name="level">The zlib effort (Fastest, Optimal or SmallestSize).</param>
    public FrameCompression(int minBytes, CompressionLevel level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minBytes);
        MinBytes = minBytes;
        _zlib = new ZLibCompressionOptions
        {
            CompressionLevel = level switch
            {
                CompressionLevel.Fastest => 1,
                CompressionLevel.SmallestSize => 9,
                CompressionLevel.NoCompression => 0,
                _ => 6,
            },
        };
    }

    public int MinBytes { get; }

    /// <summary>
    /// Deflates <paramref name="payload"/> into <paramref name="destination"/> from <paramref name="offset"/>; returns the
    /// length of the RFC 7692 payload, or -1 when it would not be shorter than <paramref name="payload"/> (or does not
    /// fit in the destination), in which case the frame goes plain.
    /// </summary>
    internal int Deflate(ReadOnlySpan<byte> payload, byte[] destination, int offset)
    {
        if (payload.IsEmpty)
        {
            return -1;
        }

        // Room for the payload's length plus the tail that is cut off: anything longer is no gain.
        var capacity = Math.Min(destination.Length - offset, payload.Length + SyncFlushTail.Length);
        var output = new BoundedBufferStream(destination, offset, capacity);
        using (var deflate = new DeflateStream(output, _zlib, leaveOpen: true))
        {
            deflate.Write(payload);

            // Flush is a sync flush: every byte so far, byte-aligned, ending in an empty stored block (00 00 FF FF).
            deflate.Flush();
            output.Seal();
        }

        if (output.Overflowed)
        {
            return -1;
        }

        var written = output.Written;
        if (written < SyncFlushTail.Length || !destination.AsSpan(offset + written - SyncFlushTail.Length, SyncFlushTail.Length).SequenceEqual(SyncFlushTail))
        {
            throw new InvalidOperationException("The deflater's sync flush did not end in 00 00 FF FF.");
        }

        var length = written - SyncFlushTail.Length;
        return length < payload.Length ? length : -1;
    }

    /// <summary>
    /// A write-only stream over a slice of an array: what goes past its end is dropped and marks it overflowed; once
    /// sealed, later writes (the final block a deflater writes when it is disposed) are dropped.
    /// </summary>
    private sealed class BoundedBufferStream(byte[] target, int start, int capacity) : Stream
    {
        private bool _sealed;

        public int Written { get; private set; }

        public bool Overflowed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position
        {
            get => Written;
            set => throw new NotSupportedException();
        }

        public void Seal() => _sealed = true;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_sealed || Overflowed)
            {
                return;
            }

            if (Written + buffer.Length > capacity)
            {
                Overflowed = true;
                return;
            }

            buffer.CopyTo(target.AsSpan(start + Written));
            Written += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
