using System.Buffers;
using System.IO.Pipelines;

namespace Relay.Api.Realtime.Upgrade;

/// <summary>
/// A connection's transport pipes as the stream a WebSocket runs over. A read waits on the input pipe without a
/// buffer of its own (the socket transport itself waits with zero-byte reads), then copies what is there; a write
/// goes into the output pipe and is flushed. Disposing it leaves the pipes alone: they belong to the connection,
/// which Kestrel completes when the connection handler returns. It notes when bytes last arrived
/// (<see cref="IReceiveActivity"/>), so that the stream above need not wrap every read to learn it.
/// </summary>
internal sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream, IReceiveActivity
{
    private long _lastReceived = KeepAliveSweep.Clock.GetTimestamp();

    public long LastReceived => Volatile.Read(ref _lastReceived);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await pipe.Input.ReadAsync(cancellationToken);
            var received = result.Buffer;
            if (received.IsEmpty)
            {
                pipe.Input.AdvanceTo(received.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return 0;
                }

                continue;
            }

            if (buffer.IsEmpty)
            {
                // A zero-byte read: data is there, none is taken.
                pipe.Input.AdvanceTo(received.Start);
                return 0;
            }

            var count = (int)Math.Min(received.Length, buffer.Length);
            received.Slice(0, count).CopyTo(buffer.Span);
            pipe.Input.AdvanceTo(received.GetPosition(count));
            Volatile.Write(ref _lastReceived, KeepAliveSweep.Clock.GetTimestamp());
            return count;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await pipe.Output.WriteAsync(buffer, cancellationToken);
        if (result.IsCompleted)
        {
            throw new IOException("The connection is closed.");
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken) => await pipe.Output.FlushAsync(cancellationToken);

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
