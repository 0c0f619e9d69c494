using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Relay.LoadGen.Raw;

namespace Relay.LoadGen.Tools;

/// <summary>
/// `Relay.LoadGen sink`: a trivial fan-out server that speaks the subset of Relay's protocol the load generator
/// uses (REST room creation, the WebSocket upgrade, `connect`, text `broadcast`, binary `0x00` broadcasts, pings,
/// close), so the load generator's own ceiling can be measured against a server that costs almost nothing per
/// delivery: one epoll thread parses the clients' frames in place, builds each relayed frame once, copies it
/// into every other member's output buffer and writes each buffer with one send; it does one round of reads and
/// writes every <c>--flush-ms</c> (default 5 ms) and sleeps in between, so reads and writes are few and large
/// (and up to one interval is added to every latency through it). It has no limits, no validation beyond what it needs, and is
/// not a reference for anything: it only has to be cheaper than the generator.
/// </summary>
internal static class FanOutSink
{
    public static int Run(Dictionary<string, string> options)
    {
        var port = int.Parse(options.GetValueOrDefault("port", "5999"), CultureInfo.InvariantCulture);
        var flushMs = int.Parse(options.GetValueOrDefault("flush-ms", "5"), CultureInfo.InvariantCulture);
        var server = new Server(flushMs, relay: !options.ContainsKey("no-relay"));
        using var listener = new Listener(port, server.Accept);
        Console.WriteLine($"sink: listening on http://127.0.0.1:{listener.Port} (flush every {flushMs} ms); Ctrl-C or SIGTERM stops it");
        Listener.WaitForStop();
        var (reads, frames, bytes) = server.Loop.Counters;
        Console.WriteLine($"sink: {server.Relayed:N0} frames relayed; read {frames:N0} client frames in {reads:N0} reads ({bytes:N0} bytes); {server.Writes:N0} writes");
        server.Loop.Dispose();
        return 0;
    }

    private sealed class Room(string secret)
    {
        public string Secret { get; } = secret;

        public List<Connection> Members { get; } = [];

        public int NextId { get; set; } = 1;
    }

    private sealed class Server
    {
        private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
        private readonly List<Connection> _dirty = [];
        private readonly long _flushTicks;
        private long _lastFlush;
        private int _nextRoom;

        public Server(int flushMs, bool relay)
        {
            RelayEnabled = relay;
            _flushTicks = flushMs * Stopwatch.Frequency / 1000;
            Loop = new SocketLoop("sink-loop", waitMs: Math.Max(1, flushMs), afterRound: AfterRound, maxEvents: 4096);
        }

        public SocketLoop Loop { get; }

        /// <summary>False with <c>--no-relay</c>: broadcasts are read and dropped (to measure the generator's sending alone).</summary>
        public bool RelayEnabled { get; }

        public long Relayed { get; set; }

        public long Writes { get; set; }

        /// <summary>Scratch space for the one frame a broadcast becomes (loop thread only).</summary>
        public byte[] Scratch { get; set; } = new byte[64 * 1024];

        public void Accept(Socket socket) => new Thread(() => Handshake(socket)) { IsBackground = true }.Start();

        public bool TryJoin(string roomId, string secret, out Room? room)
        {
            room = _rooms.GetValueOrDefault(roomId);
            return room is not null && room.Secret == secret;
        }

        public void MarkDirty(Connection connection)
        {
            if (!connection.Dirty)
            {
                connection.Dirty = true;
                _dirty.Add(connection);
            }
        }

        /// <summary>
        /// Once per interval: one send per connection with output, then a sleep for the rest of the interval, so
        /// that the next round finds several frames waiting on each socket (few, large reads and writes).
        /// </summary>
        private void AfterRound()
        {
            var now = Stopwatch.GetTimestamp();
            if (now - _lastFlush >= _flushTicks)
            {
                _lastFlush = now;
                var keep = 0;
                for (var i = 0; i < _dirty.Count; i++)
                {
                    var c = _dirty[i];
                    Writes++;
                    if (!c.Flush())
                    {
                        _dirty[keep++] = c;
                    }
                    else
                    {
                        c.Dirty = false;
                    }
                }

                _dirty.RemoveRange(keep, _dirty.Count - keep);
            }

            var rest = _lastFlush + _flushTicks - Stopwatch.GetTimestamp();
            if (rest > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds(rest / (double)Stopwatch.Frequency));
            }
        }

