using System.Net;
using System.Text;

namespace Relay.IntegrationTests.Rest;

/// <summary>
/// A JSON body of any size, generated as it is sent (never held in memory): <c>prefix</c>, then <c>x</c>s, then
/// <c>suffix</c>. Declared with a `Content-Length`, or sent chunked. Counts the bytes it wrote, so a test can
/// tell how much of the body the server made the client send.
/// </summary>
internal sealed class LargeJsonContent : HttpContent
{
    private const int ChunkSize = 16 * 1024;
    private readonly byte[] _prefix;
    private readonly byte[] _suffix;
    private readonly long _length;
    private readonly bool _chunked;
    private long _written;

    private LargeJsonContent(string prefix, long fillerBytes, string suffix, bool chunked)
    {
        _prefix = Encoding.UTF8.GetBytes(prefix);
        _suffix = Encoding.UTF8.GetBytes(suffix);
        _length = _prefix.Length + fillerBytes + _suffix.Length;
        _chunked = chunked;
        Headers.ContentType = new("application/json");
    }

    /// <summary>Bytes of the body written to the connection so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary><c>{"metadata":{"k":"xxx..."}}</c> of about <paramref name="bytes"/> bytes.</summary>
    public static LargeJsonContent Metadata(long bytes, bool chunked) => new("{\"metadata\":{\"k\":\"", bytes, "\"}}", chunked);

    /// <summary><c>{"data":"xxx..."}</c> of about <paramref name="bytes"/> bytes.</summary>
    public static LargeJsonContent Data(long bytes, bool chunked) => new("{\"data\":\"", bytes, "\"}", chunked);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await WriteAsync(stream, _prefix);
        var filler = new byte[ChunkSize];
        filler.AsSpan().Fill((byte)'x');
        for (var left = _length - _prefix.Length - _suffix.Length; left > 0; left -= ChunkSize)
        {
            await WriteAsync(stream, filler.AsMemory(0, (int)Math.Min(left, ChunkSize)));
        }

        await WriteAsync(stream, _suffix);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return !_chunked;
    }

    private async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> bytes)
    {
        await stream.WriteAsync(bytes);
        Interlocked.Add(ref _written, bytes.Length);
    }
}
