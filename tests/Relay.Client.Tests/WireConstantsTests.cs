using System.Reflection;
using System.Text;
using ClientMessageParser = Relay.Application.Realtime.Parsing.ClientMessageParser;
using ClientMessageType = Relay.Application.Realtime.Parsing.ClientMessageType;
using RelayFrames = Relay.Application.Realtime.Frames.RelayFrames;
using ServerCloseCodes = Relay.Domain.Connections.CloseCodes;
using ServerErrorCodes = Relay.Application.Common.ErrorCodes;
using ServerFrames = Relay.Application.Realtime.Frames.ServerFrames;
using ServerLeaveReasons = Relay.Application.Common.LeaveReasons;
using ServerRoomClosedReasons = Relay.Application.Common.RoomClosedReasons;

namespace Relay.Client.Tests;

/// <summary>
/// The client and the server agree on every wire value: the same constants in their public classes, the same shared
/// definitions compiled into both, and each side reads what the other writes (no server needed).
/// </summary>
public sealed class WireConstantsTests
{
    private static readonly Assembly ServerAssembly = typeof(ServerCloseCodes).Assembly;
    private static readonly Assembly ClientAssembly = typeof(RelayRealtimeClient).Assembly;

    public static TheoryData<Type, Type, string> PublicPairs => new()
    {
        { typeof(ServerErrorCodes), typeof(RelayErrorCodes), "Errors" },
        { typeof(ServerCloseCodes), typeof(RelayCloseCodes), "CloseCodes" },
        { typeof(ServerLeaveReasons), typeof(ClientLeftReasons), "LeaveReasons" },
        { typeof(ServerRoomClosedReasons), typeof(RoomClosedReasons), "RoomClosedReasons" },
    };

    [Theory]
    [MemberData(nameof(PublicPairs))]
    public void The_public_constants_of_server_and_client_are_the_same_and_complete(Type server, Type client, string shared)
    {
        var serverValues = Constants(server);
        var clientValues = Constants(client);

        Assert.Equal(serverValues, clientValues);
        Assert.Equal(Constants(SharedType(ServerAssembly, shared)), serverValues);
        Assert.Equal(Constants(SharedType(ClientAssembly, shared)), clientValues);
    }

    [Fact]
    public void Server_and_client_compile_the_same_wire_definitions()
    {
        var serverWire = ServerAssembly.GetType("Relay.Wire", throwOnError: true)!;
        var clientWire = ClientAssembly.GetType("Relay.Wire", throwOnError: true)!;
        var serverKinds = serverWire.GetNestedTypes(BindingFlags.NonPublic | BindingFlags.Public).Select(t => t.Name).Order().ToArray();

        Assert.Equal(serverKinds, clientWire.GetNestedTypes(BindingFlags.NonPublic | BindingFlags.Public).Select(t => t.Name).Order());
        foreach (var kind in serverKinds)
        {
            Assert.Equal(Constants(SharedType(ServerAssembly, kind)), Constants(SharedType(ClientAssembly, kind)));
        }
    }

    [Fact]
    public void The_client_reads_every_message_type_the_server_sends()
    {
        foreach (var type in Constants(typeof(Wire.ServerTypes)).Values.Cast<string>())
        {
            var message = ServerMessageParser.ParseText(Encoding.UTF8.GetBytes($$"""{"type":"{{type}}"}"""));
            Assert.IsNotType<UnknownServerMessage>(message);
            Assert.Equal(type, message.Type);
        }
    }

    [Fact]
    public void The_server_reads_every_message_type_the_client_sends()
    {
        foreach (var type in Constants(typeof(Wire.ClientTypes)).Values.Cast<string>())
        {
            var parsed = ClientMessageParser.Parse(Encoding.UTF8.GetBytes($$"""{"type":"{{type}}"}"""), 64, out var message);
            Assert.False(parsed.IsError, type);
            Assert.NotEqual(ClientMessageType.None, message.Type);
        }
    }

