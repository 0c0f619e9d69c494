using System.Text;
using Relay.Application.Protocols;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Benchmarks.Support;

/// <summary>
/// A transport that accepts every frame and is done with it at once, as if the writer loop had already
/// written it: it takes the reference <see cref="ISessionTransport.TrySend(OutboundFrame)"/> promises, then releases it.
/// </summary>
public sealed class NoOpTransport : ISessionTransport
{
    public static readonly NoOpTransport Instance = new();

    public bool TrySend(OutboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        frame.AddReference();
        frame.Release();
        return true;
    }

    /// <summary>
    /// The room-checked send, for versions of <see cref="ISessionTransport"/> that have it: accepted only while
    /// <paramref name="member"/> is still in <paramref name="room"/>.
    /// </summary>
    public bool TrySend(OutboundFrame frame, Session member, Room room)
    {
        ArgumentNullException.ThrowIfNull(member);
        return ReferenceEquals(member.Room, room) && TrySend(frame);
    }

    public void Close(ushort code, string reason)
    {
    }

    public void OnLeftRoom()
    {
    }
}

/// <summary>Rooms, sessions and message bytes shared by the benchmarks.</summary>
public static class Fixtures
{
    /// <summary>A `mesh` room of <paramref name="members"/> sessions on <see cref="NoOpTransport"/>; returns the first (the sender).</summary>
    public static Session RoomWithMembers(int members)
    {
        var room = new Room(
            "bench-room",
            SecretHash.Of("secret"),
            SecretHash.Of("host-secret"),
            new MeshProtocol(),
            HostAssignment.First,
            maxClients: Math.Max(members, 1),
            RoomMetadata.Empty,
            DateTimeOffset.UnixEpoch);
        Session? first = null;
        for (var i = 0; i < members; i++)
        {
            var session = new Session(NoOpTransport.Instance, i + 1, DateTimeOffset.UnixEpoch);
            var joined = room.Join(session, $"client-{i + 1}", presentsHostSecret: false, DateTimeOffset.UnixEpoch);
            if (joined.Status != JoinStatus.Joined)
            {
                throw new InvalidOperationException($"join {i + 1} failed: {joined.Status}");
            }

            first ??= session;
        }

        return first ?? throw new ArgumentOutOfRangeException(nameof(members), "a room needs at least one member");
    }

    /// <summary>
    /// A JSON object of exactly <paramref name="bytes"/> UTF-8 bytes shaped like a game update: a sequence
    /// number, as many coordinate pairs as fit (so a large payload has many tokens for the parser to skip,
    /// not one long string), and a string padding it to the exact size.
    /// </summary>
    public static string DataObject(int bytes)
    {
        const string Head = "{\"seq\":1024,\"points\":[[12.5,-3.25]";
        const string Point = ",[12.5,-3.25]";
        const string Tail = "],\"pad\":\"\"}";
        var room = bytes - Head.Length - Tail.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(room, 0, nameof(bytes));
        var builder = new StringBuilder(bytes).Append(Head);
        for (; room >= Point.Length + 8; room -= Point.Length)
        {
            builder.Append(Point);
        }

        builder.Append("],\"pad\":\"").Append('a', room).Append("\"}");
        var json = builder.ToString();
        return Encoding.UTF8.GetByteCount(json) == bytes ? json : throw new InvalidOperationException("padding miscounted");
    }

    /// <summary>Opaque bytes for binary relays and `data` slices.</summary>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
