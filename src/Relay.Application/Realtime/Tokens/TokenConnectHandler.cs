using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Connect;
using Relay.Application.Rooms.Membership;
using Relay.Domain.Rooms;

namespace Relay.Application.Realtime.Tokens;

/// <summary>
/// Seats a connection that presents a client token: a token that does not verify is `invalid_token`; a valid one
/// joins the room it names as a member, or as host with `host: true` (as with the host secret), under the token's
/// name if it has one and with its `sub` as `userId`. `roomId` and `secret` in the message are ignored.
/// </summary>
public sealed class TokenConnectHandler(ClientTokens tokens, RoomMembership membership) : ICommandHandler<TokenConnectCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(TokenConnectCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var grant = await tokens.ValidateAsync(command.Token!);
        if (!grant.IsValid)
        {
            return RealtimeResult.Fail(ErrorCodes.InvalidToken, grant.Error!);
        }

        var request = new JoinRequest(
            grant.RoomId, null, grant.Host ? SecretMatch.Host : SecretMatch.Member, grant.Name ?? command.Name, grant.UserId, command.Resume, command.Ref);
        return ConnectHandler.Of(await membership.JoinAsync(command.Client, request, cancellationToken));
    }
}
