using System.Buffers;
using System.Net.WebSockets;

namespace Relay.Api.Realtime;

/// <summary>What <see cref="MessageReader.ReceiveAsync"/> found.</summary>
internal enum ReceiveOutcome
{
    /// <summary>A whole message, in <see cref="MessageReader.Message"/>.</summary>
    Message,

    /// <summary>A message over the limit: reading stopped one byte past it.</summary>
    TooBig,

    /// <summary>The client's close frame.</summary>
    Close,
}

/// <summary>
/// Reassembles a connection's client messages, one at a time, into a pooled buffer that grows with the
/// message up to <c>maxBytes</c>. Every receive asks for no more than the bytes the limit still allows (the
/// WebSocket fills what it is given before it returns), so a message is known to be too big once one byte past
/// the limit has been read, whatever its frame headers declare. Between messages it holds no buffer. Reads
/// take no token: closing and aborting end them by aborting the socket.
/// </summary>
internal sealed class MessageReader(WebSocket socket, int maxBytes) : IDisposable
{
    private const int InitialBufferBytes = 4096;

    private byte[]? _buffer;
    private int _count;

    /// <summary>One byte, to learn whether a message that has filled the limit goes on.</summary>
    private byte[]? _probe;

    /// <summary>The last message received; valid until the next receive.</summary>
    public ReadOnlyMemory<byte> Message => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _count);

    public bool IsText { get; private set; }

    /// <summary>Waits for the next message and reads it whole, unless it is too big or the client closes.</summary>
    public async ValueTask<ReceiveOutcome> ReceiveAsync()
    {
        ReturnBuffer();

        // Between messages, wait with a zero-byte read: an idle connection holds no buffer.
        var result = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
        IsText = result.MessageType == WebSocketMessageType.Text;
        while (true)
        {
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return ReceiveOutcome.Close;
            }

            if (result.EndOfMessage)
            {
                return ReceiveOutcome.Message;
            }

            if (_count == maxBytes)
            {
                // The message has filled the limit: one more byte, if there is one, makes it too big. (A zero-length
                // final fragment may still end it at exactly the limit.)
                result = await socket.ReceiveAsync((_probe ??= new byte[1]).AsMemory(), CancellationToken.None);
                if (result.Count > 0 && result.MessageType != WebSocketMessageType.Close)
                {
                    return ReceiveOutcome.TooBig;
                }

                continue;
            }

            result = await socket.ReceiveAsync(SpaceUpToLimit(), CancellationToken.None);
            _count += result.Count;
        }
    }

    /// <summary>
    /// After <see cref="ReceiveOutcome.TooBig"/>: drops the rest of that message through a small buffer, so that the
    /// client's answer to the close frame can still be read. False when the client closed meanwhile.
    /// </summary>
    public async ValueTask<bool> DiscardRestOfMessageAsync()
    {
        ReturnBuffer();
        var scratch = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(scratch.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return false;
                }

                if (result.EndOfMessage)
                {
                    return true;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public void Dispose() => ReturnBuffer();

    /// <summary>The free part of the buffer, grown if it is full, never reaching past the limit.</summary>
    private Memory<byte> SpaceUpToLimit()
    {
        _buffer ??= ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, maxBytes));
        if (_count == Math.Min(_buffer.Length, maxBytes))
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, maxBytes));
            _buffer.AsSpan(0, _count).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        return _buffer.AsMemory(_count, Math.Min(_buffer.Length, maxBytes) - _count);
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _count = 0;
    }
}
