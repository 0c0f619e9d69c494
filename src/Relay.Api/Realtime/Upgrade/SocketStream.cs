using System.Buffers;
using System.Net.Sockets;

namespace Relay.Api.Realtime.Upgrade;

/// <summary>
/// An accepted socket as the stream a WebSocket runs over, for the connections the lean listener serves itself
/// (<see cref="LeanListener"/>). An idle connection holds no buffer of its own: a read waits in the socket's own
/// receive, into the WebSocket's buffer (a zero-byte read waits for data without one); once bytes are there, a
/// small read takes all that has arrived into a pooled chunk, kept only until the WebSocket has read it. A write
/// is sent at once from the caller's buffer, without blocking, falling back to an asynchronous send only while the
/// socket's send buffer is full.
/// It notes when the last read began (<see cref="IReceiveActivity"/>): the read loop starts a read as soon as the
/// previous one has delivered its bytes, so that is when bytes last arrived. Disposing it leaves the socket alone:
/// its owner closes it.
/// </summary>
internal sealed class SocketStream : ConnectionStream
{
    /// <summary>The most one receive takes for the WebSocket's small reads.</summary>
    private const int ReceiveBytes = 4096;

    private readonly Socket _socket;

    /// <summary>Bytes received and not yet read (<see cref="_start"/> to <see cref="_end"/>), or null: held only while they last.</summary>
    private byte[]? _received;
    private int _start;
    private int _end;

    /// <param name="socket">The connection's socket; it is put in non-blocking mode.</param>
    public SocketStream(Socket socket)
    {
        _socket = socket;
        socket.Blocking = false;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        NoteReceived();
        if (_received is not null)
        {
            return new ValueTask<int>(TakeReceived(buffer.Span));
        }

        if (buffer.IsEmpty || buffer.Length >= ReceiveBytes)
        {
            return _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        }

        // A small read (the WebSocket's frame header): take whatever has arrived, up to a pooled chunk, in one
        // receive, so that several small frames cost one system call; wait without a buffer when nothing has.
        var chunk = ArrayPool<byte>.Shared.Rent(ReceiveBytes);
        int received;
        SocketError error;
        try
        {
            received = _socket.Receive(chunk, 0, ReceiveBytes, SocketFlags.None, out error);
        }
        catch (ObjectDisposedException)
        {
            ArrayPool<byte>.Shared.Return(chunk);
            throw;
        }

        if (error != SocketError.Success || received == 0)
        {
            ArrayPool<byte>.Shared.Return(chunk);
            return error == SocketError.WouldBlock
                ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)
                : error == SocketError.Success ? new ValueTask<int>(0) : ValueTask.FromException<int>(new SocketException((int)error));
        }

        _received = chunk;
        _start = 0;
        _end = received;
        return new ValueTask<int>(TakeReceived(buffer.Span));
    }

    /// <summary>Copies what it can of the received chunk; the chunk goes back to the pool once it is all taken.</summary>
    private int TakeReceived(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _end - _start);
        _received.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        if (_start == _end)
        {
            ArrayPool<byte>.Shared.Return(_received!);
            _received = null;
        }

        return count;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Most writes go whole into the socket's send buffer: no wait, no state machine.
        while (!buffer.IsEmpty)
        {
            int sent;
            SocketError error;
            try
            {
                sent = _socket.Send(buffer.Span, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException ex)
            {
                return ValueTask.FromException(new IOException("The connection is closed.", ex));
            }

            if (error == SocketError.WouldBlock)
            {
                return SendRestAsync(buffer, cancellationToken);
            }

            if (error != SocketError.Success)
            {
                return ValueTask.FromException(new IOException($"The connection is closed ({error}).", new SocketException((int)error)));
            }

            buffer = buffer[sent..];
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The rest of a write the socket could not take at once: sent asynchronously, whole.</summary>
    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        try
        {
            while (!rest.IsEmpty)
            {
                var sent = await _socket.SendAsync(rest, SocketFlags.None, cancellationToken);
                if (sent == 0)
                {
                    throw new IOException("The connection is closed.");
                }

                rest = rest[sent..];
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            throw new IOException("The connection is closed.", ex);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
