using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Realtime;

/// <summary>The error frames the realtime handlers share.</summary>
internal static class RealtimeResults
{
    public static RealtimeResult NotConnected => RealtimeResult.Fail(ErrorCodes.NotConnected, "connect to a room first");

    public static RealtimeResult NotHost => RealtimeResult.Fail(ErrorCodes.NotHost, "only the host may do this");

    public static RealtimeResult Unavailable => RealtimeResult.Fail(ErrorCodes.Unavailable, "the room service is unavailable: try again shortly");

    /// <summary>The error frame of a change to one member (kick, host transfer) or to the room.</summary>
    public static RealtimeResult Of(MemberChange change, int clientId) => change switch
    {
        MemberChange.Done => RealtimeResult.Ok,
        MemberChange.NotHost => NotHost,
        MemberChange.RoomNotFound => NotConnected,
        MemberChange.UnknownClient => RealtimeResult.Fail(ErrorCodes.UnknownClient, $"client {clientId} is not in the room"),
        _ => Unavailable,
    };
}
