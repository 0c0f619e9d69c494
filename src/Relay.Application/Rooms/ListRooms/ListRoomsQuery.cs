using FluentValidation;
using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.ListRooms;

/// <summary>`GET /v1/api/rooms?offset=&amp;limit=`: a page of rooms in creation order.</summary>
public sealed record ListRoomsQuery(int Offset = 0, int Limit = ListRoomsQuery.DefaultLimit) : IQuery<Result<RoomList>>
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
}

/// <summary>A page of rooms.</summary>
public sealed record RoomList(IReadOnlyList<RoomDetails> Items, int Total, int Offset, int Limit);

public sealed class ListRoomsValidator : AbstractValidator<ListRoomsQuery>
{
    public ListRoomsValidator()
    {
        RuleFor(q => q.Offset).GreaterThanOrEqualTo(0).WithMessage("offset must be 0 or more");
        RuleFor(q => q.Limit).InclusiveBetween(1, ListRoomsQuery.MaxLimit)
            .WithMessage($"limit must be between 1 and {ListRoomsQuery.MaxLimit}");
    }
}

public sealed class ListRoomsHandler(IRoomManager rooms) : IQueryHandler<ListRoomsQuery, Result<RoomList>>
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
