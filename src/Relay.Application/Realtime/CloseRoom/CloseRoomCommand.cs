using FluentValidation;
using Mediator;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Domain.Sessions;

namespace Relay.Application.Realtime.CloseRoom;

/// <summary>`close_room` (host only): everyone gets `room_closed` `closed_by_host` and close 4000; the room is deleted.</summary>
public sealed record CloseRoomCommand(Session Host, string? Reason) : ICommand<RealtimeResult>;

public sealed class CloseRoomValidator : AbstractValidator<CloseRoomCommand>
{
    public const int MaxReasonLength = 256;

    public CloseRoomValidator() =>
        RuleFor(c => c.Reason).MaximumLength(MaxReasonLength).WithMessage($"reason has at most {MaxReasonLength} characters");
}

public sealed class CloseRoomHandler(RoomCoordinator coordinator) : ICommandHandler<CloseRoomCommand, RealtimeResult>
{
    public ValueTask<RealtimeResult> Handle(CloseRoomCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!HostOnly.TryGetRoom(command.Host, out var room, out var error))
        {
            return ValueTask.FromResult(error);
        }

        coordinator.CloseRoom(room, RoomClosedReasons.ClosedByHost, CloseCodes.RoomClosed, command.Reason);
        return ValueTask.FromResult(RealtimeResult.Ok);
    }
}
