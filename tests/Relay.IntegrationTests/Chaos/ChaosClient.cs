using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Chaos;

/// <summary>
/// A WebSocket client of a chaos test that keeps what it was told: its view of the room's members (from `connected`,
/// then every `client_joined` and `client_left`), the host, how the room ended for it, every relay by sender in arrival
/// order, and the answers to its requests. Nothing is consumed by a wait: <see cref="WaitUntilAsync"/> only looks, so
/// several promises can be checked against the same client in any order.
/// </summary>
internal sealed class ChaosClient : IAsyncDisposable
{
    private static int s_lastRef;

    private readonly TestClient _socket;
    private readonly Lock _gate = new();
    private readonly Lock _pumping = new();
    private readonly List<JsonElement> _answers = [];
    private readonly SortedSet<int> _view = [];
    private readonly Dictionary<int, List<string>> _relays = [];
    private readonly List<string> _timeline = [];

    private ChaosClient(NodeProcess node, string name, TestClient socket)
    {
        Node = node;
        Name = name;
        _socket = socket;
    }

    public NodeProcess Node { get; }

    public string Name { get; }

    /// <summary>The client id from `connected` (0 before).</summary>
    public int ClientId { get; private set; }

    public int? HostId { get; private set; }

    /// <summary>The `reason` of the `room_closed` this client got, if any.</summary>
    public string? RoomClosedReason { get; private set; }

    /// <summary>True once this client got `kicked`.</summary>
    public bool WasKicked { get; private set; }

    public bool IsClosed => _socket.Closed.IsCompleted;

    /// <summary>Completes when the connection has ended.</summary>
    public Task Closed => _socket.Closed;

    /// <summary>The close status once the connection has ended.</summary>
    public (WebSocketCloseStatus? Status, string? Description)? CloseStatus => _socket.Closed.IsCompleted ? _socket.Closed.Result : null;

    /// <summary>The members this client knows of, itself included.</summary>
    public IReadOnlyList<int> View
    {
        get
        {
            lock (_gate)
            {
                return [.. _view];
            }
        }
    }

