using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Relay.IntegrationTests.Hardening;
using Relay.IntegrationTests.Infrastructure;
using Relay.LoadGen;
using Relay.LoadGen.Measurement;
using Relay.LoadGen.Reporting;
using Relay.LoadGen.Targets;
using Relay.LoadGen.Workloads;
using Xunit.Abstractions;

namespace Relay.IntegrationTests.Bench;

/// <summary>
/// The benchmark's load generator, in process, for about a second per mode against a real server: a W1-style
/// fan-out step whose every broadcast is delivered, timed and free of errors, with the default
/// <c>ClientWebSocket</c> clients and with the raw-socket clients (<c>--client raw</c>). The raw clients are also
/// held against the real server's pings, and driven frame by frame by a scripted server (handshake, frames cut
/// across reads, fragments, a frame larger than the read buffer, ping, close) to prove their framing.
/// Keeps bench/ building and working in CI without running the benchmark itself.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class LoadGenSmokeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("websocket", false)]
    [InlineData("websocket", true)]
    [InlineData("raw", false)]
    [InlineData("raw", true)]
    public async Task A_short_fan_out_run_delivers_every_message_without_errors(string client, bool binary)
    {
        await using var server = await RelayServer.StartAsync(
            ("Relay:RateLimit:MessagesPerSecond", "1000000"),
            ("Relay:RateLimit:Burst", "1000000"));
        await using var target = TargetFactory.Create("relay", server.BaseAddress, apiKey: null, client);
        var options = new WorkloadOptions
        {
            Rooms = 5,
            ClientsPerRoom = 4,
            Rates = [20],
            PayloadBytes = 64,
            Binary = binary,
            Prime = TimeSpan.Zero,
            WarmUp = TimeSpan.FromSeconds(0.3),
            Duration = TimeSpan.FromSeconds(1),
            StopAtLimit = false,
            ServerPid = Environment.ProcessId,
            DedicatedPacers = client == "raw",
        };
        var log = new StringWriter();

        var result = await new FanOutWorkload().RunAsync(target, options, log, CancellationToken.None);

        output.WriteLine(log.ToString());
        Assert.Null(result.Failure);
        var step = Assert.Single(result.Steps!);
        Assert.True(step.Delivered > 0, "nothing was delivered");
        Assert.Equal(step.Expected, step.Delivered);
        Assert.Equal(0, step.Errors);
        Assert.Equal(step.Delivered, step.Latency.Count);
        Assert.True(step.Latency.P50Ms > 0);
        Assert.True(step.Server.RssMiB > 0, "the process sampler read no resident memory");
        if (client == "raw")
        {
            Assert.True(step.FramesPerRead >= 1, $"the raw client counted no reads ({step.FramesPerRead})");
        }

        var markdown = Report.Markdown(new ResultsDocument { Runs = [result] }, chartFile: null, sourceName: null);
        Assert.Contains("W1 sustainable delivered msgs/s", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Raw_clients_answer_the_servers_pings_and_keep_relaying()
    {
        // A one-second keep-alive: a client that does not answer a ping is dropped two seconds later.
        await using var server = await RelayServer.StartAsync(("Relay:KeepAliveSeconds", "1"));
        await using var target = new RawRelayTarget("relay", server.BaseAddress);
        var room = await target.CreateRoomAsync(4, CancellationToken.None);
        var arrived = new ConcurrentQueue<string>();
        await using var sender = await target.ConnectAsync(room, null, (_, _) => { }, CancellationToken.None);
        await using var receiver = await target.ConnectAsync(room, null, (p, _) => arrived.Enqueue(Encoding.UTF8.GetString(p.Span)), CancellationToken.None);
        var a = (RawRelayClient)sender;
        var b = (RawRelayClient)receiver;

        // Idle connections get pinged; each answer keeps the connection for another round.
        await Eventually.HoldsAsync(
            () => Task.FromResult((a.PongsSent >= 3 && b.PongsSent >= 3, $"pongs {a.PongsSent} and {b.PongsSent}, errors {a.Errors} and {b.Errors}")),
            Timeout,
            "both raw clients answering three pings");

        var payload = Payloads.Create(64, binary: false);
        Payloads.Stamp(payload, binary: false, Stopwatch.GetTimestamp(), Payloads.NoTag);
        await sender.BroadcastAsync(payload, binary: false, CancellationToken.None);
        await Eventually.HoldsAsync(
            () => Task.FromResult((arrived.Contains(Encoding.UTF8.GetString(payload)), $"{arrived.Count} message(s)")),
            Timeout,
            "the broadcast after the pings arriving");
        Assert.Equal(0, a.Errors);
        Assert.Equal(0, b.Errors);
    }

    [Fact]
    public async Task Raw_client_frames_follow_RFC_6455_against_a_scripted_server()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var target = new RawRelayTarget("relay", new Uri($"http://127.0.0.1:{port}"));
        var arrived = new ConcurrentQueue<byte[]>();
        var connecting = target.ConnectAsync("room-1 s3cret", null, (p, _) => arrived.Enqueue(p.ToArray()), CancellationToken.None);

        using var peer = await listener.AcceptTcpClientAsync().WaitAsync(Timeout);
        peer.NoDelay = true;
        var stream = peer.GetStream();

        // The upgrade by hand on both sides, a masked `connect`, and `connected` in two writes.
        await AcceptAsync(stream, splitConnected: true);
        await using var client = await connecting.WaitAsync(Timeout);
        var raw = (RawRelayClient)client;

        // One write of many frames: a control message, a message in two fragments with a ping between them, a
        // binary relay, a message with a 16-bit length, and a 100,000-byte message (larger than the read buffer).
        var message = "{\"type\":\"message\",\"from\":1,\"data\":\"fragmented\"}"u8.ToArray();
        var medium = Encoding.UTF8.GetBytes("{\"type\":\"message\",\"from\":1,\"data\":\"" + new string('m', 300) + "\"}");
        var large = Encoding.UTF8.GetBytes("{\"type\":\"message\",\"from\":1,\"data\":{\"big\":\"" + new string('L', 100_000) + "\"}}");
        byte[] ping = [1, 2, 3, 4, 5];
        byte[] burst =
        [
            .. ServerFrame(0x81, "{\"type\":\"client_joined\",\"clientId\":3,\"name\":null}"u8),
            .. ServerFrame(0x01, message.AsSpan(0, 20)),
            .. ServerFrame(0x89, ping),
            .. ServerFrame(0x80, message.AsSpan(20)),
            .. ServerFrame(0x82, [0, 0, 0, 1, 0xB1, 0xB2]),
            .. ServerFrame(0x81, medium),
            .. ServerFrame(0x81, large),
        ];
        await stream.WriteAsync(burst);

        var pong = await ReadClientFrameAsync(stream);
        Assert.Equal(0xA, pong.Opcode);
        Assert.Equal(ping, pong.Payload);
        await Eventually.HoldsAsync(() => Task.FromResult((arrived.Count >= 4, $"{arrived.Count} payload(s)")), Timeout, "four relayed payloads");
        var payloads = arrived.ToArray();
        Assert.Equal("\"fragmented\"", Encoding.UTF8.GetString(payloads[0]));
        Assert.Equal(new byte[] { 0xB1, 0xB2 }, payloads[1]);
        Assert.Equal("\"" + new string('m', 300) + "\"", Encoding.UTF8.GetString(payloads[2]));
        Assert.Equal("{\"big\":\"" + new string('L', 100_000) + "\"}", Encoding.UTF8.GetString(payloads[3]));

        // Broadcasts: one pre-masked frame, only the stamp re-masked per send; each must unmask to the envelope.
        var payload = Payloads.Create(64, binary: false);
        foreach (var stamp in new long[] { 1234567890123, 98765 })
        {
            Payloads.Stamp(payload, binary: false, stamp, Payloads.NoTag);
            await client.BroadcastAsync(payload, binary: false, CancellationToken.None);
            var frame = await ReadClientFrameAsync(stream);
            Assert.Equal(0x1, frame.Opcode);
            Assert.Equal("{\"type\":\"broadcast\",\"data\":" + Encoding.UTF8.GetString(payload) + "}", Encoding.UTF8.GetString(frame.Payload));
        }

        Payloads.Stamp(payload = Payloads.Create(16, binary: true), binary: true, 42, Payloads.NoTag);
        await client.BroadcastAsync(payload, binary: true, CancellationToken.None);
        var binaryFrame = await ReadClientFrameAsync(stream);
        Assert.Equal(0x2, binaryFrame.Opcode);
        Assert.Equal([0x00, .. payload], binaryFrame.Payload);

        // The server closes (4000 room closed): the client echoes the code and counts the close as an error.
        byte[] close = [0x0F, 0xA0, .. "room closed"u8];
        await stream.WriteAsync(ServerFrame(0x88, close));
        var reply = await ReadClientFrameAsync(stream);
        Assert.Equal(0x8, reply.Opcode);
        Assert.Equal(4000, BinaryPrimitives.ReadUInt16BigEndian(reply.Payload));
        peer.Client.Shutdown(SocketShutdown.Both);
        await Eventually.HoldsAsync(() => Task.FromResult((raw.Errors == 1, $"{raw.Errors} error(s)")), Timeout, "the close counted once");
        Assert.Equal(1, raw.PongsSent);
    }

    [Fact]
    public async Task Raw_clients_write_every_frame_that_concurrent_pacers_queue()
    {
        // Four sender threads (as the pacers) queue broadcasts as fast as they can on ten clients each, while the
        // clients' loop thread writes them: every queued frame must reach the scripted server, in order. (A send
        // request lost in that race once left some clients' frames queued for ever.)
        const int Clients = 40;
        const int PerClient = 1500;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using var target = new RawRelayTarget("relay", new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"));
        var peers = new List<TcpClient>();
        var clients = new List<IBenchClient>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var connecting = target.ConnectAsync("room-1 s3cret", null, (_, _) => { }, CancellationToken.None);
                var peer = await listener.AcceptTcpClientAsync().WaitAsync(Timeout);
                peers.Add(peer);
                await AcceptAsync(peer.GetStream(), splitConnected: false);
                clients.Add(await connecting.WaitAsync(Timeout));
            }

            var reading = peers.Select(p => ReadStampsAsync(p.GetStream(), PerClient)).ToArray();
            var sending = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
            {
                var payload = Payloads.Create(64, binary: false);
                for (var k = 1; k <= PerClient; k++)
                {
                    for (var c = t; c < Clients; c += 4)
                    {
                        Payloads.Stamp(payload, binary: false, k, Payloads.NoTag);
                        await clients[c].BroadcastAsync(payload, binary: false, CancellationToken.None);
                    }

                    // Tick like a pacer, so that queues stay short and queueing races the loop's writes.
                    Thread.SpinWait(k % 3 == 0 ? 2000 : 20);
                }
            })).ToArray();
            await Task.WhenAll(sending).WaitAsync(Timeout);

            var stamps = await Task.WhenAll(reading).WaitAsync(Timeout);
            foreach (var received in stamps)
            {
                Assert.Equal(Enumerable.Range(1, PerClient).Select(k => (long)k), received);
            }
        }
        finally
        {
            foreach (var peer in peers)
            {
                peer.Dispose();
            }
        }
    }

    /// <summary>Reads <paramref name="count"/> broadcast frames and returns the timestamps they carry.</summary>
    private static async Task<List<long>> ReadStampsAsync(NetworkStream stream, int count)
    {
        var buffered = new BufferedStream(stream, 64 * 1024);
        var stamps = new List<long>(count);
        var prefix = "{\"type\":\"broadcast\",\"data\":".Length;
        while (stamps.Count < count)
        {
            var frame = await ReadClientFrameAsync(buffered);
            Assert.True(Payloads.TryReadTimestamp(frame.Payload.AsSpan(prefix, frame.Payload.Length - prefix - 1), binary: false, out var stamp, out _));
            stamps.Add(stamp);
        }

        return stamps;
    }

    /// <summary>
    /// The scripted server's side of a join: reads and checks the upgrade request, answers 101 with the accept
    /// key, reads the masked `connect` and answers `connected` (in two writes when <paramref name="splitConnected"/>).
    /// </summary>
    private static async Task AcceptAsync(NetworkStream stream, bool splitConnected)
    {
        var head = await ReadHeadAsync(stream);
        Assert.StartsWith("GET /v1/websocket HTTP/1.1\r\n", head, StringComparison.Ordinal);
        Assert.Contains("\r\nUpgrade: websocket\r\n", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", head, StringComparison.Ordinal);
        var key = head.Split("\r\n").Single(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));

        var connect = await ReadClientFrameAsync(stream);
        Assert.Equal(0x1, connect.Opcode);
        using (var json = JsonDocument.Parse(connect.Payload))
        {
            Assert.Equal("connect", json.RootElement.GetProperty("type").GetString());
            Assert.Equal("room-1", json.RootElement.GetProperty("roomId").GetString());
            Assert.Equal("s3cret", json.RootElement.GetProperty("secret").GetString());
        }

        var connected = ServerFrame(0x81, "{\"type\":\"connected\",\"roomId\":\"room-1\",\"clientId\":2,\"hostId\":1,\"isHost\":false,\"protocol\":\"mesh\",\"metadata\":null,\"clients\":[]}"u8);
        var first = splitConnected ? 3 : connected.Length;
        await stream.WriteAsync(connected.AsMemory(0, first));
        await stream.FlushAsync();
        await stream.WriteAsync(connected.AsMemory(first));
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        using var cts = new CancellationTokenSource(Timeout);
        while (bytes.Count < 4 || !(bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            await stream.ReadExactlyAsync(one, cts.Token);
            bytes.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. bytes]);
    }

    /// <summary>Reads one client frame; asserts FIN and a mask (RFC 6455: every client frame is masked) and unmasks it.</summary>
    private static async Task<(int Opcode, byte[] Payload)> ReadClientFrameAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var head = new byte[2];
        await stream.ReadExactlyAsync(head, cts.Token);
        Assert.True((head[0] & 0x80) != 0, "client frames are sent whole (FIN)");
        Assert.True((head[1] & 0x80) != 0, "client frames must be masked");
        long length = head[1] & 0x7F;
        if (length >= 126)
        {
            var extended = new byte[length == 126 ? 2 : 8];
            await stream.ReadExactlyAsync(extended, cts.Token);
            length = extended.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(extended) : (long)BinaryPrimitives.ReadUInt64BigEndian(extended);
        }

        var mask = new byte[4];
        await stream.ReadExactlyAsync(mask, cts.Token);
        Assert.False(mask.All(b => b == 0), "a zero mask key masks nothing");
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cts.Token);
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] ^= mask[i & 3];
        }

        return (head[0] & 0x0F, payload);
    }

    /// <summary>An unmasked server frame with first byte <paramref name="first"/> (FIN and opcode).</summary>
    private static byte[] ServerFrame(byte first, ReadOnlySpan<byte> payload)
    {
        byte[] header = payload.Length switch
        {
            < 126 => [first, (byte)payload.Length],
            <= ushort.MaxValue => [first, 126, (byte)(payload.Length >> 8), (byte)payload.Length],
            _ => [first, 127, 0, 0, 0, 0, (byte)(payload.Length >> 24), (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length],
        };
        return [.. header, .. payload];
    }
}
