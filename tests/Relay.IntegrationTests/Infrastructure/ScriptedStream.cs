using System.IO.Pipelines;

namespace Relay.IntegrationTests.Infrastructure;

/// <summary>
/// The connection under a server WebSocket, played by the test instead of a peer: what the client "sends" is
/// fed in with <see cref="SendFromClientAsync"/>, and writes can be held back (a client that stops reading) or
/// made to fail with an exception of the test's choice (a fault nobody foresaw).
/// </summary>
public sealed class ScriptedStream : Stream
{
    private readonly Pipe _fromClient = new();
    private readonly TaskCompletionSource _firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _writesReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedStream() => _writesReleased.SetResult();

    /// <summary>Thrown by every write once set.</summary>
    public Exception? WriteFailure { get; set; }

    /// <summary>Completes when the first write begins.</summary>
    public Task FirstWrite => _firstWrite.Task;

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    private long _bytesWritten;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>From now on writes wait until <see cref="ReleaseWrites"/>.</summary>
    public void HoldWrites() => _writesReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseWrites() => _writesReleased.TrySetResult();

    public async Task SendFromClientAsync(byte[] bytes) => await _fromClient.Writer.WriteAsync(bytes);

    /// <summary>The client's side ends: reads return 0.</summary>
    public void EndFromClient() => _fromClient.Writer.Complete();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await _fromClient.Reader.ReadAsync(cancellationToken);
        var available = result.Buffer;
        if (buffer.IsEmpty || available.IsEmpty)
        {
            // A zero-byte read only waits for data; an empty completed pipe is the end of the stream.
            _fromClient.Reader.AdvanceTo(available.Start);
            return 0;
        }

        var count = (int)Math.Min(buffer.Length, available.Length);
        System.Buffers.BuffersExtensions.CopyTo(available.Slice(0, count), buffer.Span);
        _fromClient.Reader.AdvanceTo(available.GetPosition(count));
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _firstWrite.TrySetResult();
        if (WriteFailure is { } failure)
        {
            throw failure;
        }

        await _writesReleased.Task.WaitAsync(cancellationToken);
        Interlocked.Add(ref _bytesWritten, buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _fromClient.Writer.Complete();
            ReleaseWrites();
        }

        base.Dispose(disposing);
    }
}