        private void Handshake(Socket socket)
        {
            try
            {
                socket.ReceiveTimeout = 10_000;
                var head = HttpHead.Read(socket);
                if (head is null)
                {
                    socket.Dispose();
                    return;
                }

                switch (head.Method, head.Path)
                {
                    case ("GET", "/healthz" or "/readyz"):
                        HttpHead.Respond(socket, "200 OK", "text/plain", "ok");
                        break;
                    case ("POST", "/v1/api/rooms"):
                        var id = "sink-" + Interlocked.Increment(ref _nextRoom).ToString(CultureInfo.InvariantCulture);
                        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
                        head.ReadBody(socket);
                        _rooms[id] = new Room(secret);
                        HttpHead.Respond(socket, "201 Created", "application/json", $"{{\"id\":\"{id}\",\"secret\":\"{secret}\",\"hostSecret\":\"{secret}h\",\"maxClients\":1000}}");
                        break;
                    case ("GET", "/v1/websocket") when head.Headers.TryGetValue("Sec-WebSocket-Key", out var key):
                        socket.Send(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {WsFrame.AcceptKey(key)}\r\n\r\n"));
                        if (head.Count > head.BodyStart)
                        {
                            break; // frames sent before the 101 arrived: not something the load generator does
                        }

                        socket.Blocking = false;
                        Loop.Add(new Connection(socket, this));
                        return;
                    default:
                        HttpHead.Respond(socket, "404 Not Found", "text/plain", "not found");
                        break;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
            {
            }

            socket.Dispose();
        }
    }

    private sealed class Connection(Socket socket, Server server) : LoopConnection(socket), IFrameHandler
    {
        private static ReadOnlySpan<byte> BroadcastPrefix => "{\"type\":\"broadcast\",\"data\":"u8;

        private static ReadOnlySpan<byte> MessagePrefix => "{\"type\":\"message\",\"from\":"u8;

        private byte[] _out = new byte[16 * 1024];
        private int _outLength;
        private Room? _room;
        private int _id;
        private int _framesThisRead;

        private readonly FrameReader _reader = new(16 * 1024 * 1024);

        public bool Dirty { get; set; }

        public override void OnReadable(byte[] buffer)
        {
            _framesThisRead = 0;
            var status = _reader.ReadFrom(Socket, buffer, this, out var received);
            if (status == ReadStatus.Data)
            {
                Loop!.CountRead(received, _framesThisRead);
            }
            else if (status != ReadStatus.WouldBlock)
            {
                Drop();
            }
        }

        public override void OnFailed(Exception exception) => Drop();

        public void OnFrame(byte opcode, Memory<byte> payload, long arrived)
        {
            _framesThisRead++;
            var span = payload.Span;
            switch (opcode)
            {
                case WsFrame.Text when _room is not null && span.StartsWith(BroadcastPrefix) && span[^1] == (byte)'}':
                    RelayText(span[BroadcastPrefix.Length..^1]);
                    break;
                case WsFrame.Text:
                    OnControl(span);
                    break;
                case WsFrame.Binary when _room is not null && span.Length >= 1 && span[0] == 0x00:
                    var scratch = server.Scratch.AsSpan();
                    var header = WsFrame.WriteHeader(scratch, WsFrame.Binary, 4 + span.Length - 1, null);
                    BinaryPrimitives.WriteInt32BigEndian(scratch[header..], _id);
                    span[1..].CopyTo(scratch[(header + 4)..]);
                    Relay(scratch[..(header + 4 + span.Length - 1)]);
                    break;
                case WsFrame.Ping:
                    Send(WsFrame.Pong, span);
                    break;
                case WsFrame.Close:
                    Send(WsFrame.Close, span.Length >= 2 ? span[..2] : []);
                    Flush();
                    Drop();
                    break;
            }
        }

        /// <summary>Appends bytes to the output buffer (flushed by the server every few milliseconds).</summary>
        public void Enqueue(ReadOnlySpan<byte> frame)
        {
            if (_out.Length < _outLength + frame.Length)
            {
                Array.Resize(ref _out, Math.Max(_outLength + frame.Length, _out.Length * 2));
            }

            frame.CopyTo(_out.AsSpan(_outLength));
            _outLength += frame.Length;
            server.MarkDirty(this);
        }

        /// <summary>One non-blocking send of the whole buffer; true when it is empty afterwards.</summary>
        public bool Flush()
        {
            if (_outLength == 0)
            {
                return true;
            }

            int sent;
            SocketError error;
            try
            {
                sent = Socket.Send(_out.AsSpan(0, _outLength), SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                _outLength = 0;
                return true;
            }

            if (error != SocketError.Success)
            {
                if (error != SocketError.WouldBlock)
                {
                    _outLength = 0;
                }

                return _outLength == 0;
            }

            _out.AsSpan(sent, _outLength - sent).CopyTo(_out);
            _outLength -= sent;
            return _outLength == 0;
        }

        private void RelayText(ReadOnlySpan<byte> data)
        {
            Span<byte> digits = stackalloc byte[11];
            Utf8Formatter.TryFormat(_id, digits, out var digitCount);
            var length = MessagePrefix.Length + digitCount + 8 + data.Length + 1;
            var scratch = server.Scratch.AsSpan();
            var at = WsFrame.WriteHeader(scratch, WsFrame.Text, length, null);
            MessagePrefix.CopyTo(scratch[at..]);
            at += MessagePrefix.Length;
            digits[..digitCount].CopyTo(scratch[at..]);
            at += digitCount;
            ",\"data\":"u8.CopyTo(scratch[at..]);
            at += 8;
            data.CopyTo(scratch[at..]);
            at += data.Length;
            scratch[at++] = (byte)'}';
            Relay(scratch[..at]);
        }

        private void Relay(ReadOnlySpan<byte> frame)
        {
            if (!server.RelayEnabled)
            {
                return;
            }

            foreach (var member in _room!.Members)
            {
                if (member != this)
                {
                    member.Enqueue(frame);
                    server.Relayed++;
                }
            }
        }

        /// <summary>Everything but a relay: `connect` (join and announce), `ping`; the rest is ignored.</summary>
        private void OnControl(ReadOnlySpan<byte> json)
        {
            string? type = null, roomId = null, secret = null;
            try
            {
                var reader = new Utf8JsonReader(json);
                reader.Read();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString();
                    reader.Read();
                    switch (name)
                    {
                        case "type": type = reader.GetString(); break;
                        case "roomId": roomId = reader.GetString(); break;
                        case "secret": secret = reader.GetString(); break;
                        default: reader.Skip(); break;
                    }
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                Send(WsFrame.Text, "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"not JSON\"}"u8);
                return;
            }

            switch (type)
            {
                case "connect" when _room is null && roomId is not null && secret is not null && server.TryJoin(roomId, secret, out var room):
                    _room = room;
                    _id = room!.NextId++;
                    var clients = string.Join(",", room.Members.Append(this).Select(m => $"{{\"clientId\":{m._id},\"name\":null,\"isHost\":{(m._id == 1 ? "true" : "false")}}}"));
                    Send(WsFrame.Text, Encoding.UTF8.GetBytes($"{{\"type\":\"connected\",\"roomId\":\"{roomId}\",\"clientId\":{_id},\"hostId\":1,\"isHost\":{(_id == 1 ? "true" : "false")},\"protocol\":\"mesh\",\"metadata\":null,\"clients\":[{clients}]}}"));
                    var joined = WsFrame.Encode(WsFrame.Text, Encoding.UTF8.GetBytes($"{{\"type\":\"client_joined\",\"clientId\":{_id},\"name\":null}}"), null);
                    foreach (var member in room.Members)
                    {
                        member.Enqueue(joined);
                    }

                    room.Members.Add(this);
                    break;
                case "connect":
                    Send(WsFrame.Text, "{\"type\":\"error\",\"code\":\"room_not_found\",\"message\":\"no such room, wrong secret, or already connected\"}"u8);
                    break;
                case "ping":
                    Send(WsFrame.Text, "{\"type\":\"pong\"}"u8);
                    break;
            }
        }

        private void Send(byte opcode, ReadOnlySpan<byte> payload) => Enqueue(WsFrame.Encode(opcode, payload, null));

        private void Drop()
        {
            _room?.Members.Remove(this);
            _room = null;
            Loop?.Remove(this);
            Socket.Dispose();
        }
    }
}
