using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime;

/// <summary>The error frames of a host's change to one member (kick, host transfer).</summary>
internal static class MemberChanges
{
    public static RealtimeResult ToResult(MemberChange change, int clientId) => change switch
    {
        MemberChange.Done => RealtimeResult.Ok,
        MemberChange.NotHost => RealtimeResult.Fail(ErrorCodes.NotHost, "only the host may do this"),
        MemberChange.RoomNotFound => RealtimeResult.Fail(ErrorCodes.NotConnected, "connect to a room first"),
        MemberChange.UnknownClient => RealtimeResult.Fail(ErrorCodes.UnknownClient, $"client {clientId} is not in the room"),
        _ => RealtimeResult.Fail(ErrorCodes.Unavailable, "the room service is unavailable: try again shortly"),
    };
}
