using Mediator;
using Microsoft.Extensions.Options;
using Relay.Application.Common;
using Relay.Application.Common.Options;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Broadcast;
using Relay.Application.Realtime.CloseRoom;
using Relay.Application.Realtime.Connect;
using Relay.Application.Realtime.Disconnect;
using Relay.Application.Realtime.Frames;
using Relay.Application.Realtime.Kick;
using Relay.Application.Realtime.Leave;
using Relay.Application.Realtime.Parsing;
using Relay.Application.Realtime.Ping;
using Relay.Application.Realtime.Send;
using Relay.Application.Realtime.TransferHost;
using Relay.Application.Realtime.Resume;
using Relay.Application.Realtime.Tokens;
using Relay.Domain.Frames;

namespace Relay.Application.Realtime;

/// <summary>
/// Turns one received WebSocket message into a mediator command and any failure into an `error` frame.
/// Transport-agnostic: the WebSocket handler calls it with the message bytes and owns the buffer.
/// </summary>
public sealed class RealtimeDispatcher(ISender sender, RelayStats stats, IOptions<RelayOptions> options)
{
    private readonly int _maxDepth = options.Value.MaxJsonDepth;

    /// <summary>Handles a complete text message. The buffer may be reused once the returned task completes.</summary>
    public async ValueTask HandleTextAsync(ClientConnection session, ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var parsed = ClientMessageParser.Parse(utf8, _maxDepth, out var message);
        var result = parsed.IsError ? parsed : await DispatchAsync(session, message, cancellationToken);
        if (result.IsError)
        {
            SendError(session, result, message.Ref);
        }
    }

    /// <summary>Handles a complete binary message: `0x00` + payload, or `0x01` + 4-byte big-endian id + payload.</summary>
    public async ValueTask HandleBinaryAsync(ClientConnection session, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var parsed = BinaryMessageParser.Parse(frame, out var message);
        var result = parsed.IsError ? parsed
            : message.Target is int target
                ? await sender.Send(new SendCommand(session, [target], message.Payload, FrameKind.Binary), cancellationToken)
                : await sender.Send(new BroadcastCommand(session, message.Payload, FrameKind.Binary), cancellationToken);

        if (result.IsError)
        {
            SendError(session, result, MessageRef.None);
        }
    }

    /// <summary>Answers a message refused by the rate limiter with `rate_limited`, echoing its `ref` when it has one.</summary>
    public void RejectRateLimited(ClientConnection session, ReadOnlyMemory<byte> message, bool isText)
    {
        ArgumentNullException.ThrowIfNull(session);
        var messageRef = MessageRef.None;
        if (isText && !ClientMessageParser.Parse(message, _maxDepth, out var parsed).IsError)
        {
            messageRef = parsed.Ref;
        }

        SendError(session, RealtimeResult.Fail(ErrorCodes.RateLimited, "too many messages: slow down"), messageRef);
    }

    /// <summary>
    /// The connection ended: its seat is left as `disconnected` or `timeout`, or kept (away) for a resumable client
    /// when <paramref name="mayResume"/>.
    /// </summary>
    public async ValueTask HandleDisconnectAsync(ClientConnection client, bool timedOut, bool mayResume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (client.Session is not null)
        {
            var reason = timedOut ? LeaveReasons.Timeout : LeaveReasons.Disconnected;
            await sender.Send(new DisconnectCommand(client, reason, mayResume), cancellationToken);
        }
    }

    private void SendError(ClientConnection client, RealtimeResult error, MessageRef messageRef)
    {
        stats.RecordError(error.ErrorCode!);
        client.Reply(ServerFrames.Error(error.ErrorCode!, error.ErrorMessage!, messageRef));
    }

    private ValueTask<RealtimeResult> DispatchAsync(ClientConnection session, in ClientMessage m, CancellationToken ct) =>
        m.Type switch
        {
            ClientMessageType.Broadcast when !m.HasData => Missing("data"),
            ClientMessageType.Broadcast => sender.Send(new BroadcastCommand(session, m.Data, FrameKind.Text), ct),
            ClientMessageType.Send when !m.HasData => Missing("data"),
            ClientMessageType.Send => sender.Send(new SendCommand(session, m.To, m.Data, FrameKind.Text), ct),
            ClientMessageType.Connect when m.Token is not null => sender.Send(new TokenConnectCommand(session, m.Token, m.Name, m.Resume, m.Ref), ct),
            ClientMessageType.Connect => sender.Send(new ConnectCommand(session, m.RoomId, m.Secret, m.Name, m.Resume, m.Ref), ct),
            ClientMessageType.Resume => sender.Send(new ResumeCommand(session, m.RoomId, m.Token, m.Seq, m.Ref), ct),
            ClientMessageType.Leave => sender.Send(new LeaveCommand(session, m.Ref), ct),
            ClientMessageType.Ping => sender.Send(new PingCommand(session, m.Ref), ct),
            ClientMessageType.Kick => sender.Send(new KickCommand(session, m.ClientId, m.Reason), ct),
            ClientMessageType.TransferHost => sender.Send(new TransferHostCommand(session, m.ClientId), ct),
            ClientMessageType.CloseRoom => sender.Send(new CloseRoomCommand(session, m.Reason), ct),
            _ => ValueTask.FromResult(RealtimeResult.Fail(ErrorCodes.UnknownType, "unknown message type")),
        };

    private static ValueTask<RealtimeResult> Missing(string field) =>
        ValueTask.FromResult(RealtimeResult.Fail(ErrorCodes.BadRequest, $"{field} is required"));
}
