using Relay.Application.Common.Results;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime;

/// <summary>The check shared by the host-only messages (`kick`, `transfer_host`, `close_room`).</summary>
internal static class HostOnly
{
    public static bool TryGetHost(ClientConnection client, out Session host, out RealtimeResult error)
    {
        host = client.Session!;
        if (host is null)
        {
            error = RealtimeResults.NotConnected;
            return false;
        }

        if (!host.IsHost)
        {
            error = RealtimeResults.NotHost;
            return false;
        }

        error = RealtimeResult.Ok;
        return true;
    }
}
