using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Application.Protocols;
using Relay.Application.Realtime;
using Relay.Application.Realtime.Parsing;
using Relay.Application.Rooms;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Connections;
using Relay.Domain.Frames;
using Relay.Domain.Rooms;

namespace Relay.Benchmarks.Support;

/// <summary>
/// A connection that accepts every frame and is done with it at once, as if the writer loop had already written it:
/// it takes the reference <see cref="IConnection.TrySend(OutboundFrame)"/> promises, then releases it. The membership
/// epoch never ends (nobody leaves during a benchmark).
/// </summary>
public sealed class NoOpConnection : IConnection
{
    private static long s_ids;

    public long Id { get; } = Interlocked.Increment(ref s_ids);

    public int Epoch => 0;

    public bool TrySend(OutboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        frame.AddReference();
        frame.Release();
        return true;
    }

    public bool TrySend(OutboundFrame frame, int epoch) => epoch == Epoch && TrySend(frame);

    public bool TrySendReplay(OutboundFrame frame) => TrySend(frame);

    public void EndEpoch()
    {
    }

    public void Close(ushort code, string reason)
    {
    }
}

/// <summary>Rooms, members and message bytes shared by the benchmarks.</summary>
public static class Fixtures
{
    private const string Secret = "bench-secret-1234";

    /// <summary>
    /// A `mesh` room of <paramref name="members"/> clients on <see cref="NoOpConnection"/>s, created and joined through
    /// the server's own room manager and membership in <paramref name="services"/> (as `connect` seats a client);
    /// returns the first (the sender, and host). A <paramref name="sequenced"/> room has a resume window and every member
    /// joins with `resume: true`, so relays are numbered, kept in the room's history and binary ones carry the 12-byte header.
    /// </summary>
    public static ClientConnection RoomWithMembers(IServiceProvider services, int members, bool sequenced = false)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        var manager = services.GetRequiredService<RoomManager>();
        var membership = services.GetRequiredService<RoomMembership>();
        var protocols = services.GetRequiredService<ProtocolRegistry>();
        var spec = new RoomSpec(null, Secret, protocols.Get(MeshProtocol.ProtocolName), HostAssignment.First, members, RoomMetadata.Empty, sequenced ? 30 : 0);
        var (status, created) = manager.CreateAsync(spec, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var room = created?.Room ?? throw new InvalidOperationException($"create failed: {status}");

        ClientConnection? first = null;
        for (var i = 0; i < members; i++)
        {
            var client = new ClientConnection(new NoOpConnection(), TimeSpan.FromHours(1), TimeProvider.System, NullLogger.Instance);
            var request = new JoinRequest(room.Id, SecretHash.Digest(Secret), null, $"client-{i + 1}", null, sequenced, MessageRef.None);
            var outcome = membership.JoinAsync(client, request, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (outcome != JoinOutcome.Joined)
            {
                throw new InvalidOperationException($"join {i + 1} failed: {outcome}");
            }

            first ??= client;
        }

        return first!;
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
