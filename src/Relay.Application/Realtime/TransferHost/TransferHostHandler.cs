using Mediator;
using Relay.Application.Common.Results;
using Relay.Application.Rooms.Membership;

namespace Relay.Application.Realtime.TransferHost;

public sealed class TransferHostHandler(RoomMembership membership) : ICommandHandler<TransferHostCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(TransferHostCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!HostOnly.TryGetHost(command.Client, out var host, out var error))
        {
            return error;
        }

        var clientId = command.ClientId!.Value;
        var change = await membership.TransferHostAsync(host, clientId, cancellationToken);
        return RealtimeResults.Of(change, clientId);
    }
}
