using System.Text;
using System.Text.Json;
using NSubstitute;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.UnitTests.TestSupport;

/// <summary>One frame a fake transport accepted: a copy of its bytes taken at <c>TrySend</c> time.</summary>
internal sealed record SentFrame(FrameKind Kind, byte[] Bytes, OutboundFrame Frame)
{
    public string Text => Encoding.UTF8.GetString(Bytes);

    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Bytes);
            return document.RootElement.Clone();
        }
    }

    public string Type => Json.GetProperty("type").GetString()!;
}

/// <summary>
/// A real <see cref="Session"/> over an NSubstitute <see cref="ISessionTransport"/> that records every frame it is
/// handed (a copy of the bytes, and the frame object) and accepts it unless <see cref="Accepts"/> is false.
/// The fake takes no reference of its own, so a frame is disposed as soon as its creator releases it.
/// </summary>
internal sealed class TestClient
{
    private static long s_connectionIds;
    private readonly Lock _gate = new();
    private readonly List<SentFrame> _frames = [];

    public TestClient(DateTimeOffset? openedAt = null)
    {
        Transport = Substitute.For<ISessionTransport>();
        Transport.TrySend(Arg.Any<OutboundFrame>()).Returns(call => Record(call.Arg<OutboundFrame>()));
        Transport.TrySend(Arg.Any<OutboundFrame>(), Arg.Any<Session>(), Arg.Any<Room>()).Returns(call =>
            ReferenceEquals(call.Arg<Session>().Room, call.Arg<Room>()) && Record(call.Arg<OutboundFrame>()));
        Session = new Session(Transport, Interlocked.Increment(ref s_connectionIds), openedAt ?? ManualTimeProvider.Epoch);
    }

    public ISessionTransport Transport { get; }

    public Session Session { get; }

    public bool Accepts { get; set; } = true;

    public int ClientId => Session.ClientId;

    public IReadOnlyList<SentFrame> Frames
    {
        get
        {
            lock (_gate)
            {
                return [.. _frames];
            }
        }
    }

    public IReadOnlyList<string> Types => [.. Frames.Where(f => f.Kind == FrameKind.Text).Select(f => f.Type)];

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

    public void Clear()
    {
        lock (_gate)
        {
            _frames.Clear();
        }

        Transport.ClearReceivedCalls();
    }

    private bool Record(OutboundFrame frame)
    {
        if (!Accepts)
        {
            return false;
        }

        var copy = new SentFrame(frame.Kind, frame.Memory.ToArray(), frame);
        lock (_gate)
        {
            _frames.Add(copy);
        }

        return true;
    }
}
