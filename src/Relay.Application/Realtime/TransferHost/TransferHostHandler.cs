using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common.Results;

namespace Relay.Application.Realtime.TransferHost;

public sealed class TransferHostHandler(IRoomManager rooms) : ICommandHandler<TransferHostCommand, RealtimeResult>
{
    public async ValueTask<RealtimeResult> Handle(TransferHostCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!HostOnly.TryGetRoom(command.Host, out _, out var error))
        {
            return error;
        }

        var clientId = command.ClientId!.Value;
        var change = await rooms.TransferHostAsync(command.Host, clientId, cancellationToken);
        return MemberChanges.ToResult(change, clientId);
    }
}
