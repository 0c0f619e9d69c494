using Mediator;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Common.Results;
using Relay.Application.Protocols;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.CreateRoom;

public sealed class CreateRoomHandler(IRoomManager rooms, ProtocolRegistry protocols, IOptions<RelayOptions> options)
    : ICommandHandler<CreateRoomCommand, Result<CreatedRoomDetails>>
{
    public async ValueTask<Result<CreatedRoomDetails>> Handle(CreateRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var spec = new RoomSpec(
            command.Id,
            command.Secret,
            protocols.Get(command.Protocol ?? MeshProtocol.ProtocolName),
            command.HostAssignment == RoomDetails.SecretHostAssignment ? HostAssignment.Secret : HostAssignment.First,
            command.MaxClients ?? options.Value.DefaultMaxClients,
            RoomRules.ToMetadata(command.Metadata) ?? RoomMetadata.Empty,
            options.Value.MaxRooms);

        var outcome = await rooms.CreateAsync(spec, cancellationToken);
        if (outcome.Status == CreateRoomStatus.LimitReached)
        {
            return Result<CreatedRoomDetails>.Unavailable($"The server holds its maximum of {options.Value.MaxRooms} rooms (Relay:MaxRooms).");
        }

        if (outcome.Status == CreateRoomStatus.Unavailable)
        {
            return Result<CreatedRoomDetails>.Unavailable("The room store is unavailable: try again shortly.");
        }

        if (outcome.Status == CreateRoomStatus.IdTaken || outcome.Created is null)
        {
            return Result<CreatedRoomDetails>.Conflict($"A room with id '{command.Id}' already exists.");
        }

        var (room, secret, hostSecret) = outcome.Created;
        var details = RoomDetails.From(room, withClients: false);
        return Result<CreatedRoomDetails>.Ok(new CreatedRoomDetails(
            details.Id,
            secret,
            hostSecret,
            details.Protocol,
            details.HostAssignment,
            details.MaxClients,
            details.Locked,
            details.Metadata,
            details.CreatedAt,
            details.HostId,
            details.ClientCount));
    }
}
