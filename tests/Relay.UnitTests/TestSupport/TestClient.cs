using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Application.Realtime;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.UnitTests.TestSupport;

/// <summary>
/// A real <see cref="ClientConnection"/> (what the handlers are given) over a <see cref="TestConnection"/> that records
/// what the server queues to it and how it closes it. Its connect timer is an hour: it never fires in a unit test.
/// </summary>
internal sealed class TestClient
{
    public TestClient(TimeProvider? time = null)
    {
        Connection = new TestConnection();
        Client = new ClientConnection(Connection, TimeSpan.FromHours(1), time ?? TimeProvider.System, NullLogger.Instance);
    }

    public TestConnection Connection { get; }

    public ClientConnection Client { get; }

    /// <summary>The seat the connection holds, or null.</summary>
    public Session? Session => Client.Session;

    /// <summary>The connection's id (what membership compares a seat's connection with).</summary>
    public long Id => Client.Id;

    public bool Accepts
    {
        get => Connection.Accepts;
        set => Connection.Accepts = value;
    }

    /// <summary>The client id of its seat (0 when it has none).</summary>
    public int ClientId => Session?.ClientId ?? 0;

    public IReadOnlyList<SentFrame> Frames => Connection.Frames;

    public IReadOnlyList<string> Types => [.. Frames.Where(f => f.Kind == FrameKind.Text).Select(f => f.Type)];

    public IReadOnlyList<ushort> CloseCodes => Connection.CloseCodes;

    /// <summary>The only frame received, which must have <paramref name="type"/>.</summary>
    public JsonElement Single(string type)
    {
        var frame = Assert.Single(Frames);
        Assert.Equal(type, frame.Type);
        return frame.Json;
    }

    /// <summary>The only frame of <paramref name="type"/> among those received.</summary>
    public JsonElement SingleOfType(string type) =>
        Assert.Single(Frames, f => f.Kind == FrameKind.Text && f.Type == type).Json;

    public void Clear() => Connection.Clear();
}
