using System.Text;
using System.Text.Json;
using FluentValidation;
using Mediator;
using Relay.Application.Abstractions;
using Relay.Application.Common;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Frames;

namespace Relay.Application.Rooms.PushMessage;

/// <summary>`POST /v1/api/rooms/{id}/messages`: the body.</summary>
/// <param name="Data">Any JSON value, relayed as sent.</param>
/// <param name="To">Client ids to send to (1-64); every client when absent. Ids not in the room are skipped.</param>
public sealed record PushMessageRequest(JsonElement Data, IReadOnlyList<int>? To = null);

/// <summary>How many clients the message was queued to.</summary>
public sealed record PushMessageResult(int Recipients);

public sealed record PushMessageCommand(string Id, JsonElement Data, IReadOnlyList<int>? To) : ICommand<Result<PushMessageResult>>;

public sealed class PushMessageValidator : AbstractValidator<PushMessageCommand>
{
    public PushMessageValidator()
    {
        RuleFor(c => c.Data).Must(d => d.ValueKind != JsonValueKind.Undefined).WithMessage("data is required");
        RuleFor(c => c.To).Must(to => to!.Count is >= 1 and <= 64).When(c => c.To is not null)
            .WithMessage("to lists 1 to 64 client ids");
        RuleForEach(c => c.To).GreaterThan(0).WithMessage("client ids are positive integers");
    }
}

/// <summary>Relays a backend's message to the room's clients as `message` from 0 (the server).</summary>
public sealed class PushMessageHandler(IRoomManager rooms, RelayStats stats) : ICommandHandler<PushMessageCommand, Result<PushMessageResult>>
{
    public const int ServerClientId = 0;

    public async ValueTask<Result<PushMessageResult>> Handle(PushMessageCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var room = await rooms.FindAsync(command.Id, cancellationToken);
        if (room is null)
        {
            return Result<PushMessageResult>.NotFound($"No room with id '{command.Id}'.");
        }

        var data = Encoding.UTF8.GetBytes(command.Data.GetRawText());
        var frame = RelayFrames.Message(ServerClientId, data);
        var delivered = 0;
        foreach (var member in room.Members)
        {
            if ((command.To is null || command.To.Contains(member.ClientId)) && member.TrySend(frame))
            {
                delivered++;
            }
        }

        frame.Release();
        stats.RecordRelay(data.Length, delivered);
        return Result<PushMessageResult>.Ok(new PushMessageResult(delivered));
    }
}
