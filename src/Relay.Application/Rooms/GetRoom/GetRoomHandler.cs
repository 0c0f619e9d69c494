using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.GetRoom;

public sealed class GetRoomHandler(RoomManager rooms) : IQueryHandler<GetRoomQuery, Result<RoomDetails>>
{
    public async ValueTask<Result<RoomDetails>> Handle(GetRoomQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var room = await rooms.FindAsync(query.Id, cancellationToken);
        return room is null
            ? Result<RoomDetails>.NotFound($"No room with id '{query.Id}'.")
            : Result<RoomDetails>.Ok(RoomDetails.From(room, withClients: true));
    }
}