    [Fact]
    public void The_client_parses_the_servers_room_event_frames_with_their_seq()
    {
        var joined = Assert.IsType<ClientJoinedMessage>(ParseServerFrame(ServerFrames.ClientJoined(3, "carol", "user-3", 41)));
        Assert.Equal((3, "carol", "user-3", 41L), (joined.ClientId, joined.Name, joined.UserId, joined.Seq));
        var left = Assert.IsType<ClientLeftMessage>(ParseServerFrame(ServerFrames.ClientLeft(3, ServerLeaveReasons.Timeout, 42)));
        Assert.Equal((3, ClientLeftReasons.Timeout, 42L), (left.ClientId, left.Reason, left.Seq));
        var away = Assert.IsType<ClientAwayMessage>(ParseServerFrame(ServerFrames.ClientAway(4, 43)));
        Assert.Equal((4, 43L), (away.ClientId, away.Seq));
        var back = Assert.IsType<ClientBackMessage>(ParseServerFrame(ServerFrames.ClientBack(4, 44)));
        Assert.Equal((4, 44L), (back.ClientId, back.Seq));
        var host = Assert.IsType<HostChangedMessage>(ParseServerFrame(ServerFrames.HostChanged(null, 45)));
        Assert.Equal((null, 45L), (host.HostId, host.Seq));
        var data = Assert.IsType<DataMessage>(ParseServerFrame(RelayFrames.Message(5, """{"a":1}"""u8, 46)));
        Assert.Equal((5, """{"a":1}""", 46L), (data.From, Encoding.UTF8.GetString(data.RawData.Span), data.Seq));
        var unsequenced = Assert.IsType<DataMessage>(ParseServerFrame(RelayFrames.Message(5, "2"u8)));
        Assert.Null(unsequenced.Seq);
        var error = Assert.IsType<ErrorMessage>(ParseServerFrame(ServerFrames.Error(ServerErrorCodes.ResumeFailed, "no", default)));
        Assert.Equal(RelayErrorCodes.ResumeFailed, error.Code);
        var closed = Assert.IsType<RoomClosedMessage>(ParseServerFrame(ServerFrames.RoomClosed(ServerRoomClosedReasons.Deleted)));
        Assert.Equal(RoomClosedReasons.Deleted, closed.Reason);
    }

    [Fact]
    public void The_client_parses_both_binary_layouts_the_server_writes()
    {
        using var sequenced = new FrameBytes(RelayFrames.SequencedBinary(7, 0x0102030405, [9, 8]));
        var binary = Assert.IsType<BinaryMessage>(ServerMessageParser.ParseBinary(sequenced.Bytes, sequenced: true));
        Assert.Equal((7, 0x0102030405L, "0908"), (binary.From, binary.Seq, Convert.ToHexString(binary.Payload.Span)));

        using var unnumbered = new FrameBytes(RelayFrames.SequencedBinary(7, 0, [1]));
        var outage = Assert.IsType<BinaryMessage>(ServerMessageParser.ParseBinary(unnumbered.Bytes, sequenced: true));
        Assert.Equal((7, (long?)null, "01"), (outage.From, outage.Seq, Convert.ToHexString(outage.Payload.Span)));

        using var plain = new FrameBytes(RelayFrames.Binary(7, [1, 2]));
        var version1 = Assert.IsType<BinaryMessage>(ServerMessageParser.ParseBinary(plain.Bytes));
        Assert.Equal((7, (long?)null, "0102"), (version1.From, version1.Seq, Convert.ToHexString(version1.Payload.Span)));
    }

    private static ServerMessage ParseServerFrame(Relay.Domain.Frames.OutboundFrame frame)
    {
        using var bytes = new FrameBytes(frame);
        return ServerMessageParser.ParseText(bytes.Bytes);
    }

    private static Type SharedType(Assembly assembly, string kind) =>
        assembly.GetType($"Relay.Wire+{kind}", throwOnError: true)!;

    /// <summary>The constants of <paramref name="type"/> by name, numbers widened to long so that ushort and int compare.</summary>
    private static SortedDictionary<string, object> Constants(Type type) =>
        new(type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => f.GetRawConstantValue() is string s ? (object)s : Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A server frame's payload, copied out, the frame released.</summary>
    private sealed class FrameBytes(Relay.Domain.Frames.OutboundFrame frame) : IDisposable
    {
        public byte[] Bytes { get; } = frame.Memory.ToArray();

        public void Dispose() => frame.Release();
    }
}