    public static async Task<ChaosClient> OpenAsync(NodeProcess node, string name)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.ThrowIfExited();
        return new ChaosClient(node, name, await node.ConnectClientAsync());
    }

    public override string ToString() => $"client {ClientId} ({Name}) on {Node.NodeId}";

    /// <summary>The `data` strings relayed to this client from <paramref name="from"/>, in arrival order.</summary>
    public IReadOnlyList<string> RelaysFrom(int from)
    {
        lock (_gate)
        {
            return _relays.TryGetValue(from, out var list) ? [.. list] : [];
        }
    }

    /// <summary>What this client was told, in order (`joined 4`, `left 2 disconnected`, `message 3 x`, ...).</summary>
    public IReadOnlyList<string> Timeline
    {
        get
        {
            lock (_gate)
            {
                return [.. _timeline];
            }
        }
    }

    /// <summary>The last few timeline entries, for failure messages.</summary>
    public string Recent(int count = 8) => string.Join(", ", Timeline.TakeLast(count)) is { Length: > 0 } recent ? recent : "nothing";

    /// <summary>Sends <paramref name="message"/> with a fresh `ref` and waits for the answer carrying it (`connected`, `error`, `left`, `pong`).</summary>
    public async Task<JsonElement> RequestAsync(JsonObject message, TimeSpan within)
    {
        ArgumentNullException.ThrowIfNull(message);
        var reference = $"r{Interlocked.Increment(ref s_lastRef)}";
        message["ref"] = reference;
        var type = (string?)message["type"];
        await _socket.SendTextAsync(message.ToJsonString());
        JsonElement? answer = null;
        await WaitUntilAsync(() => (answer = AnswerTo(reference)) is not null, within, $"an answer to its {type}");
        return answer!.Value;
    }

    /// <summary>Sends `connect` and waits for its answer; a `connected` sets the client id, host and member view.</summary>
    public Task<JsonElement> ConnectAsync(string roomId, string secret, TimeSpan within) =>
        RequestAsync(new JsonObject { ["type"] = "connect", ["roomId"] = roomId, ["secret"] = secret, ["name"] = Name }, within);

    /// <summary>A JSON-string broadcast (not waiting for anything).</summary>
    public Task BroadcastAsync(string data) =>
        _socket.SendTextAsync("{\"type\":\"broadcast\",\"data\":" + JsonSerializer.Serialize(data) + "}");

    public Task SendJsonAsync(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _socket.SendTextAsync(message.ToJsonString());
    }

    /// <summary>Takes in everything that has arrived so far.</summary>
    public void Pump()
    {
        // One pump at a time, so that messages are applied in the order they arrived.
        lock (_pumping)
        {
            PumpArrived();
        }
    }

    private void PumpArrived()
    {
        while (_socket.TryReceive(out var received))
        {
            if (received.IsText)
            {
                Apply(received.Json);
            }
            else
            {
                lock (_gate)
                {
                    _timeline.Add($"binary {received.Bytes.Length} bytes");
                }
            }
        }
    }

    /// <summary>
    /// Polls <paramref name="condition"/> (after taking in what arrived) until it holds; fails after
    /// <paramref name="timeout"/>, or at once when the connection has closed and the condition still does not hold.
    /// </summary>
    public async Task<TimeSpan> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var closed = IsClosed;
            Pump();
            if (condition())
            {
                return watch.Elapsed;
            }

            if (closed)
            {
                var (status, description) = CloseStatus!.Value;
                throw new Xunit.Sdk.XunitException(
                    $"{this}: the connection closed ({(int?)status} {description}) before {what}; it was told: {Recent()}");
            }

            if (watch.Elapsed > timeout)
            {
                throw new Xunit.Sdk.XunitException($"{this}: waited {timeout.TotalSeconds:F1} s in vain for {what}; it was told: {Recent()}");
            }

            // Polling this client's inbox (not a synchronisation sleep).
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the connection has ended; returns its close status.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> WaitClosedAsync(TimeSpan timeout)
    {
        await WaitUntilAsync(() => IsClosed, timeout, "close");
        return CloseStatus!.Value;
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private JsonElement? AnswerTo(string reference)
    {
        lock (_gate)
        {
            foreach (var answer in _answers)
            {
                if (answer.TryGetProperty("ref", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() == reference)
                {
                    return answer;
                }
            }
        }

        return null;
    }

    private void Apply(JsonElement message)
    {
        var type = message.TryGetProperty("type", out var t) ? t.GetString() : null;
        lock (_gate)
        {
            switch (type)
            {
                case "connected":
                    ClientId = message.GetProperty("clientId").GetInt32();
                    HostId = HostIdOf(message);
                    _view.Clear();
                    foreach (var member in message.GetProperty("clients").EnumerateArray())
                    {
                        _view.Add(member.GetProperty("clientId").GetInt32());
                    }

                    _answers.Add(message);
                    _timeline.Add($"connected as {ClientId}");
                    break;
                case "client_joined":
                    var joined = message.GetProperty("clientId").GetInt32();
                    _view.Add(joined);
                    _timeline.Add($"joined {joined}");
                    break;
                case "client_left":
                    var left = message.GetProperty("clientId").GetInt32();
                    _view.Remove(left);
                    _timeline.Add($"left {left} {message.GetProperty("reason").GetString()}");
                    break;
                case "host_changed":
                    HostId = HostIdOf(message);
                    _timeline.Add($"host {HostId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}");
                    break;
                case "room_closed":
                    RoomClosedReason = message.GetProperty("reason").GetString();
                    _view.Clear();
                    _timeline.Add($"room_closed {RoomClosedReason}");
                    break;
                case "kicked":
                    WasKicked = true;
                    _view.Clear();
                    _timeline.Add("kicked");
                    break;
                case "message":
                    var from = message.GetProperty("from").GetInt32();
                    var data = message.GetProperty("data");
                    var text = data.ValueKind == JsonValueKind.String ? data.GetString()! : data.GetRawText();
                    if (!_relays.TryGetValue(from, out var list))
                    {
                        _relays[from] = list = [];
                    }

                    list.Add(text);
                    _timeline.Add($"message {from} {(text.Length > 24 ? text[..24] + "..." : text)}");
                    break;
                case "left":
                    _view.Clear();
                    _answers.Add(message);
                    _timeline.Add("left");
                    break;
                case "error":
                    _answers.Add(message);
                    _timeline.Add($"error {message.GetProperty("code").GetString()}");
                    break;
                default:
                    _answers.Add(message);
                    _timeline.Add(type ?? message.GetRawText());
                    break;
            }
        }
    }

    private static int? HostIdOf(JsonElement message) =>
        message.TryGetProperty("hostId", out var host) && host.ValueKind == JsonValueKind.Number ? host.GetInt32() : null;
}
