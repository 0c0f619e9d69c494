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
internal sealed class DuplexPipeStream(IDuplexPipe pipe) : ConnectionStream
{
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
            NoteReceived();
            return count;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await pipe.Output.WriteAsync(buffer, cancellationToken);
        if (result.IsCompleted)
        {
            throw new IOException("The connection is closed.");
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken) => await pipe.Output.FlushAsync(cancellationToken);
}
