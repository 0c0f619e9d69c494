using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Domain.Rooms;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime;

/// <summary>The check shared by the host-only messages (`kick`, `transfer_host`, `close_room`).</summary>
internal static class HostOnly
{
    public static bool TryGetRoom(Session session, out Room room, out RealtimeResult error)
    {
        room = session.Room!;
        if (room is null)
        {
            error = RealtimeResult.Fail(ErrorCodes.NotConnected, "connect to a room first");
            return false;
        }

        if (!session.IsHost)
        {
            error = RealtimeResult.Fail(ErrorCodes.NotHost, "only the host may do this");
            return false;
        }

        error = RealtimeResult.Ok;
        return true;
    }
}
