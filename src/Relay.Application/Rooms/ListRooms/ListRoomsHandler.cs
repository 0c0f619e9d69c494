using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.ListRooms;

public sealed class ListRoomsHandler(RoomManager rooms) : IQueryHandler<ListRoomsQuery, Result<RoomList>>
{
    public async ValueTask<Result<RoomList>> Handle(ListRoomsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = await rooms.ListAsync(query.Offset, query.Limit, cancellationToken);
        return Result<RoomList>.Ok(new RoomList(
            [.. page.Items.Select(r => RoomDetails.From(r, withClients: false))],
            page.Total,
            query.Offset,
            query.Limit));
    }
}
