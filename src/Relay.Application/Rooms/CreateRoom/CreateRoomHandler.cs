using Mediator;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Common.Results;
using Relay.Application.Protocols;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms.CreateRoom;

public sealed class CreateRoomHandler(RoomManager rooms, ProtocolRegistry protocols, IOptions<RelayOptions> options)
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
            command.ResumeWindowSeconds ?? options.Value.Resume.WindowSeconds);

        var (status, created) = await rooms.CreateAsync(spec, cancellationToken);
        switch (status)
        {
            case CreateRoomStatus.LimitReached:
                return Result<CreatedRoomDetails>.Unavailable($"The server holds its maximum of {options.Value.MaxRooms} rooms (Relay:MaxRooms).");
            case CreateRoomStatus.Unavailable:
                return Result<CreatedRoomDetails>.Unavailable("The room store is unavailable: try again shortly.");
            case CreateRoomStatus.IdTaken:
                return Result<CreatedRoomDetails>.Conflict($"A room with id '{command.Id}' already exists.");
        }

        var (room, secret, hostSecret) = created!;
        return Result<CreatedRoomDetails>.Ok(CreatedRoomDetails.From(room, secret, hostSecret));
    }
}
