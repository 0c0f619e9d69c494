using System.Globalization;
using System.IO.Compression;
using System.Text;
using BenchmarkDotNet.Attributes;
using Relay.Domain.Frames;

namespace Relay.Benchmarks;

/// <summary>
/// `permessage-deflate` on the server's side of a relay: one frame built from a relayed message (a 1 KB game state or
/// a 200-byte chat line, as the `message` the recipients get), then written by <c>Members - 1</c> recipients, each
/// asking for its wire form as a connection's writer does. <c>Plain</c>: recipients without compression.
/// <c>Deflated</c>: recipients that negotiated compression, so the first one deflates the payload and every other
/// one shares those bytes (the difference between the two is the cost of compressing one message; the
/// Alloc/recipient column must stay 0 B). The wire sizes of both forms are printed at setup (`# wire`).
/// </summary>
[MemoryDiagnoser]
public class CompressionBenchmarks
{
    private byte[] _payload = null!;
    private FrameCompression _compression = null!;

    [Params("game state 1 KB", "chat 200 B")]
    public string Payload { get; set; } = null!;

    [Params(CompressionLevel.Fastest, CompressionLevel.Optimal)]
    public CompressionLevel Level { get; set; }

    [Params(2, 101)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = Encoding.UTF8.GetBytes(Payload.StartsWith("game", StringComparison.Ordinal) ? GameState() : Chat());

        // MinBytes 0: the chat line is deflated too, to show what it would cost and save (the default, 256, keeps it plain).
        _compression = new FrameCompression(minBytes: 0, Level);
        var frame = Build();
        var plain = frame.WireMemory.Length;
        var deflated = frame.WireMemoryFor(_compression).Length;
        frame.Release();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"# wire {Payload} ({Level}): payload {_payload.Length} B, plain frame {plain} B, compressed frame {deflated} B ({(double)deflated / plain:P0})"));
    }

    [Benchmark(Baseline = true)]
    public int Plain() => Write(null);

    [Benchmark]
    public int Deflated() => Write(_compression);

    /// <summary>A relayed `message` of about 1 KB: the state of ten players, as a game would send it each tick.</summary>
    internal static string GameState()
    {
        var random = new Random(2024);
        var players = new StringBuilder();
        for (var i = 1; i <= 10; i++)
        {
            players.Append(CultureInfo.InvariantCulture, $$"""{"id":{{i}},"name":"player-{{i}}","x":{{random.Next(0, 4000) / 10.0}},"y":{{random.Next(0, 3000) / 10.0}},"vx":{{random.Next(-50, 50) / 10.0}},"vy":{{random.Next(-50, 50) / 10.0}},"hp":{{random.Next(0, 101)}},"state":"{{(i % 3 == 0 ? "idle" : "running")}}"},""");
        }

        players.Length--;
        return """{"type":"message","from":1,"seq":4711,"data":{"tick":128934,"players":[""" + players + """],"ball":{"x":201.5,"y":148.25}}}""";
    }

    /// <summary>A relayed chat line of about 200 bytes.</summary>
    internal static string Chat() =>
        """{"type":"message","from":3,"seq":4712,"data":{"kind":"chat","name":"alice","text":"gg! rematch on the same map? loser picks the side, first to three rounds wins. anyone ready in 5?","at":1718000000123}}""";

    private OutboundFrame Build()
    {
        var frame = OutboundFrame.Rent(_payload.Length, FrameKind.Text);
        _payload.CopyTo(frame.WritableSpan);
        return frame;
    }

    /// <summary>Builds the frame and hands its wire form to each recipient, as its writer would; returns the bytes "sent".</summary>
    private int Write(FrameCompression? compression)
    {
        var frame = Build();
        var sent = 0;
        for (var i = 1; i < Members; i++)
        {
            sent += frame.WireMemoryFor(compression).Length;
        }

        frame.Release();
        return sent;
    }
}
