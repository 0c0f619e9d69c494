using System.Text.Json;
using FluentValidation;
using Mediator;
using Microsoft.Extensions.Options;
using Relay.Application.Abstractions;
using Relay.Application.Common.Options;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.UpdateRoom;

/// <summary>`PATCH /v1/api/rooms/{id}`: the body. Absent fields stay as they are.</summary>
/// <param name="MaxClients">New seat limit; lowering it below the current count keeps present clients and refuses new ones.</param>
/// <param name="Locked">A locked room refuses new connects.</param>
/// <param name="Metadata">Replaces the metadata (a JSON object of at most 4 KiB).</param>
public sealed record UpdateRoomRequest(int? MaxClients = null, bool? Locked = null, JsonElement? Metadata = null);

public sealed record UpdateRoomCommand(string Id, int? MaxClients, bool? Locked, JsonElement? Metadata) : ICommand<Result<RoomDetails>>;

public sealed class UpdateRoomValidator : AbstractValidator<UpdateRoomCommand>
{
    public UpdateRoomValidator(IOptions<RelayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        RuleFor(c => c.MaxClients).ValidMaxClients(options.Value);
        RuleFor(c => c.Metadata).ValidMetadata();
    }
}

public sealed class UpdateRoomHandler(IRoomManager rooms) : ICommandHandler<UpdateRoomCommand, Result<RoomDetails>>
{
    public async ValueTask<Result<RoomDetails>> Handle(UpdateRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var room = await rooms.FindAsync(command.Id, cancellationToken);
        if (room is null)
        {
            return Result<RoomDetails>.NotFound($"No room with id '{command.Id}'.");
        }

        room.Update(command.MaxClients, command.Locked, RoomRules.ToMetadata(command.Metadata));
        return Result<RoomDetails>.Ok(RoomDetails.From(room, withClients: true));
    }
}
