namespace Relay.Api.Realtime.Upgrade;

/// <summary>
/// What the lean paths' connection streams (<see cref="SocketStream"/>, <see cref="DuplexPipeStream"/>) share: a
/// duplex, unseekable stream whose array and synchronous overloads go to the <see cref="Memory{T}"/> ones, and the
/// note of when bytes last arrived, for the keep-alive (<see cref="IReceiveActivity"/>).
/// </summary>
internal abstract class ConnectionStream : Stream, IReceiveActivity
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

    /// <summary>Notes that bytes arrived now (or, for <see cref="SocketStream"/>, that a read began).</summary>
    protected void NoteReceived() => Volatile.Write(ref _lastReceived, KeepAliveSweep.Clock.GetTimestamp());

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
