using System.Buffers;
using Relay.Domain.Frames;

namespace Relay.Api.Realtime;

/// <summary>
/// The upgraded connection's stream under the server's WebSocket. Reads pass straight through; every write
/// (the WebSocket's own control frames, and the writer loop's batches) goes through one lock, so frames never
/// interleave. <see cref="WriteFramesAsync"/> copies a batch of pre-encoded frames into one buffer and hands
/// the socket a single write for all of them, where sending each message on its own would cost a write and
/// a flush per frame. Once a close frame has gone out (the writer's, or the one the WebSocket writes by itself
/// when the client breaks the protocol), nothing else is written (RFC 6455 5.5.1): batches are refused and the
/// WebSocket's later writes are dropped. The WebSocket disposes the stream when it ends;
/// <paramref name="onDispose"/> then lets the owner abort the connection if the WebSocket was aborted (a
/// keep-alive timeout), so that a pending read ends at once; Kestrel's own stream does nothing on dispose,
/// since it cannot tell an abort from a graceful close.
/// </summary>
internal sealed class CoalescingStream(Stream inner, Action onDispose) : Stream
{
    /// <summary>How many bytes one coalesced write carries at most.</summary>
    public const int ChunkBytes = 32 * 1024;

    /// <summary>An unmasked ping frame with no payload (RFC 6455 5.5.2).</summary>
    private static readonly ReadOnlyMemory<byte> PingFrame = new byte[] { 0x89, 0x00 };

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private long _lastReceived = KeepAliveSweep.Clock.GetTimestamp();

    /// <summary>The inner stream's own note of its reads, when it keeps one: then reads pass straight through.</summary>
    private readonly IReceiveActivity? _innerActivity = inner as IReceiveActivity;

    /// <summary>When bytes last came from the peer (a timestamp of <see cref="KeepAliveSweep.Clock"/>), or when the stream was made.</summary>
    public long LastReceived => _innerActivity?.LastReceived ?? Volatile.Read(ref _lastReceived);

    /// <summary>Set, under the write lock, when a close frame is written.</summary>
    private bool _closeFrameWritten;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Writes the frames' wire bytes in as few writes as fit in <see cref="ChunkBytes"/> chunks; false, writing
    /// nothing, when a close frame has already been written. With <paramref name="compression"/> (the connection
    /// negotiated `permessage-deflate`), each frame goes in its shared compressed form where it has one.
    /// </summary>
    internal async ValueTask<bool> WriteFramesAsync(IReadOnlyList<Queued> frames, FrameCompression? compression, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        byte[]? chunk = null;
        try
        {
            if (_closeFrameWritten)
            {
                return false;
            }

            var used = 0;
            for (var i = 0; i < frames.Count; i++)
            {
                var wire = frames[i].Frame.WireMemoryFor(compression);
                if (wire.Length >= ChunkBytes)
                {
                    if (used > 0)
                    {
                        await inner.WriteAsync(chunk.AsMemory(0, used), cancellationToken);
                        used = 0;
                    }

                    await inner.WriteAsync(wire, cancellationToken);
                    continue;
                }

                chunk ??= ArrayPool<byte>.Shared.Rent(ChunkBytes);
                if (used + wire.Length > chunk.Length)
                {
                    await inner.WriteAsync(chunk.AsMemory(0, used), cancellationToken);
                    used = 0;
                }

                wire.Span.CopyTo(chunk.AsSpan(used));
                used += wire.Length;
            }

            if (used > 0)
            {
                await inner.WriteAsync(chunk.AsMemory(0, used), cancellationToken);
            }

            return true;
        }
        finally
        {
            if (chunk is not null)
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends a ping, after whatever is being written, unless a close frame has gone out. Never throws: a connection
    /// that cannot take it is ending anyway.
    /// </summary>
    public async Task PingAsync()
    {
        try
        {
            await _writeLock.WaitAsync();
            try
            {
                if (!_closeFrameWritten)
                {
                    await inner.WriteAsync(PingFrame);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is gone: its read loop ends it.
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_innerActivity is not null)
        {
            return inner.ReadAsync(buffer, cancellationToken);
        }

        var read = inner.ReadAsync(buffer, cancellationToken);
        if (!read.IsCompletedSuccessfully)
        {
            return AwaitReadAsync(read);
        }

        var count = read.Result;
        NoteReceived(count);
        return new ValueTask<int>(count);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        NoteReceived(read);
        return read;
    }

    private async ValueTask<int> AwaitReadAsync(ValueTask<int> read)
    {
        var count = await read;
        NoteReceived(count);
        return count;
    }

    /// <summary>Any byte from the peer (a message, a pong, a ping) shows that it is there.</summary>
    private void NoteReceived(int count)
    {
        if (count > 0)
        {
            Volatile.Write(ref _lastReceived, KeepAliveSweep.Clock.GetTimestamp());
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (PassesCloseFrameRule(buffer.Span))
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        _writeLock.Wait();
        try
        {
            if (PassesCloseFrameRule(buffer.AsSpan(offset, count)))
            {
                inner.Write(buffer, offset, count);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// For one of the WebSocket's own writes, under the write lock: false (drop it) once a close frame has been
    /// written; otherwise true, noting whether this write is the close frame. The WebSocket writes each frame
    /// whole, in one write, so a close frame is recognised by its shape: FIN and opcode 8, unmasked, and exactly
    /// as long as its header says.
    /// </summary>
    private bool PassesCloseFrameRule(ReadOnlySpan<byte> write)
    {
        if (_closeFrameWritten)
        {
            return false;
        }

        _closeFrameWritten = write.Length >= 2 && write[0] == 0x88 && write[1] <= 125 && write.Length == 2 + write[1];
        return true;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            onDispose();
        }

        base.Dispose(disposing);
    }
}
