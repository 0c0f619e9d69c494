using FluentValidation;

namespace Relay.Application.Rooms.ListRooms;

public sealed class ListRoomsValidator : AbstractValidator<ListRoomsQuery>
{
    public ListRoomsValidator()
    {
        RuleFor(q => q.Offset).GreaterThanOrEqualTo(0).WithMessage("offset must be 0 or more");
        RuleFor(q => q.Limit).InclusiveBetween(1, ListRoomsQuery.MaxLimit)
            .WithMessage($"limit must be between 1 and {ListRoomsQuery.MaxLimit}");
    }
}
