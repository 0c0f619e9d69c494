using System.Buffers.Binary;
using System.Text.Json;
using Relay.IntegrationTests.Infrastructure;

namespace Relay.IntegrationTests.Resume;

/// <summary>
/// A resumable client for tests: joins with `resume: true`, keeps the latest resume token and the last `seq` it
/// processed (from text events and the 12-byte binary header), and comes back on a new connection with `resume`.
/// </summary>
internal sealed class ResumeClient : IAsyncDisposable
{
    private ResumeClient(RelayServer server, TestClient connection, string roomId)
    {
        Server = server;
        Connection = connection;
        RoomId = roomId;
    }

    public RelayServer Server { get; }

    public TestClient Connection { get; private set; }

    public string RoomId { get; }

    public int ClientId { get; private set; }

    public string Token { get; private set; } = string.Empty;

    /// <summary>The seq of the last room event this client processed.</summary>
    public long Seq { get; private set; }

    public static async Task<(ResumeClient Client, JsonElement Connected)> JoinAsync(RelayServer server, string roomId, string secret, string name)
    {
        var connection = await server.ConnectClientAsync();
        await connection.SendJsonAsync(new { type = "connect", roomId, secret, name, resume = true });
        var connected = await connection.ExpectAsync("connected");
        var client = new ResumeClient(server, connection, roomId)
        {
            ClientId = connected.GetProperty("clientId").GetInt32(),
            Token = connected.GetProperty("resumeToken").GetString()!,
            Seq = connected.GetProperty("seq").GetInt64(),
        };
        return (client, connected);
    }

    /// <summary>The next text room event; its `seq` must be above every earlier one, and is remembered.</summary>
    public async Task<JsonElement> NextEventAsync(TimeSpan? timeout = null)
    {
        var received = await Connection.ReceiveAsync(timeout);
        if (!received.IsText)
        {
            var seq = BinaryPrimitives.ReadInt64BigEndian(received.Bytes.AsSpan(4, 8));
            Advance(seq);
            return JsonSerializer.SerializeToElement(new { type = "binary", seq, from = BinaryPrimitives.ReadInt32BigEndian(received.Bytes), payload = received.Bytes[12..].Select(b => (int)b).ToArray() });
        }

        var json = received.Json;
        if (json.TryGetProperty("seq", out var s))
        {
            Advance(s.GetInt64());
        }

        return json;
    }

    /// <summary>The next room event, which must be of <paramref name="type"/>.</summary>
    public async Task<JsonElement> ExpectEventAsync(string type, TimeSpan? timeout = null)
    {
        var json = await NextEventAsync(timeout);
        Assert.True(json.GetProperty("type").GetString() == type, $"expected {type}, got {json.GetRawText()}");
        return json;
    }

    /// <summary>Drops the connection without a close frame.</summary>
    public void Drop() => Connection.Abort();

    /// <summary>
    /// Opens a new connection (to <paramref name="via"/>, default the server it joined) and sends `resume` with
    /// <paramref name="token"/> (default: the latest) and <paramref name="seq"/> (default: the last processed).
    /// </summary>
    public async Task<TestClient> SendResumeAsync(string? token = null, long? seq = null, string? reference = null, RelayServer? via = null)
    {
        var connection = await (via ?? Server).ConnectClientAsync();
        await connection.SendJsonAsync(ResumeMessage(token, seq, reference));
        return connection;
    }

    /// <summary>
    /// Comes back on a new connection; returns `resumed` (the new connection becomes this client's, the old one is
    /// disposed unless <paramref name="keepOld"/>).
    /// </summary>
    public async Task<JsonElement> ResumeAsync(long? seq = null, bool keepOld = false, RelayServer? via = null)
    {
        var connection = await SendResumeAsync(seq: seq, via: via);
        var resumed = await connection.ReceiveJsonAsync();
        for (var retry = 0; retry < 5 && IsUnavailable(resumed); retry++)
        {
            // What the contract asks of a client answered `unavailable` (a loaded cluster node found Redis too slow):
            // try again shortly, on the same connection.
            await Task.Delay(TimeSpan.FromMilliseconds(250 * (retry + 1)));
            await connection.SendJsonAsync(ResumeMessage(null, seq, null));
            resumed = await connection.ReceiveJsonAsync();
        }

        Assert.True(resumed.GetProperty("type").GetString() == "resumed", $"expected a resumed message, got {resumed.GetRawText()}");
        Assert.Equal(ClientId, resumed.GetProperty("clientId").GetInt32());
        Token = resumed.GetProperty("resumeToken").GetString()!;
        if (!keepOld)
        {
            await Connection.DisposeAsync();
        }

        Connection = connection;
        return resumed;
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    private object ResumeMessage(string? token, long? seq, string? reference) => reference is null
        ? new { type = "resume", roomId = RoomId, token = token ?? Token, seq = seq ?? Seq }
        : new { type = "resume", roomId = RoomId, token = token ?? Token, seq = seq ?? Seq, @ref = reference };

    private static bool IsUnavailable(JsonElement message) =>
        message.GetProperty("type").GetString() == "error" && message.GetProperty("code").GetString() == "unavailable";

    private void Advance(long seq)
    {
        Assert.True(seq > Seq, $"seq {seq} after {Seq}: room events must come in strictly increasing seq");
        Seq = seq;
    }
}
