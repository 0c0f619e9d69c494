using System.Text.Json;
using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.PushMessage;

public sealed record PushMessageCommand(string Id, JsonElement Data, IReadOnlyList<int>? To) : ICommand<Result<PushMessageResult>>;
