using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Parsing;

namespace Relay.Application.Realtime.Delivery;

/// <summary>A client's relay that the store refused after the handler returned: the client gets `unavailable` with the message's `ref`.</summary>
internal sealed class RelayReceipt(ClientConnection client, MessageRef messageRef, RelayStats stats) : IRelayReceipt
{
    private readonly MessageRef _ref = new(messageRef.RawJson.ToArray());

    public void Taken()
    {
    }

    public void Refused()
    {
        stats.RecordError(ErrorCodes.Unavailable);
        client.Reply(ServerFrames.Error(ErrorCodes.Unavailable, "the room service is unavailable: the message was not relayed", _ref));
    }
}
